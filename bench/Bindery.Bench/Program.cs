using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bindery.Bench;
using Bindery.Protocol;
using Bindery.TestSupport;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var workDir = Path.Combine(Path.GetTempPath(), $"bindery-bench-{Environment.ProcessId}");
Directory.CreateDirectory(workDir);
using var postgres = options.Store == "postgres" || options.Limits ? ThrowawayPostgres.Start("bindery-bench-pg-", durable: true, maxPoolSize: 64, sharedBuffers: "256MB") : null;
try
{
    Console.WriteLine($"Bindery benchmark, {DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss zzz}");
    Console.WriteLine($"machine: {Machine.Describe()}; load average at start {Machine.LoadAverage()}");
    if (options.Limits)
    {
        return await new Limits(options, workDir, postgres!).RunAsync();
    }
    var run = new BenchRun(options, workDir, postgres);
    return options.Scale ? await run.ScaleAsync() : await run.MainAsync();
}
finally
{
    try
    {
        Directory.Delete(workDir, recursive: true);
    }
    catch (IOException)
    {
        Console.Error.WriteLine($"could not delete {workDir}");
    }
}

/// <summary>The phases of one benchmark run.</summary>
internal sealed class BenchRun(BenchOptions options, string workDir, ThrowawayPostgres? postgres)
{
    private const string BindPath = "/v2/binding/enduserapi/v2/deviceBindingByWifi";
    private const string ListPath = "/v2/binding/enduserapi/userDeviceList?page=1&pageSize=10";
    private int _databases;

