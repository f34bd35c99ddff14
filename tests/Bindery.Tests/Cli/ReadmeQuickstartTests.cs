using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Bindery.Tests.Support;
using Xunit.Abstractions;

namespace Bindery.Tests.Cli;

/// <summary>
/// The README's Set-up and Quickstart, run as a newcomer runs them: every <c>sh</c> code block in order, verbatim,
/// in a fresh copy of the repository (the files git tracks, no build output, no <c>data/</c>), from its root.
/// <c>dotnet run --project src/Bindery.Server</c> is started in the background (as the newcomer's first terminal)
/// and must keep its data in <c>&lt;root&gt;/data</c>, where <c>bindery-sim demo</c> finds it. Two things differ
/// from a pasted session: the port (a free one instead of 5080: ASPNETCORE_URLS for the server, BINDERY_URL for
/// the simulator, and <c>http://localhost:5080</c> in the commands; the MQTT broker's port, Mqtt__Port for the
/// server and BINDERY_MQTT_PORT for the simulator), and <c>./test.sh</c>, which is not run (it
/// would run this test again). Each block must succeed, and every <c>"key":value</c> of the expected-output
/// comments under it (<c># {"code":200,…}</c>, values with … left out) must appear in what it printed.
/// </summary>
public sealed partial class ReadmeQuickstartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ServerReadyTimeout = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan BlocksTimeout = TimeSpan.FromSeconds(150);

    private const string ServerCommand = "dotnet run --project src/Bindery.Server";

    [SkippableFact]
    public async Task The_README_set_up_and_quickstart_work_verbatim_from_a_fresh_copy_of_the_repository()
    {
        Skip.If(TestStore.IsPostgres, "the README runs the server on its default store (SQLite); the SQLite pass covers it");
        var repo = Repository.TryRoot is { } checkout && File.Exists(Path.Combine(checkout, "README.md")) ? checkout : null;
        Skip.If(repo is null, "README.md is not next to this build (tests run outside the repository)");
        var missing = new[] { "bash", "curl", "git" }.FirstOrDefault(tool => !Repository.OnPath(tool));
        Skip.If(missing is not null, $"{missing} is not installed; the README's commands need bash, curl and git");

        var blocks = ShellBlocks(await File.ReadAllTextAsync(Path.Combine(repo!, "README.md")));
        Assert.Contains(blocks, b => b.Code.Trim() == ServerCommand);
        Assert.Contains(blocks, b => b.Code.Contains("bindery-sim demo", StringComparison.Ordinal));

        var root = Path.Combine(Path.GetTempPath(), "bindery-readme-" + Guid.NewGuid().ToString("N"));
        var clock = Stopwatch.StartNew();
        Process? server = null;
        var serverOutput = new StringBuilder();
        try
        {
            CopyRepository(repo!, root);
            var port = FreePort();
            var url = $"http://localhost:{port}";
            var mqttPort = FreePort();

            var script = new StringBuilder("set -euo pipefail\nshopt -s expand_aliases\nexec 2>&1\n");
            var expectations = new List<(int Block, string Code, string[] Expected)>();
            for (var i = 0; i < blocks.Count; i++)
            {
                var code = blocks[i].Code.Replace("http://localhost:5080", url, StringComparison.Ordinal);
                if (code.Trim() == "./test.sh")
                {
                    continue; // the test command runs the suite, this test included: not from inside it
                }
                if (code.Trim() == ServerCommand)
                {
                    Assert.Null(server);
                    server = StartBackground(code.Trim(), root, port, mqttPort, serverOutput);
                    await WaitUntilReadyAsync(url, server, serverOutput);
                    output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] server ready at {url}");
                    continue;
                }
                Assert.True(server is not null, $"block {i} runs before the server was started:\n{code}");
                script.Append(code).Append('\n').Append($"echo '@@block {i} done@@'\n");
                expectations.Add((i, code, ExpectedFragments(code)));
            }

            var (exit, printed) = await RunBashAsync(script.ToString(), root, url, mqttPort);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] blocks done, exit {exit}");
            output.WriteLine(printed);
            var start = 0;
            foreach (var (block, code, expected) in expectations)
            {
                var marker = $"@@block {block} done@@";
                var end = printed.IndexOf(marker, start, StringComparison.Ordinal);
                Assert.True(end >= 0, $"block {block} failed (exit {exit}):\n{code}\n--- output ---\n{printed[start..]}\n--- server ---\n{Tail(serverOutput)}");
                var blockOutput = printed[start..end];
                foreach (var fragment in expected)
                {
                    Assert.True(blockOutput.Contains(fragment, StringComparison.Ordinal),
                        $"block {block} did not print {fragment}:\n{code}\n--- output ---\n{blockOutput}");
                }
                start = end + marker.Length;
            }
            Assert.Equal(0, exit);

            // Where the data went: the directory the server was started in, not the project's.
            Assert.True(File.Exists(Path.Combine(root, "data", "demo-tenant.json")), "data/demo-tenant.json is not in the repository root");
            Assert.True(File.Exists(Path.Combine(root, "data", "bindery.db")), "data/bindery.db is not in the repository root");
            Assert.False(Directory.Exists(Path.Combine(root, "src", "Bindery.Server", "data")), "the server wrote src/Bindery.Server/data");
            Assert.Contains("admin API key", serverOutput.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            server?.Dispose();
            output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] total");
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public sealed record Block(string Language, string Code);

    /// <summary>The fenced <c>sh</c> blocks of the Set-up and Quickstart sections (up to the next <c>## </c> heading after Quickstart).</summary>
    public static List<Block> ShellBlocks(string readme)
    {
        var from = readme.IndexOf("\n## Set-up", StringComparison.Ordinal);
        var quickstart = readme.IndexOf("\n## Quickstart", StringComparison.Ordinal);
        Assert.True(from >= 0 && quickstart > from, "README.md has no '## Set-up' followed by '## Quickstart'");
        var to = readme.IndexOf("\n## ", quickstart + 1, StringComparison.Ordinal);
        var text = readme[from..(to < 0 ? readme.Length : to)];
        return Fence().Matches(text)
            .Select(m => new Block(m.Groups["lang"].Value, m.Groups["code"].Value))
            .Where(b => b.Language is "sh" or "bash" or "shell")
            .ToList();
    }

    /// <summary><c>"key":value</c> fragments of the block's whole-line comments, values holding … (elided) left out.</summary>
    private static string[] ExpectedFragments(string code) => code.Split('\n')
        .Where(line => line.TrimStart().StartsWith('#'))
        .SelectMany(line => KeyValue().Matches(line).Select(m => m.Value))
        .Where(fragment => !fragment.Contains('…', StringComparison.Ordinal))
        .ToArray();

    [GeneratedRegex(@"^```(?<lang>[a-z]*)\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"""\w+"":(""[^""]*""|-?\d+)")]
    private static partial Regex KeyValue();

    private static Process StartBackground(string command, string root, int port, int mqttPort, StringBuilder log)
    {
        var start = new ProcessStartInfo("bash", ["-c", "exec " + command])
        {
            WorkingDirectory = root,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Prepare(start.Environment);
        start.Environment["ASPNETCORE_URLS"] = $"http://localhost:{port}";
        // The README's server also starts the MQTT broker: on a free port here, not 1883, which the simulator's
        // mqtt-device finds in BINDERY_MQTT_PORT (set for the README's commands).
        start.Environment["Mqtt__Port"] = mqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilReadyAsync(string url, Process server, StringBuilder log)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ServerReadyTimeout)
        {
            Assert.False(server.HasExited, $"the server exited with {(server.HasExited ? server.ExitCode : 0)}:\n{Tail(log)}");
            try
            {
                using var response = await http.GetAsync(url + "/readyz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(250);
        }
        Assert.Fail($"the server was not ready within {ServerReadyTimeout}:\n{Tail(log)}");
    }

    private static async Task<(int Exit, string Output)> RunBashAsync(string script, string root, string url, int mqttPort)
    {
        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = root,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Prepare(start.Environment);
        start.Environment["BINDERY_URL"] = url;
        start.Environment["BINDERY_MQTT_PORT"] = mqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(BlocksTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the README's commands did not finish within {BlocksTimeout}:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The newcomer's environment: none of the test run's build or simulator settings.</summary>
    private static void Prepare(IDictionary<string, string?> environment)
    {
        foreach (var key in environment.Keys.ToList())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("BINDERY_", StringComparison.Ordinal) || key.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
                || key.StartsWith("Bindery__", StringComparison.Ordinal) || key.StartsWith("Storage__", StringComparison.Ordinal)
                || key.StartsWith("Mqtt__", StringComparison.Ordinal)
                || key is "DOTNET_HOST_PATH")
            {
                environment.Remove(key);
            }
        }
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // No build nodes left running after the test.
        environment["MSBUILDDISABLENODEREUSE"] = "1";
    }

    /// <summary>What a clone holds: the files git tracks (and new ones it does not ignore), nothing built, no data.</summary>
    private static void CopyRepository(string repo, string root)
    {
        var list = new ProcessStartInfo("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        {
            WorkingDirectory = repo,
            UseShellExecute = false,
            RedirectStandardOutput = true,
        };
        using var git = Process.Start(list)!;
        var files = git.StandardOutput.ReadToEnd().Split('\0', StringSplitOptions.RemoveEmptyEntries);
        git.WaitForExit();
        Assert.True(git.ExitCode == 0 && files.Length > 0, "git ls-files failed");
        foreach (var file in files)
        {
            var source = Path.Combine(repo, file);
            if (!File.Exists(source))
            {
                continue; // deleted in the working tree
            }
            var target = Path.Combine(root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, File.GetUnixFileMode(source));
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }

    private static string Tail(StringBuilder log)
    {
        lock (log)
        {
            var text = log.ToString();
            return text.Length <= 4000 ? text : text[^4000..];
        }
    }
}
