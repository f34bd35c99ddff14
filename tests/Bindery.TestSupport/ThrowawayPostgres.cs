using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Bindery.TestSupport;

/// <summary>
/// A throwaway PostgreSQL cluster from the machine's own binaries (Debian's <c>postgresql</c> package), in a temp
/// directory on a free loopback port, stopped and deleted when its owner process ends, however it ends. It knows
/// nothing of xunit: the tests (their <c>PostgresCluster</c>) and the benchmark both use it.
/// </summary>
/// <remarks>
/// <c>durable: false</c> (the tests) runs with fsync off: tests kill Bindery processes, never PostgreSQL or the
/// machine, so a commit PostgreSQL acknowledged is in the OS page cache and survives everything they do, and
/// synchronous_commit stays on. <c>durable: true</c> (the benchmark) keeps PostgreSQL's defaults (fsync,
/// synchronous_commit, full_page_writes on), so an acknowledged write is on disk and commits are not made to look free.
/// </remarks>
public sealed class ThrowawayPostgres : IDisposable
{
    /// <summary>Optional: the directory holding initdb and pg_ctl, when not the newest /usr/lib/postgresql/*/bin.</summary>
    public const string BinVariable = "BINDERY_PG_BIN";
    private static readonly Lazy<string?> BinDirectory = new(FindBinDirectory);

    private readonly string _root;
    private readonly string _binDir;
    private readonly string _dataDir;
    private readonly bool _durable;
    private readonly int _maxPoolSize;

    private ThrowawayPostgres(string root, string binDir, int port, bool durable, int maxPoolSize)
    {
        _root = root;
        _binDir = binDir;
        _dataDir = Path.Combine(root, "data");
        _durable = durable;
        _maxPoolSize = maxPoolSize;
        Port = port;
    }

    /// <summary>Why no cluster can be started on this machine, or null when one can.</summary>
    public static string? UnavailableReason => BinDirectory.Value is not null ? null
        : Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } configured
            ? $"{BinVariable}={configured} holds no initdb and pg_ctl"
            : "PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH; install Debian's 'postgresql' package";

    public int Port { get; }

    // As root the cluster runs as the 'postgres' user, who must be able to reach its directory: /tmp, not a
    // TMPDIR that may sit under /root.
    private static string BaseDirectory => Environment.IsPrivilegedProcess ? "/tmp" : Path.GetTempPath();

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        // Tests start and dispose many servers: keep idle pooled connections from piling up in the cluster.
        ConnectionIdleLifetime = 10,
        MaxPoolSize = _maxPoolSize,
    }.ConnectionString;

    /// <summary>Creates an empty database (named <paramref name="name"/>, or a fresh name) and returns its name.</summary>
    public string CreateDatabase(string? name = null)
    {
        name ??= "bindery_" + Guid.NewGuid().ToString("N")[..20];
        Execute($"CREATE DATABASE {name}");
        return name;
    }

    /// <summary>Drops a database from <see cref="CreateDatabase"/>, closing whatever connections are still on it.</summary>
    public void DropDatabase(string name) => Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");

    /// <summary>The settings that decide what a COMMIT acknowledgement means.</summary>
    public string DurabilitySettings()
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        connection.Open();
        string Show(string name)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SHOW " + name;
            return (string)command.ExecuteScalar()!;
        }
        return $"fsync={Show("fsync")}, synchronous_commit={Show("synchronous_commit")}, full_page_writes={Show("full_page_writes")}, " +
            $"wal_sync_method={Show("wal_sync_method")}, shared_buffers={Show("shared_buffers")}, PostgreSQL {Show("server_version")}";
    }

    /// <summary>The size on disk of the database a connection string names (the benchmark reports it).</summary>
    public static async Task<long> DatabaseSizeBytesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT pg_database_size(current_database())";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Starts a cluster under <c>&lt;temp&gt;/&lt;directoryPrefix&gt;&lt;pid&gt;-…</c>, first removing the clusters of earlier
    /// owners of the same prefix that died without stopping theirs.
    /// </summary>
    public static ThrowawayPostgres Start(string directoryPrefix, bool durable, int maxPoolSize = 40, string sharedBuffers = "32MB")
    {
        var binDir = BinDirectory.Value ?? throw new InvalidOperationException(UnavailableReason);
        RemoveClustersOfDeadRuns(directoryPrefix);
        var root = Path.Combine(BaseDirectory, $"{directoryPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (Environment.IsPrivilegedProcess)
        {
            // initdb and postgres refuse to run as root: the cluster belongs to the 'postgres' OS user.
            Run("chown", ["postgres:", root], asPostgres: false);
        }
        var dataDir = Path.Combine(root, "data");
        string[] initdb = ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"];
        Run(Path.Combine(binDir, "initdb"), durable ? initdb : [.. initdb, "--no-sync"]);
        Exception? lastFailure = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var cluster = new ThrowawayPostgres(root, binDir, FreeLoopbackPort(), durable, maxPoolSize);
            try
            {
                cluster.StartServer(sharedBuffers);
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

    private void StartServer(string sharedBuffers)
    {
        string[] options = [$"-p {Port}", $"-k {_root}", "-c listen_addresses=127.0.0.1", "-c max_connections=300", $"-c shared_buffers={sharedBuffers}"];
        if (!_durable)
        {
            options = [.. options, "-c fsync=off", "-c full_page_writes=off"];
        }
        Run(Path.Combine(_binDir, "pg_ctl"), ["-D", _dataDir, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o", string.Join(' ', options), "start"]);
    }

    /// <summary>Stops the cluster now and deletes its files (the watchdog would do it once the owner is gone).</summary>
    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        Run(Path.Combine(_binDir, "pg_ctl"), ["-D", _dataDir, "-m", "fast", "-w", "stop"], throwOnFailure: false);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // The watchdog removes what is left once this process is gone.
        }
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
            [ -f '{_dataDir}/postmaster.pid' ] && {stop} -D '{_dataDir}' -m immediate -w stop
            rm -rf '{_root}'
            """;
        DetachedShell.Start(script);
    }

    /// <summary>Clusters left behind by test processes that were killed before they could stop theirs.</summary>
    private static void RemoveClustersOfDeadRuns(string directoryPrefix)
    {
        var binDir = BinDirectory.Value!;
        foreach (var root in Directory.EnumerateDirectories(BaseDirectory, directoryPrefix + "*"))
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