    public async Task<int> MainAsync()
    {
        if (options.OnlyMqtt)
        {
            return await MqttOnlyAsync();
        }
        var fixedCount = options.Rate * options.Duration;
        var warmCount = options.Warmup == 0 ? 0 : Math.Min(options.Devices / 10, 2_000 * options.Warmup);
        var timedCount = options.Devices - fixedCount - warmCount;
        if (timedCount < 1_000)
        {
            Console.Error.WriteLine(
                $"--devices {options.Devices} is too few: the fixed-rate phase needs {fixedCount} (--rate × --duration), the warm-up {warmCount}, " +
                "and the timed bind phase at least 1000 more (a device binds once).");
            return 2;
        }

        await using var server = await StartServerAsync();
        Console.WriteLine($"store: {await DescribeStoreAsync()}");
        Console.WriteLine($"server: Release build, pid {server.ProcessId}, {DescribeServerSettings()}");
        Console.WriteLine($"client: wrk, {options.Threads} threads, {options.Connections} connections, loopback {server.BaseUrl}");

        using var http = BenchTenant.CreateClient(server.BaseUrl, options.Connections);
        var tenant = new BenchTenant(http, AdminKey);
        await tenant.CreateDomainAsync();
        var pk = await tenant.CreateProductAsync("Bench plug");
        var clock = Stopwatch.StartNew();
        await tenant.ImportDevicesAsync(pk, 0, options.Devices);
        Console.WriteLine($"setup: imported {options.Devices:N0} devices in {clock.Elapsed.TotalSeconds:0.0} s ({options.Devices / clock.Elapsed.TotalSeconds:N0}/s, admin bulk import)");
        clock.Restart();
        var tokens = await tenant.CreateUsersAsync("bench", options.Users, Math.Min(options.Connections, 16));
        Console.WriteLine($"setup: {options.Users:N0} users registered and logged in in {clock.Elapsed.TotalSeconds:0.0} s");
        clock.Restart();
        var devices = Enumerable.Range(0, options.Devices).Select(i => (long)i).ToArray();
        var codes = await tenant.ReportCodesAsync(pk, devices, options.Connections);
        Console.WriteLine($"setup: {options.Devices:N0} devices reported their binding code in {clock.Elapsed.TotalSeconds:0.0} s " +
            $"({options.Devices / clock.Elapsed.TotalSeconds:N0} reports/s: signed device API, C# client, {options.Connections} concurrent; " +
            $"{tenant.ReportRetries:N0} answered 503 and were retried)");
        var (rssSeeded, _) = Machine.Memory(server.ProcessId);

        // Binds arrive in random device order, as in the field: sequential device keys would make concurrent binds
        // touch neighbouring index entries, which PostgreSQL's SERIALIZABLE predicate locks turn into conflicts.
        var order = Enumerable.Range(0, options.Devices).ToArray();
        new Random(6).Shuffle(order);
        string BindLine(int slot)
        {
            var device = order[slot];
            return $"{tokens[device % tokens.Length]}\t{BenchTenant.BindBody(pk, device, codes[device])}";
        }
        var wrk = new WrkRunner(server.BaseUrl, options.Threads, options.Connections, workDir, server.ProcessId);
        var warmSlice = wrk.WriteSlices("warm-binds", Enumerable.Range(0, warmCount).Select(BindLine));
        // With --webhooks the timed devices are split in five: the usual bind phase (webhooks off; not part of the
        // comparison: as the first timed phase it runs on the smallest store, measurably faster than any later phase),
        // then off, on, on, off, so the store's growth and a drift in what else the machine does weigh on both sides alike.
        var part = timedCount / 5;
        var offCount = options.Webhooks ? part : timedCount;
        var timedSlice = wrk.WriteSlices("binds", Enumerable.Range(warmCount, offCount).Select(BindLine));
        string[]? webhookSlices = options.Webhooks
            ? Enumerable.Range(1, 4).Select(i => wrk.WriteSlices($"webhook-binds-{i}", Enumerable.Range(warmCount + i * part, i == 4 ? timedCount - 4 * part : part).Select(BindLine))).ToArray()
            : null;
        var readSlice = wrk.WriteSlices("reads", tokens);
        using var receiver = options.Webhooks ? new WebhookReceiver() : null;

        if (options.Warmup > 0)
        {
            Console.WriteLine($"warm-up: {options.Warmup} s each of the bare endpoint, binds ({warmCount:N0} devices" +
                (receiver is null ? "" : ", with a webhook and its receiver, so the delivery path is compiled too") + ") and the device list");
            await wrk.RunAsync("warm-up noop", "cycle", "GET", "/bench/noop", null, options.Warmup);
            var warmHook = receiver is null ? null : await RegisterWebhookAsync(tenant, pk, receiver);
            var warm = await wrk.RunAsync("warm-up binds", "once", "POST", BindPath, warmSlice, options.Warmup);
            if (warmHook is not null)
            {
                await receiver!.WaitForAsync(warm.Succeeded, TimeSpan.FromSeconds(60));
                await tenant.AdminDeleteAsync($"/admin/v1/webhooks/{warmHook}");
            }
            await wrk.RunAsync("warm-up list", "cycle", "GET", ListPath, readSlice, options.Warmup);
        }

        var profiler = options.Profile ? new StoreProfiler(http, AdminKey) : null;
        Task<LoadResult> Measure(Func<Task<LoadResult>> phase) => profiler is null ? phase() : profiler.AroundAsync(phase);

        var results = new List<LoadResult>();
        var noop = await Measure(() => wrk.RunAsync("bare GET /bench/noop", "cycle", "GET", "/bench/noop", null, options.Duration));
        results.Add(noop);
        var binds = await Measure(() => wrk.RunAsync("Wi-Fi bind", "once", "POST", BindPath, timedSlice, options.Duration));
        results.Add(binds);
        var webhookPhases = webhookSlices is null ? null : await WebhookPhasesAsync(tenant, pk, wrk, receiver!, webhookSlices, Measure);
        if (webhookPhases is not null)
        {
            results.AddRange(webhookPhases);
        }
        var reads = await Measure(() => wrk.RunAsync("device list (read)", "cycle", "GET", ListPath, readSlice, options.Duration));
        results.Add(reads);
        var extra = await DevicePhasesAsync(server, http, wrk, Measure);
        results.AddRange(extra.Select(e => e.Result));
        LoadResult? fixedRate = null;
        if (options.Rate > 0)
        {
            var calls = Enumerable.Range(warmCount + timedCount, fixedCount).Select(slot => order[slot])
                .Select(d => new FixedRateRunner.ScheduledRequest(tokens[d % tokens.Length], Encoding.UTF8.GetBytes(BenchTenant.BindBody(pk, d, codes[d]))))
                .ToList();
            fixedRate = await Measure(() => new FixedRateRunner(server.BaseUrl, server.ProcessId)
                .RunAsync($"Wi-Fi bind at {options.Rate}/s", BindPath, calls, options.Rate));
            results.Add(fixedRate);
        }
        var (rss, peak) = Machine.Memory(server.ProcessId);

        Console.WriteLine();
        PrintTable(results);
        StoreProfiler.PrintTable(results);
        Console.WriteLine();
        Console.WriteLine($"binds/s ÷ bare req/s = {binds.SucceededPerSecond:N0} ÷ {noop.RequestsPerSecond:N0} = {binds.SucceededPerSecond / noop.RequestsPerSecond:P0}");
        foreach (var (result, what, _) in extra)
        {
            Console.WriteLine($"{what}/s ÷ bare req/s = {result.SucceededPerSecond:N0} ÷ {noop.RequestsPerSecond:N0} = {result.SucceededPerSecond / noop.RequestsPerSecond:P0}");
        }
        var bareCpu = noop.ServerCores / noop.RequestsPerSecond;
        Console.WriteLine("server CPU per request ÷ bare: " + string.Join(", ", results.Skip(1).Where(r => r.RequestsPerSecond > 0)
            .Select(r => $"{r.Name} {r.ServerCores / r.RequestsPerSecond / bareCpu:0.0}×")));
        Console.WriteLine($"server memory: VmRSS {rss:N0} MiB (after seeding {rssSeeded:N0} MiB), peak VmHWM {peak:N0} MiB");
        var bound = binds.Succeeded + (fixedRate?.Succeeded ?? 0);
        Console.WriteLine($"bindings made in the timed phases: {bound:N0} Wi-Fi" +
            $"{string.Concat(extra.Where(e => e.What == "token binds").Select(e => $", {e.Result.Succeeded:N0} Tencent token"))}; " +
            "errors are answers whose envelope code is not 200 (by code × count; Tencent answers by Error.Code)");
        foreach (var (result, _, option) in extra.Where(e => e.Result.Exhausted))
        {
            Console.WriteLine($"WARNING: the {result.Name} phase ran out of prepared requests before {options.Duration} s: rerun with a larger {option}.");
        }
        if (binds.Exhausted || webhookPhases?.Any(p => p.Exhausted) == true)
        {
            Console.WriteLine(
                $"WARNING: the bind phase ran out of devices ({timedCount:N0}) before {options.Duration} s: its binds/s is too low. " +
                $"Rerun with more --devices (binds/s × --duration + {fixedCount + warmCount:N0}) or a shorter --duration.");
            return 3;
        }
        return options.MqttDevices > 0 ? await new MqttPhase(options, server, tenant).RunAsync(tokens) : 0;
    }

