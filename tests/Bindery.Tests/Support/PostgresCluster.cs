using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Bindery.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL cluster from the machine's own binaries (Debian's <c>postgresql</c> package), started
/// once per test run in a temp directory on a free loopback port and stopped when the test process exits.
/// Each <see cref="CreateDatabase"/> hands out an empty database of its own.
/// </summary>
/// <remarks>
/// fsync is off: the tests kill Bindery processes, never PostgreSQL or the machine, so a commit PostgreSQL
/// acknowledged is in the OS page cache and survives everything the tests do. synchronous_commit stays on, so a
/// commit is still acknowledged only after PostgreSQL wrote it out of its own memory.
/// </remarks>
public sealed class PostgresCluster
{
    public const string RequireVariable = "BINDERY_REQUIRE_POSTGRES";

    /// <summary>Optional: the directory holding initdb and pg_ctl, when not the newest /usr/lib/postgresql/*/bin.</summary>
    public const string BinVariable = "BINDERY_PG_BIN";
    private const string DirectoryPrefix = "bindery-pg-";
    private static readonly Lazy<PostgresCluster> SharedCluster = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string?> BinDirectory = new(FindBinDirectory);

    private readonly string _root;
    private readonly string _binDir;
    private readonly string _dataDir;

    private PostgresCluster(string root, string binDir, int port)
    {
        _root = root;
        _binDir = binDir;
        _dataDir = Path.Combine(root, "data");
        Port = port;
    }

    /// <summary>The run's cluster, started on first use. A failure to start is thrown to every caller.</summary>
    public static PostgresCluster Shared => SharedCluster.Value;

