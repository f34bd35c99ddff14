using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Bindery.TestSupport;

/// <summary>
/// The real Bindery server (its built <c>Bindery.Server.dll</c>) as a child process on a loopback port that
/// the server picks itself, configured through <c>Section__Key</c> environment variables. Start it, wait
/// until <c>/readyz</c> answers, then <see cref="Kill"/> it (SIGKILL, no chance to flush anything) or
/// <see cref="StopAsync"/> it (SIGTERM, graceful shutdown). Knows nothing of xunit, so the benchmark can use it.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private const int OutputLinesKept = 200;
    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly System.Text.StringBuilder? _allOutput;
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process, bool keepAllOutput)
    {
        _process = process;
        _allOutput = keepAllOutput ? new() : null;
    }

    /// <summary>e.g. <c>http://127.0.0.1:40123</c>; set once the server listens.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The plain MQTT port the server's broker listens on (0 when the broker is off or has not said yet).</summary>
    public int MqttPort { get; private set; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the server wrote to stdout and stderr, for failure messages.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Everything the server wrote to stdout and stderr, when started with <c>keepAllOutput</c>.</summary>
    public string AllOutput
    {
        get
        {
            if (_allOutput is null)
            {
                throw new InvalidOperationException("start the server with keepAllOutput: true");
            }
            lock (_output)
            {
                return _allOutput.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the server with <paramref name="settings"/> (configuration keys such as <c>Bindery:DataDir</c> or
    /// <c>Storage:ConnectionString</c>) and returns once <c>/readyz</c> answers 200. It runs in
    /// <paramref name="workingDirectory"/> (default: the directory of its dll).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(
        IReadOnlyDictionary<string, string?> settings, TimeSpan? readyTimeout = null, string? workingDirectory = null, bool keepAllOutput = false)
    {
        var dll = LocateServerDll();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll },
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Port 0: the kernel picks a free port, so parallel tests never race for one; the server logs it.
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        // The embedded MQTT broker on a free loopback port too (never 1883, which parallel servers would fight
        // over); the broker logs the port it got (MqttPort).
        start.Environment["Mqtt__BindAddress"] = "127.0.0.1";
        start.Environment["Mqtt__Port"] = "0";
        start.Environment["Mqtt__TlsPort"] = "0";
        start.Environment["Logging__LogLevel__Bindery.Mqtt.MqttBroker"] = "Information";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(process, keepAllOutput);
        process.OutputDataReceived += (_, e) => server.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnOutput(e.Data);
        process.Exited += (_, _) => server._listening.TrySetException(
            new InvalidOperationException($"Bindery.Server exited with {process.ExitCode} before listening:\n{server.RecentOutput}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        StartWatchdog(process.Id);
        try
        {
            await server.WaitUntilReadyAsync(readyTimeout ?? TimeSpan.FromSeconds(60));
        }
        catch
        {
            server.Kill();
            throw;
        }
        return server;
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            BaseUrl = await _listening.Task.WaitAsync(deadline.Token);
            // No per-request timeout: on a loaded machine the first /readyz can take longer than any fixed figure
            // (a 5 s timeout failed whole CI runs); the start's own deadline bounds the wait.
            using var http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = Timeout.InfiniteTimeSpan };
            while (true)
            {
                using var response = await http.GetAsync("/readyz", deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
                await Task.Delay(50, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"Bindery.Server was not ready within {timeout}:\n{RecentOutput}");
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = new Uri(BaseUrl) };

    /// <summary>A client that sends <paramref name="adminKey"/> as <c>X-Admin-Key</c>.</summary>
    public HttpClient CreateAdminClient(string adminKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Admin-Key", adminKey);
        return client;
    }

    /// <summary>SIGKILL: the process ends at once, with no shutdown code run. Returns once it is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            // The server has no child processes (dotnet runs the app in-process), and walking the process tree
            // first (Kill(entireProcessTree: true)) takes tens of milliseconds, time in which the server would
            // go on committing: signal the process itself, at once.
            _process.Kill();
        }
        _process.WaitForExit();
    }

    /// <summary>SIGTERM and wait for the graceful shutdown; SIGKILL if it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
            {
                await term.WaitForExitAsync();
            }
            using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                throw new TimeoutException($"Bindery.Server did not stop within {timeout}; killed it:\n{RecentOutput}");
            }
        }
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _allOutput?.AppendLine(line);
            _output.Enqueue(line);
            if (_output.Count > OutputLinesKept)
            {
                _output.Dequeue();
            }
        }
        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(match.Groups[1].Value);
        }
        else if (MqttListeningLine().Match(line) is { Success: true } mqtt)
        {
            MqttPort = int.Parse(mqtt.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [GeneratedRegex(@"Now listening on: (http://[^\s""]+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"MQTT broker listening on \S+ port (\d+)")]
    private static partial Regex MqttListeningLine();

    /// <summary>
    /// The server's build output: <c>src/Bindery.Server/bin/&lt;Configuration&gt;/&lt;tfm&gt;/Bindery.Server.dll</c>
    /// of the repository this assembly was built in (same configuration and framework), else the copy next to
    /// this assembly. <c>BINDERY_SERVER_DLL</c> overrides both.
    /// </summary>
    public static string LocateServerDll()
    {
        if (Environment.GetEnvironmentVariable("BINDERY_SERVER_DLL") is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = baseDir.Name;
        var configuration = baseDir.Parent?.Name;
        for (var dir = baseDir; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bindery.sln")) && configuration is not null)
            {
                var built = Path.Combine(dir.FullName, "src", "Bindery.Server", "bin", configuration, framework, "Bindery.Server.dll");
                if (File.Exists(built))
                {
                    return built;
                }
                break;
            }
        }
        var copy = Path.Combine(AppContext.BaseDirectory, "Bindery.Server.dll");
        if (File.Exists(copy) && File.Exists(Path.Combine(AppContext.BaseDirectory, "Bindery.Server.runtimeconfig.json")))
        {
            return copy;
        }
        throw new FileNotFoundException("Bindery.Server.dll not found: build the solution first (dotnet build), or set BINDERY_SERVER_DLL.");
    }

    /// <summary>
    /// A detached shell that SIGKILLs the server once this process is gone, so a test run that is itself killed
    /// leaves no server behind. It checks the pid still runs Bindery.Server before killing it.
    /// </summary>
    private static void StartWatchdog(int serverPid)
    {
        var script = $"""
            exec </dev/null >/dev/null 2>&1
            while kill -0 {Environment.ProcessId} && kill -0 {serverPid}; do sleep 1; done
            grep -q Bindery.Server /proc/{serverPid}/cmdline && kill -9 {serverPid}
            """;
        DetachedShell.Start(script);
    }
}