    /// <summary>
    /// <c>--webhooks</c>: after the usual bind phase, four more on devices of their own: off, on (a webhook for the bind
    /// product, every event kind, delivered to the receiver on loopback), on again, off (the webhook deleted). Prints
    /// each round's figures (round 1: the first off and on; round 2: the second on and off) and the ratio of the two
    /// "on" phases over the two "off" phases together, and how long delivery lagged behind. No webhook is left, so the later phases run as without <c>--webhooks</c>.
    /// </summary>
    private async Task<List<LoadResult>> WebhookPhasesAsync(
        BenchTenant tenant, string pk, WrkRunner wrk, WebhookReceiver receiver, string[] slices,
        Func<Func<Task<LoadResult>>, Task<LoadResult>> measure)
    {
        var phases = new List<LoadResult>();
        var lags = new List<string>();
        async Task<LoadResult> OnAsync(string name, string slice)
        {
            var before = receiver.Received;
            var id = await RegisterWebhookAsync(tenant, pk, receiver);
            var on = await measure(() => wrk.RunAsync(name, "once", "POST", BindPath, slice, options.Duration));
            var lag = await receiver.WaitForAsync(before + on.Succeeded, TimeSpan.FromSeconds(60));
            await tenant.AdminDeleteAsync($"/admin/v1/webhooks/{id}");
            lags.Add(lag is null
                ? $"{name}: the receiver got {receiver.Received - before:N0} of {on.Succeeded:N0} bound events within 60 s after the phase"
                : $"{name}: the receiver got all {on.Succeeded:N0} bound events (signed POSTs, 200) {lag.Value.TotalSeconds:0.0} s after the phase ended");
            return on;
        }
        // off, on, on, off: the store grows and the machine drifts over the run, so each phase runs a little slower than
        // the one before it; in this order both sides sit on average at the same place, and a steady drift cancels in
        // "both rounds" (off, on, off, on would put "on" one phase later on average, and count the drift against it).
        phases.Add(await measure(() => wrk.RunAsync("Wi-Fi bind, webhooks off", "once", "POST", BindPath, slices[0], options.Duration)));
        phases.Add(await OnAsync("Wi-Fi bind, webhooks on", slices[1]));
        phases.Add(await OnAsync("Wi-Fi bind, webhooks on (2)", slices[2]));
        phases.Add(await measure(() => wrk.RunAsync("Wi-Fi bind, webhooks off (2)", "once", "POST", BindPath, slices[3], options.Duration)));

        double Rate(params LoadResult[] r) => r.Sum(x => x.Succeeded) / r.Sum(x => x.Seconds);
        double CpuMicros(params LoadResult[] r) => r.Sum(x => x.ServerCores * x.Seconds) / r.Sum(x => x.Succeeded) * 1e6;
        LoadResult[] off = [phases[0], phases[3]], on = [phases[1], phases[2]];
        for (var round = 0; round < 2; round++)
        {
            Console.WriteLine(
                $"webhooks, round {round + 1}: binds/s off {Rate(off[round]):N0}, on {Rate(on[round]):N0} (on ÷ off = {Rate(on[round]) / Rate(off[round]):P1}); " +
                $"server CPU per bind off {CpuMicros(off[round]):N0} µs, on {CpuMicros(on[round]):N0} µs");
        }
        Console.WriteLine(
            $"webhooks, both rounds: binds/s off {Rate(off):N0}, on {Rate(on):N0} (on ÷ off = {Rate(on) / Rate(off):P1}); " +
            $"server CPU per bind off {CpuMicros(off):N0} µs, on {CpuMicros(on):N0} µs (on ÷ off = {CpuMicros(on) / CpuMicros(off):P1})");
        lags.ForEach(l => Console.WriteLine("webhooks, " + l));
        return phases;
    }

