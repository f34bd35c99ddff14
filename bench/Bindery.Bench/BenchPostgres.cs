using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Bindery.Bench;

/// <summary>
/// A throwaway PostgreSQL cluster from Debian's binaries, like the tests' <c>PostgresCluster</c> but durable:
/// the tests run theirs with <c>fsync=off</c>, which would make commits look free here. This one keeps PostgreSQL's
/// defaults (<c>fsync=on</c>, <c>synchronous_commit=on</c>, <c>full_page_writes=on</c>), so an acknowledged bind
/// is on disk, as on SQLite with synchronous=FULL.
/// </summary>
public sealed class BenchPostgres : IDisposable
{
    private readonly string _root;
    private readonly string _binDir;
    private readonly string _dataDir;

    private BenchPostgres(string root, string binDir, int port)
    {
        _root = root;
        _binDir = binDir;
        _dataDir = Path.Combine(root, "data");
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        MaxPoolSize = 64,
    }.ConnectionString;

    public static BenchPostgres Start()
    {
        var binDir = FindBinDirectory()
            ?? throw new InvalidOperationException("PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: install Debian's 'postgresql' package");
        var root = Path.Combine(Path.GetTempPath(), $"bindery-bench-pg-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        if (Environment.IsPrivilegedProcess)
        {
            Run("chown", ["postgres:", root], asPostgres: false);
        }
        var cluster = new BenchPostgres(root, binDir, FreeLoopbackPort());
        Run(Path.Combine(binDir, "initdb"), ["-D", cluster._dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"]);
        var options = string.Join(' ',
            $"-p {cluster.Port}", $"-k {root}", "-c listen_addresses=127.0.0.1",
            "-c max_connections=200", "-c shared_buffers=256MB");
        Run(Path.Combine(binDir, "pg_ctl"), ["-D", cluster._dataDir, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
        cluster.StartWatchdog();
        return cluster;
    }

    public string CreateDatabase(string name)
    {
        Execute($"CREATE DATABASE {name}");
        return name;
    }

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

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

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

    /// <summary>Stops the cluster and deletes its files once this process is gone, however it ended (Ctrl-C included).</summary>
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
        using var process = Process.Start(new ProcessStartInfo("setsid", ["-f", "sh", "-c", script])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.WaitForExit();
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string? FindBinDirectory()
    {
        const string debianRoot = "/usr/lib/postgresql";
        if (Environment.GetEnvironmentVariable("BINDERY_PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }
        return Directory.EnumerateDirectories(debianRoot)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var v) ? v : 0))
            .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Dir)
            .FirstOrDefault();
    }

    private static void Run(string fileName, IEnumerable<string> arguments, bool asPostgres = true, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
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
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} exited with {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
        }
    }
}
