using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bindery.Protocol;
using Bindery.TestSupport;
using MQTTnet;
using MQTTnet.Protocol;

namespace Bindery.Bench;

/// <summary>
/// The MQTT phase: N Tencent-protocol devices (registered through the admin bulk import, each with a base64 device
/// secret) connect to the server's embedded broker with the documented login (client id, username, HMAC-SHA256
/// password) and subscribe to their down topics, all held open at once; then every device makes one round trip that
/// touches no storage (an unknown method, answered 9010: the broker's and the JSON's own cost, the MQTT "bare
/// endpoint"), and then reports the bind token an app user created (<c>app_bind_token</c>, answered
/// <c>app_bind_token_reply</c> code 0). Closed loop: at most <c>--mqtt-concurrency</c> requests in flight; latency is
/// from the publish to the reply. Server memory per connection: the server's VmRSS with all connections open minus
/// before the first, divided by N.
/// </summary>
internal sealed class MqttPhase(BenchOptions options, ServerProcess server, BenchTenant tenant)
{
    /// <summary>File descriptors the process needs besides the connections (assemblies, the store, the listeners).</summary>
    private const int SpareDescriptors = 512;

    public async Task<int> RunAsync(string[] accessTokens)
    {
        var n = options.MqttDevices;
        // The lower of this process's limit and the server's (it inherits bench.sh's; null: unknown or unlimited).
        var limit = new[] { Machine.OpenFilesLimit(), Machine.OpenFilesLimit(server.ProcessId.ToString(CultureInfo.InvariantCulture)) }.Min();
        Console.WriteLine();
        Console.WriteLine($"--- MQTT: {n:N0} Tencent-protocol device connections to the embedded broker, 127.0.0.1:{server.MqttPort} ---");
        Console.WriteLine($"file descriptors: soft limit {limit?.ToString("N0", CultureInfo.InvariantCulture) ?? "?"} in this process and the server (bench.sh raises it to the hard limit); each needs one per connection");
        if (limit is { } soft && soft < n + SpareDescriptors)
        {
            Console.Error.WriteLine($"--mqtt-devices {n} needs a file-descriptor limit of at least {n + SpareDescriptors} (ulimit -n); it is {soft}. Raise it (ulimit -n {n + SpareDescriptors}, or the hard limit in /etc/security/limits.conf) or use fewer devices.");
            return 2;
        }

        var pk = await tenant.CreateTokenProductAsync("Bench MQTT light");
        var clock = Stopwatch.StartNew();
        await tenant.ImportDevicesAsync(pk, 0, n, BenchTenant.MqttDeviceOf);
        Console.WriteLine($"setup: imported {n:N0} MQTT devices in {clock.Elapsed.TotalSeconds:0.0} s (admin bulk import)");
        clock.Restart();
        var bindTokens = await tenant.CreateBindTokensAsync(accessTokens, n, 16);
        Console.WriteLine($"setup: {n:N0} bind tokens created by {accessTokens.Length:N0} app users in {clock.Elapsed.TotalSeconds:0.0} s ({n / clock.Elapsed.TotalSeconds:N0}/s, AppCreateDeviceBindToken over HTTP, 16 concurrent)");

        var devices = Enumerable.Range(0, n).Select(i =>
        {
            var (dk, _, secret) = BenchTenant.MqttDeviceOf(i);
            return new BenchDevice(new DeviceIdentity(pk, dk, secret));
        }).ToArray();
        await Task.Delay(1000);
        var (rssBefore, _) = Machine.Memory(server.ProcessId);
        var results = new List<LoadResult>();
        try
        {
            var connects = await MeasureAsync("connect+subscribe", devices, (device, i) => device.ConnectAsync(server.MqttPort));
            results.Add(connects);
            await Task.Delay(2000);
            var (rssConnected, _) = Machine.Memory(server.ProcessId);
            var open = devices.Count(d => d.Client.IsConnected);

            var bare = await MeasureAsync("bare round trip (→ 9010)", devices, (device, i) =>
                device.RequestAsync("service", $$"""{"method":"bench_noop","clientToken":"b{{i}}"}""", $"b{i}", 9010));
            results.Add(bare);
            var reports = await MeasureAsync("app_bind_token → reply", devices, (device, i) =>
                device.RequestAsync("service", "{\"method\":\"app_bind_token\",\"clientToken\":\"t" + i.ToString(CultureInfo.InvariantCulture) + "\",\"params\":{\"token\":\"" + bindTokens[i] + "\"}}", $"t{i}", 0));
            results.Add(reports);
            var (rssAfter, peak) = Machine.Memory(server.ProcessId);

            Console.WriteLine();
            BenchRun.PrintTable(results);
            Console.WriteLine();
            Console.WriteLine($"connections open at once: {open:N0} of {n:N0}; connects/s {connects.SucceededPerSecond:N0} (connect + subscribe, closed loop, {options.MqttConcurrency} in flight)");
            Console.WriteLine($"token reports/s ÷ bare round trips/s = {reports.SucceededPerSecond:N0} ÷ {bare.SucceededPerSecond:N0} = {reports.SucceededPerSecond / bare.SucceededPerSecond:P0}");
            Console.WriteLine($"server memory: VmRSS {rssBefore:N0} MiB before the connections, {rssConnected:N0} MiB with {open:N0} open = " +
                $"{(rssConnected - rssBefore) * 1024 / Math.Max(1, open):N1} KiB per connection; {rssAfter:N0} MiB after the reports, peak VmHWM {peak:N0} MiB");
            var failed = results.Sum(r => r.Errors) + (n - open);
            return failed == 0 ? 0 : 4;
        }
        finally
        {
            await Parallel.ForEachAsync(devices, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (device, _) => await device.DisposeAsync());
        }
    }