    /// <summary>A webhook for the bench product delivering every event kind to the receiver; returns its id.</summary>
    private static async Task<string> RegisterWebhookAsync(BenchTenant tenant, string pk, WebhookReceiver receiver)
    {
        var webhook = await tenant.AdminPostAsync("/admin/v1/webhooks", new { url = receiver.Url, pk });
        return webhook.GetProperty("webhook").GetProperty("id").GetString()!;
    }

    /// <summary>
    /// The device-side phases and the Tencent token bind, each with its own set-up: device code reports
    /// (<c>--reports</c>), bind-token reports (<c>--token-reports</c>) and <c>AppTokenBindDeviceFamily</c>
    /// (<c>--token-binds</c>). Their devices are their own (products of their own), so no bind device is touched.
    /// </summary>
    private async Task<List<(LoadResult Result, string What, string Option)>> DevicePhasesAsync(
        ServerProcess server, HttpClient http, WrkRunner wrk, Func<Func<Task<LoadResult>>, Task<LoadResult>> measure)
    {
        var phases = new List<(LoadResult, string, string)>();
        var tenant = new BenchTenant(http, AdminKey);
        if (options.Reports > 0)
        {
            await tenant.CreateDomainAsync();
            var pk = await tenant.CreateProductAsync("Report plug");
            var devices = Math.Min(options.Reports, 10_000);
            await tenant.ImportDevicesAsync(pk, ReportDeviceBase, devices);
            // Signed now, sent within the server's 5-minute clock skew: each with its own nonce, as a device sends them.
            var clock = Stopwatch.StartNew();
            var slice = wrk.WriteSlices("reports", Enumerable.Range(0, options.Reports).Select(i =>
            {
                var (dk, _, secret) = BenchTenant.DeviceOf(ReportDeviceBase + i % devices);
                return BenchTenant.SignedLine(new DeviceIdentity(pk, dk, secret), DeviceApiRoutes.BindingCode, BenchTenant.CodeReportBody(BenchTenant.NewCode()));
            }));
            Console.WriteLine($"setup: {options.Reports:N0} code reports of {devices:N0} devices signed in {clock.Elapsed.TotalSeconds:0.0} s");
            phases.Add((await measure(() => wrk.RunAsync("device code report", "once", "POST", DeviceApiRoutes.BindingCode, slice, options.Duration)),
                "code reports", "--reports"));
        }
        if (options.TokenReports == 0 && options.TokenBinds == 0)
        {
            return phases;
        }
        if (options.TokenBinds > 200 * options.Users)
        {
            throw new ArgumentException($"--token-binds {options.TokenBinds} is more than the users' families hold (200 devices each × --users {options.Users})");
        }
        // The Tencent token flow binds into a family: a home-mode user domain, its users, a family each.
        var home = new BenchTenant(http, AdminKey);
        await home.CreateDomainAsync(homeMode: true);
        var tokenPk = await home.CreateTokenProductAsync("Token light");
        var reportDevices = Math.Min(options.TokenReports, 10_000);
        var setup = Stopwatch.StartNew();
        await home.ImportDevicesAsync(tokenPk, TokenDeviceBase, options.TokenBinds + reportDevices, BenchTenant.MqttDeviceOf);
        var users = await home.CreateUsersAsync("home", options.Users, Math.Min(options.Connections, 16));
        var families = await home.CreateFamiliesAsync(users, Math.Min(options.Connections, 16));
        Console.WriteLine($"setup: TOKEN product with {options.TokenBinds + reportDevices:N0} devices, {options.Users:N0} home-mode users with a family each in {setup.Elapsed.TotalSeconds:0.0} s");
        setup.Restart();
        var reportTokens = await home.CreateBindTokensAsync(users, options.TokenReports, options.Connections);
        var bindTokens = await home.CreateBindTokensAsync(users, options.TokenBinds, options.Connections);
        Console.WriteLine($"setup: {options.TokenReports + options.TokenBinds:N0} bind tokens created (AppCreateDeviceBindToken) in {setup.Elapsed.TotalSeconds:0.0} s " +
            $"({(options.TokenReports + options.TokenBinds) / setup.Elapsed.TotalSeconds:N0}/s)");
        setup.Restart();
        await home.ReportBindTokensAsync(tokenPk, Enumerable.Range(0, options.TokenBinds).Select(j => TokenDeviceBase + j).ToArray(), bindTokens, options.Connections);
        Console.WriteLine($"setup: {options.TokenBinds:N0} tokens reported by their devices in {setup.Elapsed.TotalSeconds:0.0} s (signed device API, C# client)");
        if (options.TokenReports > 0)
        {
            var slice = wrk.WriteSlices("token-reports", Enumerable.Range(0, options.TokenReports).Select(i =>
            {
                var (dk, _, secret) = BenchTenant.MqttDeviceOf(TokenDeviceBase + options.TokenBinds + i % reportDevices);
                return BenchTenant.SignedLine(new DeviceIdentity(tokenPk, dk, secret), DeviceApiRoutes.BindToken, $$"""{"token":"{{reportTokens[i]}}"}""");
            }));
            phases.Add((await measure(() => wrk.RunAsync("bind-token report", "once", "POST", DeviceApiRoutes.BindToken, slice, options.Duration)),
                "token reports", "--token-reports"));
        }
        if (options.TokenBinds > 0)
        {
            // In random device order, like the Wi-Fi binds.
            var order = Enumerable.Range(0, options.TokenBinds).ToArray();
            new Random(15).Shuffle(order);
            var slice = wrk.WriteSlices("token-binds", order.Select(j =>
            {
                var user = j % users.Length;
                var body = JsonSerializer.Serialize(new
                {
                    Action = "AppTokenBindDeviceFamily",
                    RequestId = "b" + j.ToString(CultureInfo.InvariantCulture),
                    AccessToken = users[user],
                    Token = bindTokens[j],
                    ProductId = tokenPk,
                    DeviceName = BenchTenant.MqttDeviceOf(TokenDeviceBase + j).Dk,
                    FamilyId = families[user],
                });
                return "\t" + body;
            }));
            phases.Add((await measure(() => wrk.RunAsync("Tencent token bind", "once", "POST", TokenApiPath, slice, options.Duration)),
                "token binds", "--token-binds"));
        }
        return phases;
    }

