using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Bindery.Bench;

/// <summary>
/// Runs <c>wrk</c> with <c>wrk/replay.lua</c>: each thread replays its own slice file of pre-generated requests.
/// wrk is C with an epoll loop per thread; the Lua per request is a table lookup, so the client costs little CPU
/// (each phase prints the CPU wrk and the server used, to show it).
/// </summary>
public sealed class WrkRunner(string baseUrl, int threads, int connections, string workDir, int serverPid)
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "wrk", "replay.lua");

    public int Threads => threads;

    /// <summary>Writes <paramref name="lines"/> round-robin into one slice file per wrk thread; returns the prefix.</summary>
    public string WriteSlices(string name, IEnumerable<string> lines)
    {
        var prefix = Path.Combine(workDir, name);
        var writers = Enumerable.Range(0, threads).Select(t => new StreamWriter($"{prefix}.{t}")).ToArray();
        try
        {
            var i = 0;
            foreach (var line in lines)
            {
                writers[i++ % threads].WriteLine(line);
            }
        }
        finally
        {
            foreach (var writer in writers)
            {
                writer.Dispose();
            }
        }
        return prefix;
    }

    /// <summary>Runs one phase for <paramref name="seconds"/>: "once" consumes each line at most once, "cycle" repeats them.</summary>
    public async Task<LoadResult> RunAsync(string name, string mode, string method, string path, string? prefix, int seconds)
    {
        var start = new ProcessStartInfo("wrk")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[
            "-t", threads.ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{seconds}s",
            "--timeout", "10s",
            "-s", Script,
            baseUrl + path,
            "--", mode, method, path, prefix ?? ""])
        {
            start.ArgumentList.Add(argument);
        }
        var serverBefore = Machine.CpuTime(serverPid) ?? TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        using var wrk = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start");
        var stdout = wrk.StandardOutput.ReadToEndAsync();
        var stderr = wrk.StandardError.ReadToEndAsync();
        // wrk's own CPU time, sampled until it exits (an exited process's /proc entry is gone).
        var clientCpu = TimeSpan.Zero;
        while (!wrk.HasExited)
        {
            clientCpu = Machine.CpuTime(wrk.Id) ?? clientCpu;
            await Task.WhenAny(wrk.WaitForExitAsync(), Task.Delay(200));
        }
        var wall = clock.Elapsed.TotalSeconds;
        var serverCpu = (Machine.CpuTime(serverPid) ?? serverBefore) - serverBefore;
        var output = await stdout;
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("BENCH-RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result (exit {wrk.ExitCode}):\n{output}\n{await stderr}");
        using var json = JsonDocument.Parse(line["BENCH-RESULT ".Length..]);
        var root = json.RootElement;
        var codes = root.GetProperty("codes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        static double Ms(JsonElement e, string field) => e.GetProperty(field).GetDouble() / 1000.0;
        var duration = root.GetProperty("durationUs").GetDouble() / 1e6;
        return new LoadResult(
            name, duration, root.GetProperty("requests").GetInt64(),
            Ms(root, "p50Us"), Ms(root, "p95Us"), Ms(root, "p99Us"), Ms(root, "maxUs"),
            codes, root.GetProperty("socketErrors").GetInt64() + root.GetProperty("timeouts").GetInt64(),
            root.GetProperty("exhausted").GetInt32() == 1)
        {
            ServerCores = serverCpu.TotalSeconds / wall,
            ClientCores = clientCpu.TotalSeconds / wall,
            LoadAverage = Machine.LoadAverage(),
        };
    }
}
