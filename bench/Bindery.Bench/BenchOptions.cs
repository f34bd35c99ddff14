using System.Globalization;

namespace Bindery.Bench;

/// <summary>Command-line options of the benchmark (<c>./bench.sh --help</c>).</summary>
public sealed class BenchOptions
{
    public string Store { get; private set; } = "sqlite";

    public int Devices { get; private set; } = 100_000;

    public int Duration { get; private set; } = 10;

    public int Warmup { get; private set; } = 3;

    public int Connections { get; private set; } = 32;

    public int Threads { get; private set; } = 2;

    public int Users { get; private set; } = 1_000;

    /// <summary>Binds per second of the fixed-rate latency phase; 0 skips it.</summary>
    public int Rate { get; private set; } = 2_000;

    /// <summary>SQLite PRAGMA synchronous (FULL is the shipped, crash- and power-loss-safe default).</summary>
    public string Synchronous { get; private set; } = "FULL";

    public bool Scale { get; private set; }

    /// <summary>Registry sizes compared by <c>--scale</c>.</summary>
    public IReadOnlyList<int> ScaleSizes { get; private set; } = [1_000, 1_000_000];

    /// <summary>Binds measured at each registry size, and their fixed rate.</summary>
    public int ScaleBinds { get; private set; } = 1_000;

    public int ScaleRate { get; private set; } = 500;

    /// <summary>Extra server settings (<c>--server Section:Key=value</c>) for side-by-side experiments.</summary>
    public Dictionary<string, string?> ServerSettings { get; } = [];

    /// <summary>Appended to the server's PostgreSQL connection string, e.g. <c>Max Auto Prepare=64</c>.</summary>
    public string PgOptions { get; private set; } = "";

    public bool Help { get; private set; }

    /// <summary>
    /// The webhook comparison: the timed bind phase is split in four quarters over devices of their own, alternately
    /// with webhooks off and with a webhook registered for the product and a receiver on loopback answering 200.
    /// </summary>
    public bool Webhooks { get; private set; }

    /// <summary>Tencent-protocol devices of the MQTT phase (held connected at once); 0 skips it.</summary>
    public int MqttDevices { get; private set; } = 10_000;

    /// <summary>MQTT connects / requests in flight at once.</summary>
    public int MqttConcurrency { get; private set; } = 256;

    /// <summary>Pre-signed device code reports of the timed report phase (each with its own nonce); 0 skips it.</summary>
    public int Reports => _reports ?? (Store == "postgres" ? 20_000 : 200_000);

    /// <summary>Bind tokens created in the set-up and reported by devices in the timed token-report phase; 0 skips it.</summary>
    public int TokenReports => _tokenReports ?? (Store == "postgres" ? 10_000 : 100_000);

    /// <summary>Tencent token binds (AppTokenBindDeviceFamily) prepared in the set-up (a device and a reported token each); 0 skips it.</summary>
    public int TokenBinds => _tokenBinds ?? (Store == "postgres" ? 5_000 : 50_000);

    // Sized by store when not given: PostgreSQL's set-up (a token created, and for a bind reported, per request) runs
    // at a few hundred writes/s today, and the tokens live 10 minutes.
    private int? _reports;
    private int? _tokenReports;
    private int? _tokenBinds;

    /// <summary>Reads the server's store counters around each phase and prints where a request's time goes.</summary>
    public bool Profile { get; private set; }

    /// <summary>Measures the machine's physical limits instead: a bare SQLite group commit and pgbench.</summary>
    public bool Limits { get; private set; }