    /// <summary>Device numbers of the code-report product and the TOKEN product: apart from the bind devices' keys.</summary>
    private const long ReportDeviceBase = 100_000_000;
    private const long TokenDeviceBase = 50_000_000;
    private const string TokenApiPath = "/api/exploreropen/tokenapi";

    /// <summary><c>--only-mqtt</c>: a fresh server, a domain and users, then the MQTT phase alone.</summary>
    private async Task<int> MqttOnlyAsync()
    {
        if (options.MqttDevices == 0)
        {
            Console.Error.WriteLine("--only-mqtt with --mqtt-devices 0 measures nothing");
            return 2;
        }
        await using var server = await StartServerAsync();
        Console.WriteLine($"store: {await DescribeStoreAsync()}");
        Console.WriteLine($"server: Release build, pid {server.ProcessId}, {DescribeServerSettings()}");
        using var http = BenchTenant.CreateClient(server.BaseUrl, options.Connections);
        var tenant = new BenchTenant(http, AdminKey);
        await tenant.CreateDomainAsync();
        var clock = Stopwatch.StartNew();
        var tokens = await tenant.CreateUsersAsync("bench", options.Users, Math.Min(options.Connections, 16));
        Console.WriteLine($"setup: {options.Users:N0} users registered and logged in in {clock.Elapsed.TotalSeconds:0.0} s");
        return await new MqttPhase(options, server, tenant).RunAsync(tokens);
    }

