using System.Diagnostics;
using System.Diagnostics.Metrics;
using Bindery.Infrastructure;
using Bindery.Mqtt;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Observability;

/// <summary>
/// The instruments of the <c>Bindery</c> meter owned by the metrics feature (docs/operations.md): binds and unbinds
/// by dialect, method, outcome and catalogued code; device reports by kind and transport; the MQTT broker's
/// connections and pending pushes; the store's write-transaction duration and write queue. Tag values come from
/// fixed sets (method and kind names, catalogued codes): never an id, key, code, token or URL.
/// </summary>
public sealed class BinderyMetrics
{
    public const string MeterName = "Bindery";

    /// <summary>The activity source of Bindery's own spans (a bind's or unbind's decision).</summary>
    public static readonly ActivitySource ActivitySource = new(MeterName);

    public static class Dialects
    {
        public const string Quectel = "quectel";
        public const string Tencent = "tencent";
        public const string Device = "device";
    }

    public static class Transports
    {
        public const string Http = "http";
        public const string Mqtt = "mqtt";
    }

    public static class Outcomes
    {
        public const string Bound = "bound";
        public const string Unbound = "unbound";
        public const string Accepted = "accepted";
        public const string Refused = "refused";
    }

    /// <summary>How long a pending-pushes count read from the store is reused before a scrape reads it again.</summary>
    public static readonly TimeSpan PendingPushesRefresh = TimeSpan.FromSeconds(15);

    /// <summary>Write transactions take from tens of microseconds (SQLite, a few rows) to seconds (a stalled disk or lock wait).</summary>
    private static readonly double[] WriteDurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _binds;
    private readonly Counter<long> _unbinds;
    private readonly Counter<long> _deviceReports;
    private readonly IDatabase _db;
    private readonly MqttConnections _connections;
    private readonly IOptions<MqttOptions> _mqtt;
    private readonly TimeProvider _clock;
    private readonly ILogger<BinderyMetrics> _logger;
    private readonly BindRates _rates;
    private long _pendingPushes = -1;
    private long _pendingReadAt;
    private int _pendingReading;