    /// <summary>Only the MQTT phase (with its own set-up).</summary>
    public bool OnlyMqtt { get; private set; }

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Number() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 0
                ? n
                : throw new ArgumentException($"{name} needs a non-negative whole number");
            switch (name)
            {
                case "--store":
                    options.Store = Value().ToLowerInvariant() switch
                    {
                        "sqlite" => "sqlite",
                        "postgres" or "postgresql" or "pg" => "postgres",
                        var other => throw new ArgumentException($"--store is sqlite or postgres, not '{other}'"),
                    };
                    break;
                case "--devices": options.Devices = Number(); break;
                case "--duration": options.Duration = Math.Max(1, Number()); break;
                case "--warmup": options.Warmup = Number(); break;
                case "--connections": options.Connections = Math.Max(1, Number()); break;
                case "--threads": options.Threads = Math.Max(1, Number()); break;
                case "--users": options.Users = Math.Max(1, Number()); break;
                case "--rate": options.Rate = Number(); break;
                case "--synchronous":
                    var synchronous = Value().ToUpperInvariant();
                    options.Synchronous = synchronous is "FULL" or "NORMAL" or "EXTRA"
                        ? synchronous
                        : throw new ArgumentException("--synchronous is FULL, NORMAL or EXTRA");
                    break;
                case "--scale": options.Scale = true; break;
                case "--scale-sizes":
                    options.ScaleSizes = Value().Split(',').Select(v => int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture)).ToList();
                    break;
                case "--scale-binds": options.ScaleBinds = Math.Max(1, Number()); break;
                case "--scale-rate": options.ScaleRate = Math.Max(1, Number()); break;
                case "--server":
                    var setting = Value();
                    var eq = setting.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException("--server takes Section:Key=value");
                    }
                    options.ServerSettings[setting[..eq]] = setting[(eq + 1)..];
                    break;
                case "--pg-options": options.PgOptions = Value(); break;
                case "--mqtt-devices": options.MqttDevices = Number(); break;
                case "--mqtt-concurrency": options.MqttConcurrency = Math.Max(1, Number()); break;
                case "--only-mqtt": options.OnlyMqtt = true; break;
                case "--reports": options._reports = Number(); break;
                case "--token-reports": options._tokenReports = Number(); break;
                case "--token-binds": options._tokenBinds = Number(); break;
                case "--profile": options.Profile = true; break;
                case "--webhooks": options.Webhooks = true; break;
                case "--limits": options.Limits = true; break;
                case "-h" or "--help": options.Help = true; break;
                default: throw new ArgumentException($"unknown option '{name}' (see --help)");
            }
        }
        if (options.Connections < options.Threads)
        {
            throw new ArgumentException("--connections must be at least --threads (wrk gives each thread its share of connections)");
        }
        return options;
    }

    public const string Usage =
        """
        Bindery benchmark: a fresh server (Release build) on loopback, a seeded tenant, then wrk over real HTTP.

          ./bench.sh [--store sqlite|postgres] [--devices N] [--duration S] [--connections C] [options]
          ./bench.sh --scale [--store ...]          registry scale: bind latency at 1,000 vs 1,000,000 devices, server memory
          ./bench.sh --only-mqtt [--mqtt-devices N] the MQTT phase alone (its own server, users and devices)
          ./bench.sh --limits [--duration S]        the machine's physical limits: a bare SQLite group commit of bind-sized
                                                    rows (synchronous=FULL) and pgbench on the durable throwaway cluster

          --store sqlite|postgres   store (default sqlite; postgres starts a throwaway durable cluster from Debian's binaries)
          --devices N               devices registered through the admin bulk import (default 100000); each reports a code
                                    in the set-up and binds once (warm-up, timed bind phase, fixed rate)
          --duration S              seconds of each timed phase: bare endpoint, binds, read path, reports, token phases,
                                    fixed rate (default 10)
          --warmup S                seconds of warm-up before the timed phases (default 3)
          --connections C           concurrent HTTP connections of wrk (default 32)
          --threads T               wrk threads (default 2)
          --users U                 app users the binds are spread over (default 1000)
          --rate R                  binds/s of the fixed-rate latency phase (default 2000; 0 skips it)
          --reports N               device code reports phase: N pre-signed POST /device/v1/binding-code requests (fresh
                                    nonce and timestamp each), spread over up to 10,000 devices of their own (default
                                    200000, with --store postgres 20000; 0 skips it)
          --token-reports N         bind-token reports phase: N tokens created by the app users (AppCreateDeviceBindToken,
                                    home-mode user domain) in the set-up, each reported once (POST /device/v1/bind-token)
                                    by one of up to 10,000 devices of a TOKEN product (default 100000, postgres 10000;
                                    0 skips it)
          --token-binds N           Tencent token binds phase (AppTokenBindDeviceFamily into the user's family): N devices
                                    of the TOKEN product, each with a token created and reported in the set-up, bound
                                    once (default 50000, postgres 5000; 0 skips it; at most 200 per user: the family
                                    device limit)
          --webhooks                webhooks on vs off: after the usual bind phase, four more of --duration each on
                                    devices of their own: off, on, on, off (a steady drift cancels; "on": a webhook
                                    registered for the product and a minimal receiver on loopback, started by the
                                    benchmark, answering 200, getting every event; the warm-up binds run with one too,
                                    so the delivery path is compiled before it is timed); prints binds/s, server CPU µs
                                    per bind and their ratio per round and over both rounds, and the delivery lag
          --profile                 the server counts SQL statements too (Storage:Profile=true); each phase prints writer
                                    time, commit time, statements, write transactions and group-commit batches per request
          --synchronous FULL|NORMAL SQLite durability (default FULL: an acknowledged bind survives a crash and power loss)
          --scale-sizes A,B         registry sizes of --scale (default 1000,1000000)
          --scale-binds N           binds measured at each size (default 1000), at --scale-rate R binds/s (default 500)
          --server Key=value        extra server setting (repeatable), e.g. --server Logging:LogLevel:Bindery.Requests=Information
          --pg-options "K=V;..."    appended to the server's PostgreSQL connection string, e.g. "Max Auto Prepare=64"
          --mqtt-devices N          MQTT phase (after the HTTP phases): N Tencent-protocol devices connected at once to the
                                    embedded broker, connects/s, a bare round trip and app_bind_token reports/s with
                                    p50/p99, server memory per connection (default 10000; 0 skips it; needs ulimit -n > N)
          --mqtt-concurrency C      MQTT connects / requests in flight at once (default 256)
          --only-mqtt               run only the MQTT phase
        """;
}