    /// <summary>Bind latency with a small and a large registry, and the server's memory with the large one.</summary>
    public async Task<int> ScaleAsync()
    {
        const int warmDevices = 2_000;
        var rows = new List<(int Size, LoadResult Result, double RssMb, double PeakMb, double ImportSeconds, string DbSize)>();
        foreach (var size in options.ScaleSizes)
        {
            var binds = Math.Min(options.ScaleBinds, size);
            Console.WriteLine();
            Console.WriteLine($"--- registry of {size:N0} devices ---");
            await using var server = await StartServerAsync();
            if (rows.Count == 0)
            {
                Console.WriteLine($"store: {await DescribeStoreAsync()}");
                Console.WriteLine($"server: Release build, {DescribeServerSettings()}");
            }
            using var http = BenchTenant.CreateClient(server.BaseUrl, options.Connections);
            var tenant = new BenchTenant(http, AdminKey);
            await tenant.CreateDomainAsync();
            var pk = await tenant.CreateProductAsync("Bench plug");
            var warmPk = await tenant.CreateProductAsync("Warm-up plug");
            var clock = Stopwatch.StartNew();
            await tenant.ImportDevicesAsync(pk, 0, size);
            var importSeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"imported {size:N0} devices in {importSeconds:0.0} s; server VmRSS {Machine.Memory(server.ProcessId).RssMb:N0} MiB");
            await tenant.ImportDevicesAsync(warmPk, 0, warmDevices);
            var tokens = await tenant.CreateUsersAsync("scale", 100, 16);
            // Devices spread evenly over the registry, so the binds touch the whole index, not one end of it.
            var picked = Enumerable.Range(0, binds).Select(i => (long)i * size / binds).ToArray();
            var codes = await tenant.ReportCodesAsync(pk, picked, options.Connections);
            var warmCodes = await tenant.ReportCodesAsync(warmPk, Enumerable.Range(0, warmDevices).Select(i => (long)i).ToArray(), options.Connections);

            var wrk = new WrkRunner(server.BaseUrl, options.Threads, options.Connections, workDir, server.ProcessId);
            await wrk.RunAsync("warm-up noop", "cycle", "GET", "/bench/noop", null, 2);
            var runner = new FixedRateRunner(server.BaseUrl, server.ProcessId);
            await runner.RunAsync("warm-up binds", BindPath,
                Enumerable.Range(0, warmDevices).Select(i => Call(tokens, i, warmPk, i, warmCodes[i])).ToList(), options.ScaleRate);
            var result = await runner.RunAsync($"{binds:N0} binds at {options.ScaleRate}/s, {size:N0} registered", BindPath,
                Enumerable.Range(0, binds).Select(i => Call(tokens, i, pk, picked[i], codes[i])).ToList(), options.ScaleRate);
            var (rss, peak) = Machine.Memory(server.ProcessId);
            PrintTable([result]);
            Console.WriteLine($"server memory: VmRSS {rss:N0} MiB, peak VmHWM {peak:N0} MiB");
            rows.Add((size, result, rss, peak, importSeconds, await DatabaseSizeAsync()));
        }