    /// <summary>Why no cluster can be started on this machine, or null when one can.</summary>
    public static string? UnavailableReason => BinDirectory.Value is not null ? null
        : Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } configured
            ? $"{BinVariable}={configured} holds no initdb and pg_ctl"
            : "PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH; install Debian's 'postgresql' package";

    /// <summary>Set in CI: a missing PostgreSQL is a failure there, not a reason to skip.</summary>
    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) is { Length: > 0 } value && value != "0";

    public int Port { get; }

    // As root the cluster runs as the 'postgres' user, who must be able to reach its directory: /tmp, not a
    // TMPDIR that may sit under /root.
    private static string BaseDirectory => Environment.IsPrivilegedProcess ? "/tmp" : Path.GetTempPath();

    /// <summary>
    /// For tests that only make sense on PostgreSQL (several nodes on one database): skips the test, saying
    /// why, when this machine has no PostgreSQL, and fails it instead when <c>BINDERY_REQUIRE_POSTGRES</c> is set.
    /// Such test classes also carry <c>[Trait("Store", "PostgresOnly")]</c> so the SQLite pass of
    /// <c>./test.sh</c> leaves them to the PostgreSQL pass.
    /// </summary>
    public static void SkipUnlessAvailable()
    {
        if (UnavailableReason is not { } reason)
        {
            return;
        }
        if (Required)
        {
            throw new InvalidOperationException($"{RequireVariable} is set, but {reason}.");
        }
        Skip.If(true, $"PostgreSQL-only test skipped: {reason}.");
    }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        // Tests start and dispose many servers: keep idle pooled connections from piling up in the cluster.
        ConnectionIdleLifetime = 10,
        MaxPoolSize = 40,
    }.ConnectionString;

    /// <summary>Creates an empty database and returns its name.</summary>
    public string CreateDatabase()
    {
        var name = "bindery_" + Guid.NewGuid().ToString("N")[..20];
        Execute($"CREATE DATABASE {name}");
        return name;
    }

    /// <summary>Drops a database from <see cref="CreateDatabase"/>, closing whatever connections are still on it.</summary>
    public void DropDatabase(string name) => Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static PostgresCluster Start()
    {
        var binDir = BinDirectory.Value ?? throw new InvalidOperationException(UnavailableReason);
        RemoveClustersOfDeadRuns();
        var root = Path.Combine(BaseDirectory, $"{DirectoryPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (Environment.IsPrivilegedProcess)
        {
            // initdb and postgres refuse to run as root: the cluster belongs to the 'postgres' OS user.
            Run("chown", ["postgres:", root], asPostgres: false);
        }
        var dataDir = Path.Combine(root, "data");
        Run(Path.Combine(binDir, "initdb"), ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
        Exception? lastFailure = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreeLoopbackPort();
            var cluster = new PostgresCluster(root, binDir, port);
            try
            {
                cluster.StartServer();
                cluster.StartWatchdog();
                return cluster;
            }
            catch (InvalidOperationException ex)
            {
                // Most likely the port was taken between probing and binding; try another.
                lastFailure = ex;
            }
        }
        throw new InvalidOperationException("The throwaway PostgreSQL cluster did not start.", lastFailure);
    }

    private void StartServer()
    {
        var options = string.Join(' ',
            $"-p {Port}",
            $"-k {_root}",
            "-c listen_addresses=127.0.0.1",
            "-c fsync=off",
            "-c full_page_writes=off",
            "-c max_connections=300",
            "-c shared_buffers=32MB");
        Run(Path.Combine(_binDir, "pg_ctl"), ["-D", _dataDir, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
    }

    /// <summary>
    /// A detached shell that outlives the test process and, once that process is gone (however it ended),
    /// stops the cluster and deletes its files. The test host is often ended too abruptly for exit handlers.
    /// </summary>
    private void StartWatchdog()
    {
        var pgCtl = Path.Combine(_binDir, "pg_ctl");
        var stop = Environment.IsPrivilegedProcess ? $"runuser -u postgres -- '{pgCtl}'" : $"'{pgCtl}'";
        var script = $"""
            exec </dev/null >/dev/null 2>&1
            while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done
            {stop} -D '{_dataDir}' -m immediate -w stop
            rm -rf '{_root}'
            """;
        var start = new ProcessStartInfo("setsid", ["-f", "sh", "-c", script])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        process.WaitForExit();
    }

    /// <summary>Clusters left behind by test processes that were killed before they could stop theirs.</summary>
    private static void RemoveClustersOfDeadRuns()
    {
        var binDir = BinDirectory.Value!;
        foreach (var root in Directory.EnumerateDirectories(BaseDirectory, DirectoryPrefix + "*"))
        {
            var ownerFile = Path.Combine(root, "owner.pid");
            if (!File.Exists(ownerFile) || !int.TryParse(File.ReadAllText(ownerFile), CultureInfo.InvariantCulture, out var owner) || IsAlive(owner))
            {
                continue;
            }
            var dataDir = Path.Combine(root, "data");
            if (File.Exists(Path.Combine(dataDir, "postmaster.pid")))
            {
                Run(Path.Combine(binDir, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"], throwOnFailure: false);
            }
            Directory.Delete(root, recursive: true);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string? FindBinDirectory()
    {
        static bool HasTools(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        if (Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } configured)
        {
            return HasTools(configured) ? configured : null;
        }
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.EnumerateDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(d => HasTools(d.Dir))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var pgCtl = new FileInfo(Path.Combine(dir, "pg_ctl"));
            if (!pgCtl.Exists)
            {
                continue;
            }
            // Debian links /usr/bin/pg_ctl-style names to a wrapper or to the versioned directory; follow the link.
            var target = pgCtl.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? pgCtl.FullName;
            var targetDir = Path.GetDirectoryName(target)!;
            if (HasTools(targetDir))
            {
                return targetDir;
            }
        }
        return null;
    }

    private static void Run(string fileName, IEnumerable<string> arguments, bool asPostgres = true, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = BaseDirectory,
        };
        if (asPostgres && Environment.IsPrivilegedProcess)
        {
            start.FileName = "runuser";
            foreach (var argument in (string[])["-u", "postgres", "--", fileName])
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = fileName;
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0 && throwOnFailure)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(fileName)} exited with {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
        }
    }
}