    public BinderyMetrics(IMeterFactory meters, IDatabase db, MqttConnections connections, IOptions<MqttOptions> mqtt, TimeProvider clock,
        ILogger<BinderyMetrics> logger, BindRates rates)
    {
        _rates = rates;
        _db = db;
        _connections = connections;
        _mqtt = mqtt;
        _clock = clock;
        _logger = logger;
        var meter = meters.Create(MeterName);
        _binds = meter.CreateCounter<long>("bindery.binds", "{bind}",
            "Bind attempts by dialect, method, outcome (bound, refused) and catalogued code (0 when bound)");
        _unbinds = meter.CreateCounter<long>("bindery.unbinds", "{unbind}",
            "Unbind attempts by dialect, outcome (unbound, refused) and catalogued code (0 when unbound)");
        _deviceReports = meter.CreateCounter<long>("bindery.device.reports", "{report}",
            "Device API operations (HTTP and MQTT) by kind, transport, outcome (accepted, refused) and catalogued code");
        meter.CreateObservableGauge("bindery.mqtt.connections", () => (long)_connections.HeldCount, "{connection}",
            "Devices connected to this node's MQTT broker");
        meter.CreateObservableGauge("bindery.mqtt.pushes.pending", PendingPushes, "{push}",
            "Pushes to devices not yet delivered and not expired, in the whole store (every node reports the same count)");
        var store = db.Profile;
        store.RecordWriteDurationsIn(meter.CreateHistogram("bindery.store.write.duration", "s",
            "Duration of one write transaction including its commit (SQLite: one group-commit batch; PostgreSQL: one attempt)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WriteDurationBuckets }));
        meter.CreateObservableGauge("bindery.store.write.queue", WriteQueue, "{operation}",
            "Write operations queued for the SQLite writer or in its current transaction (not reported on PostgreSQL, which has no write queue)");
    }

    /// <summary>Counts a bind attempt's outcome; <paramref name="refusal"/> null when the device was bound.</summary>
    public void Bind(string dialect, string method, ErrorDef? refusal)
    {
        var outcome = refusal is null ? Outcomes.Bound : Outcomes.Refused;
        var code = CodeOf(refusal);
        _binds.Add(1, new TagList
        {
            { "dialect", dialect },
            { "method", method },
            { "outcome", outcome },
            { "code", code },
        });
        // The console's per-minute dashboard of this node (docs/console.md), from the same tag values.
        _rates.Record(method, outcome, code);
    }

    /// <summary>Counts an unbind attempt's outcome; <paramref name="refusal"/> null when the binding ended.</summary>
    public void Unbind(string dialect, ErrorDef? refusal) =>
        _unbinds.Add(1, new TagList
        {
            { "dialect", dialect },
            { "outcome", refusal is null ? Outcomes.Unbound : Outcomes.Refused },
            { "code", CodeOf(refusal) },
        });

    /// <summary>Counts a device API operation of <paramref name="kind"/> (one of <see cref="DeviceReportKinds"/>).</summary>
    public void DeviceReport(string kind, string transport, ErrorDef? refusal) =>
        _deviceReports.Add(1, new TagList
        {
            { "kind", kind },
            { "transport", transport },
            { "outcome", refusal is null ? Outcomes.Accepted : Outcomes.Refused },
            { "code", CodeOf(refusal) },
        });

    /// <summary>Counts an MQTT message's operation; its method (device-chosen text) is mapped onto the fixed kinds.</summary>
    public void MqttDeviceMessage(string? method, ErrorDef? refusal) =>
        DeviceReport(DeviceReportKinds.OfMqttMethod(method), Transports.Mqtt, refusal);

    /// <summary>"0" for success, else the catalogued numeric code (one string per catalog entry, not allocated per call).</summary>
    private static string CodeOf(ErrorDef? refusal) => refusal is null ? "0" : CodeStrings.Of(refusal);

    private IEnumerable<Measurement<long>> WriteQueue()
    {
        if (_db.Profile.QueueDepth is { } depth)
        {
            yield return new Measurement<long>(depth, new KeyValuePair<string, object?>("store", _db.Profile.Store));
        }
    }

    /// <summary>
    /// The last count read (none until the first read finished); a scrape that finds it older than
    /// <see cref="PendingPushesRefresh"/> starts one read in the background, so a scrape never waits on the store.
    /// </summary>
    private IEnumerable<Measurement<long>> PendingPushes()
    {
        var now = Stopwatch.GetTimestamp();
        var readAt = Interlocked.Read(ref _pendingReadAt);
        if ((readAt == 0 || Stopwatch.GetElapsedTime(readAt, now) >= PendingPushesRefresh)
            && Interlocked.CompareExchange(ref _pendingReading, 1, 0) == 0)
        {
            _ = Task.Run(ReadPendingPushesAsync);
        }
        var pending = Interlocked.Read(ref _pendingPushes);
        if (pending >= 0)
        {
            yield return new Measurement<long>(pending);
        }
    }

    private async Task ReadPendingPushesAsync()
    {
        try
        {
            var cutoff = _clock.GetUtcNow().ToUnixTimeMilliseconds() - (long)_mqtt.Value.PushLifetime.TotalMilliseconds;
            var count = await _db.ReadAsync(c => c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM device_pushes WHERE delivered_at IS NULL AND created_at > @Cutoff", new { Cutoff = cutoff }));
            Interlocked.Exchange(ref _pendingPushes, count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("Metrics: could not count pending device pushes ({ExceptionType})", e.GetType().Name);
        }
        finally
        {
            Interlocked.Exchange(ref _pendingReadAt, Stopwatch.GetTimestamp());
            Interlocked.Exchange(ref _pendingReading, 0);
        }
    }

    /// <summary>The catalogued codes as strings, computed once.</summary>
    private static class CodeStrings
    {
        private static readonly Dictionary<ErrorDef, string> Strings = Errors.All.ToDictionary(
            e => e, e => e.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));

        public static string Of(ErrorDef error) =>
            Strings.TryGetValue(error, out var text) ? text : error.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>The <c>kind</c> tag of <c>bindery.device.reports</c>: one per device API operation, whatever the transport.</summary>
public static class DeviceReportKinds
{
    public const string Code = "code";
    public const string Secret = "secret";
    public const string Reset = "reset";
    public const string AuthKey = "auth_key";
    public const string PairingWindow = "pairing_window";
    public const string Token = "token";
    public const string State = "state";

    /// <summary>An MQTT method that names no operation (refused as unsupported).</summary>
    public const string Other = "other";

    public static string OfMqttMethod(string? method) => method switch
    {
        MqttDeviceMessages.Methods.ReportBindingCode => Code,
        MqttDeviceMessages.Methods.ReportBindingSecret => Secret,
        MqttDeviceMessages.Methods.Reset or MqttDeviceMessages.UnbindDeviceRequest => Reset,
        MqttDeviceMessages.Methods.VerifyAuthKey => AuthKey,
        MqttDeviceMessages.Methods.OpenPairingWindow => PairingWindow,
        MqttDeviceMessages.Methods.ReportBindToken or MqttDeviceMessages.AppBindToken => Token,
        MqttDeviceMessages.Methods.GetBindingState => State,
        _ => Other,
    };
}