        Console.WriteLine();
        Console.WriteLine($"{"registered",12} {"binds/s",8} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"errors",8} {"VmRSS MiB",10} {"VmHWM MiB",10} {"import s",9} {"database",10}");
        foreach (var (size, result, rss, peak, import, db) in rows)
        {
            Console.WriteLine($"{size,12:N0} {result.SucceededPerSecond,8:N0} {result.P50Ms,8:0.00} {result.P95Ms,8:0.00} {result.P99Ms,8:0.00} {result.ErrorSummary,8} {rss,10:N0} {peak,10:N0} {import,9:0.0} {db,10}");
        }
        if (rows.Count >= 2)
        {
            var (small, large) = (rows[0].Result, rows[^1].Result);
            Console.WriteLine($"largest vs smallest registry: p50 {large.P50Ms / small.P50Ms:P0}, p95 {large.P95Ms / small.P95Ms:P0}, p99 {large.P99Ms / small.P99Ms:P0} of the small registry's latency");
        }
        return 0;
    }

    private static FixedRateRunner.ScheduledRequest Call(string[] tokens, int i, string pk, long device, string code) =>
        new(tokens[i % tokens.Length], Encoding.UTF8.GetBytes(BenchTenant.BindBody(pk, device, code)));

    private string AdminKey { get; } = "bench-admin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private string? _connectionString;
    private string _dataDir = "";

    private async Task<ServerProcess> StartServerAsync()
    {
        _dataDir = Path.Combine(workDir, $"data-{++_databases}");
        var settings = new Dictionary<string, string?>
        {
            ["Bindery:DataDir"] = _dataDir,
            ["Bindery:AdminKey"] = AdminKey,
            ["Bindery:SeedDemo"] = "false",
            // Logins are set-up here, not what is measured: a cheaper password hash keeps a thousand of them quick.
            ["Bindery:Accounts:PasswordHashIterations"] = "1000",
            // The benchmark registers thousands of users in one domain at once.
            ["Bindery:Accounts:RegistrationsPerUserDomain"] = "10000000",
            // The harness quiets the server for tests; the benchmark measures the shipped logging (appsettings.json).
            ["Logging:LogLevel:Default"] = "Information",
            ["Storage:Provider"] = options.Store,
            ["Storage:Synchronous"] = options.Synchronous,
        };
        if (options.Profile)
        {
            settings["Storage:Profile"] = "true";
        }
        if (options.Webhooks)
        {
            // The benchmark's receiver listens on loopback.
            settings["Webhooks:AllowPrivateNetworks"] = "true";
        }
        if (postgres is not null)
        {
            _connectionString = postgres.ConnectionString(postgres.CreateDatabase($"bindery_bench_{_databases}"))
                + (options.PgOptions.Length > 0 ? ";" + options.PgOptions : "");
            settings["Storage:ConnectionString"] = _connectionString;
        }
        foreach (var (key, value) in options.ServerSettings)
        {
            settings[key] = value;
        }
        return await ServerProcess.StartAsync(settings, TimeSpan.FromSeconds(120));
    }

    private Task<string> DescribeStoreAsync() => Task.FromResult(postgres is null
        ? $"sqlite (WAL, synchronous={options.Synchronous}: an acknowledged write is fsynced; group commit), file on {DescribeFileSystem(workDir)}"
        : $"postgres ({postgres.DurabilitySettings()}; binds at row locks, other writes SERIALIZABLE; same machine{(options.PgOptions.Length > 0 ? "; connection " + options.PgOptions : "")})");

    private string DescribeServerSettings()
    {
        var extra = options.ServerSettings.Count == 0 ? "shipped settings" : string.Join(", ", options.ServerSettings.Select(s => $"{s.Key}={s.Value}"));
        return $"{extra}; password hash iterations 1000 (set-up only)";
    }

    private async Task<string> DatabaseSizeAsync()
    {
        if (postgres is not null)
        {
            return $"{await ThrowawayPostgres.DatabaseSizeBytesAsync(_connectionString!) / 1048576.0:N0} MiB";
        }
        var bytes = Directory.EnumerateFiles(_dataDir, "bindery.db*").Sum(f => new FileInfo(f).Length);
        return $"{bytes / 1048576.0:N0} MiB";
    }

    private static string DescribeFileSystem(string path)
    {
        var best = "";
        var type = "?";
        if (File.Exists("/proc/mounts"))
        {
            foreach (var line in File.ReadLines("/proc/mounts"))
            {
                var parts = line.Split(' ');
                if (parts.Length > 2 && path.StartsWith(parts[1], StringComparison.Ordinal) && parts[1].Length > best.Length)
                {
                    (best, type) = (parts[1], parts[2]);
                }
            }
        }
        return $"{type} ({best})";
    }

    internal static void PrintTable(IEnumerable<LoadResult> results)
    {
        Console.WriteLine($"{"phase",-28} {"ok/s",8} {"req/s",8} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8} {"server CPU",10} {"CPU µs/req",10} {"client CPU",10} {"load",5}  errors");
        foreach (var r in results)
        {
            Console.WriteLine($"{r.Name,-28} {r.SucceededPerSecond,8:N0} {r.RequestsPerSecond,8:N0} {r.P50Ms,8:0.00} {r.P95Ms,8:0.00} {r.P99Ms,8:0.00} {r.MaxMs,8:0.0} {r.ServerCores,9:0.00}c {r.ServerCores / r.RequestsPerSecond * 1e6,10:N0} {r.ClientCores,9:0.00}c {r.LoadAverage,5}  {r.ErrorSummary}");
        }
    }
}