    /// <summary>Runs <paramref name="operation"/> once per device, at most --mqtt-concurrency at a time; its result is "ok" or an error name.</summary>
    private async Task<LoadResult> MeasureAsync(string name, BenchDevice[] devices, Func<BenchDevice, int, Task<string>> operation)
    {
        var latencies = new double[devices.Length];
        var codes = new string[devices.Length];
        var serverBefore = Machine.CpuTime(server.ProcessId) ?? TimeSpan.Zero;
        var clientBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForAsync(0, devices.Length, new ParallelOptions { MaxDegreeOfParallelism = options.MqttConcurrency }, async (i, _) =>
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                codes[i] = await operation(devices[i], i);
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or TimeoutException or OperationCanceledException or InvalidOperationException)
            {
                codes[i] = e is TimeoutException or OperationCanceledException ? "timeout" : "socket";
            }
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        });
        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var serverCpu = (Machine.CpuTime(server.ProcessId) ?? serverBefore) - serverBefore;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientBefore;
        Array.Sort(latencies);
        double Percentile(double p) => latencies[Math.Clamp((int)Math.Ceiling(p / 100 * latencies.Length) - 1, 0, latencies.Length - 1)];
        // LoadResult counts "200" as success: here, the answer the phase expects.
        var counted = codes.GroupBy(c => c == "ok" ? "200" : c).ToDictionary(g => g.Key, g => (long)g.Count());
        return new LoadResult(name, wall, devices.Length, Percentile(50), Percentile(95), Percentile(99), latencies[^1], counted, 0, Exhausted: false)
        {
            ServerCores = serverCpu.TotalSeconds / wall,
            ClientCores = clientCpu.TotalSeconds / wall,
            LoadAverage = Machine.LoadAverage(),
        };
    }

    /// <summary>One device's connection: one request at a time, matched to its reply by clientToken.</summary>
    private sealed class BenchDevice : IAsyncDisposable
    {
        private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
        private readonly DeviceIdentity _identity;
        private TaskCompletionSource<int>? _pending;
        private string _pendingToken = "";

        public BenchDevice(DeviceIdentity identity)
        {
            _identity = identity;
            Client = new MqttClientFactory().CreateMqttClient();
            Client.ApplicationMessageReceivedAsync += e =>
            {
                var pending = _pending;
                if (pending is not null)
                {
                    using var reply = JsonDocument.Parse(e.ApplicationMessage.Payload);
                    if (reply.RootElement.TryGetProperty("clientToken", out var token) && token.ValueKind == JsonValueKind.String
                        && token.GetString() == _pendingToken && reply.RootElement.TryGetProperty("code", out var code))
                    {
                        pending.TrySetResult(code.GetInt32());
                    }
                }
                return Task.CompletedTask;
            };
        }

        public IMqttClient Client { get; }

        public async Task<string> ConnectAsync(int port)
        {
            var login = TencentMqttLogin.Of(_identity);
            var result = await Client.ConnectAsync(new MqttClientOptionsBuilder()
                .WithTcpServer("127.0.0.1", port)
                .WithClientId(login.ClientId)
                .WithCredentials(login.Username, login.Password)
                .WithCleanSession(true)
                .WithKeepAlivePeriod(TimeSpan.FromMinutes(10))
                .WithTimeout(TimeSpan.FromSeconds(30))
                .Build());
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                return "connack-" + result.ResultCode;
            }
            var subscribed = await Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(TencentMqttLogin.DownFilter(_identity), MqttQualityOfServiceLevel.AtLeastOnce).Build());
            return subscribed.Items.All(i => i.ResultCode <= MqttClientSubscribeResultCode.GrantedQoS2) ? "ok" : "suback-refused";
        }

        /// <summary>Publishes <paramref name="payload"/> and waits for the reply carrying <paramref name="clientToken"/>: "ok" when its code is <paramref name="expected"/>, else the code.</summary>
        public async Task<string> RequestAsync(string type, string payload, string clientToken, int expected)
        {
            var pending = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pendingToken = clientToken;
            _pending = pending;
            await Client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(TencentMqttLogin.UpTopic(type, _identity))
                .WithPayload(Encoding.UTF8.GetBytes(payload))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build());
            var code = await pending.Task.WaitAsync(ReplyTimeout);
            _pending = null;
            return code == expected ? "ok" : code.ToString(CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (Client.IsConnected)
                {
                    await Client.DisconnectAsync();
                }
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
            }
            Client.Dispose();
        }
    }
}
