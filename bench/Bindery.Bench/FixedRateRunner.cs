using System.Diagnostics;
using System.Text;

namespace Bindery.Bench;

/// <summary>
/// Sends requests at a fixed rate, open loop: request i is due at start + i / rate whether or not earlier ones
/// have answered, and its latency counts from that due time. A server that stalls therefore shows its stall in
/// the percentiles instead of silently slowing the client down (the "coordinated omission" a closed-loop tool
/// like wrk has). wrk2, which does this in C, is not packaged for Debian; at a few thousand requests per second
/// this C# client costs a fraction of a core, which each phase prints.
/// </summary>
public sealed class FixedRateRunner(string baseUrl, int serverPid)
{
    public sealed record ScheduledRequest(string Token, byte[] Body);

    public async Task<LoadResult> RunAsync(string name, string path, IReadOnlyList<ScheduledRequest> calls, int rate)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 512,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
        })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };
        // Warm the connection pool so connection set-up is not measured as bind latency.
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => http.GetAsync("/bench/noop")));

        var latencies = new double[calls.Count];
        var codes = new string[calls.Count];
        var pending = new List<Task>(calls.Count);
        var serverBefore = Machine.CpuTime(serverPid) ?? TimeSpan.Zero;
        var clientBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var ticksPerCall = Stopwatch.Frequency / (double)rate;
        var started = Stopwatch.GetTimestamp();
        var next = 0;
        while (next < calls.Count)
        {
            var due = (int)Math.Min(calls.Count, (Stopwatch.GetTimestamp() - started) / ticksPerCall + 1);
            for (; next < due; next++)
            {
                pending.Add(SendAsync(http, path, calls[next], started + (long)(next * ticksPerCall), latencies, codes, next));
            }
            await Task.Delay(1);
        }
        await Task.WhenAll(pending);
        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var serverCpu = (Machine.CpuTime(serverPid) ?? serverBefore) - serverBefore;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientBefore;

        Array.Sort(latencies);
        double Percentile(double p) => latencies[Math.Clamp((int)Math.Ceiling(p / 100 * latencies.Length) - 1, 0, latencies.Length - 1)];
        var counted = codes.GroupBy(c => c).ToDictionary(g => g.Key, g => (long)g.Count());
        return new LoadResult(name, calls.Count / (double)rate, calls.Count,
            Percentile(50), Percentile(95), Percentile(99), latencies[^1], counted, 0, Exhausted: false)
        {
            ServerCores = serverCpu.TotalSeconds / wall,
            ClientCores = clientCpu.TotalSeconds / wall,
            LoadAverage = Machine.LoadAverage(),
        };
    }

    private static async Task SendAsync(HttpClient http, string path, ScheduledRequest call, long dueTimestamp, double[] latencies, string[] codes, int index)
    {
        await Task.Yield();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(call.Body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.TryAddWithoutValidation("Authorization", call.Token);
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsByteArrayAsync();
            codes[index] = (int)response.StatusCode != 200 ? $"http{(int)response.StatusCode}" : EnvelopeCode(body);
        }
        catch (HttpRequestException)
        {
            codes[index] = "socket";
        }
        catch (TaskCanceledException)
        {
            codes[index] = "timeout";
        }
        latencies[index] = Stopwatch.GetElapsedTime(dueTimestamp).TotalMilliseconds;
    }

    private static string EnvelopeCode(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 24));
        const string prefix = "{\"code\":";
        if (!text.StartsWith(prefix, StringComparison.Ordinal))
        {
            return "unparsed";
        }
        var end = text.IndexOfAny([',', '}'], prefix.Length);
        return end > 0 ? text[prefix.Length..end] : "unparsed";
    }
}
