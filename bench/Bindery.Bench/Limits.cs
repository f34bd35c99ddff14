using System.Diagnostics;
using System.Globalization;
using Bindery.TestSupport;

namespace Bindery.Bench;

/// <summary>
/// <c>--limits</c>: what this machine can do at most, to compare the server's figures with. A bare SQLite group
/// commit of the rows a bind writes (limits/sqlite_group_commit.py: the server's schema, synchronous=FULL, on the
/// file system the benchmark's data directory uses), and pgbench (Debian's, from the PostgreSQL binaries the
/// benchmark's throwaway cluster runs from) on that same durable cluster, with single-row and bind-sized transactions.
/// </summary>
internal sealed class Limits(BenchOptions options, string workDir, ThrowawayPostgres postgres)
{
    public async Task<int> RunAsync()
    {
        var root = RepositoryRoot();
        Console.WriteLine();
        Console.WriteLine("--- SQLite ---");
        var perGroup = Math.Max(1, options.Duration / 2).ToString(CultureInfo.InvariantCulture);
        var sqlite = await RunAsync("python3", [
            Path.Combine(AppContext.BaseDirectory, "limits", "sqlite_group_commit.py"),
            Path.Combine(root, "src", "Bindery.Server", "Storage", "Migrations"), workDir, perGroup, "1,4,16,32,64,256"]);
        if (sqlite != 0)
        {
            return sqlite;
        }

        Console.WriteLine();
        Console.WriteLine($"--- PostgreSQL: pgbench on the benchmark's throwaway cluster ({postgres.DurabilitySettings()}) ---");
        var pgbench = PgBench();
        if (pgbench is null)
        {
            Console.WriteLine("pgbench not found next to initdb or on PATH (Debian: postgresql-client / postgresql-contrib)");
            return 1;
        }
        var database = postgres.CreateDatabase("bindery_limits");
        var connection = new[] { "-h", "127.0.0.1", "-p", postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres" };
        var setup = Path.Combine(workDir, "limits-setup.sql");
        await File.WriteAllTextAsync(setup, """
            CREATE TABLE devices (pk text NOT NULL, dk text NOT NULL, code_used_at bigint, PRIMARY KEY (pk, dk));
            INSERT INTO devices SELECT 'p1', lpad(to_hex(n), 12, '0') FROM generate_series(1, 1000000) n;
            CREATE TABLE bindings (binding_id text PRIMARY KEY, pk text NOT NULL, dk text NOT NULL, user_id text NOT NULL,
                auth_key_hash text NOT NULL, bound_at bigint NOT NULL);
            CREATE UNIQUE INDEX ON bindings (pk, dk);
            CREATE INDEX ON bindings (user_id, bound_at);
            CREATE TABLE binding_events (seq bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, occurred_at bigint NOT NULL,
                kind text NOT NULL, pk text, dk text, user_id text, binding_id text);
            CREATE INDEX ON binding_events (pk, dk, seq);
            CREATE TABLE device_pushes (seq bigserial PRIMARY KEY, push_id text NOT NULL UNIQUE, pk text NOT NULL, dk text NOT NULL,
                payload text NOT NULL, created_at bigint NOT NULL);
            CREATE TABLE single_rows (id text PRIMARY KEY, payload text NOT NULL, at bigint NOT NULL);
            ANALYZE;
            """);
        await RunAsync(Path.Combine(Path.GetDirectoryName(pgbench)!, "psql"), [.. connection, "-q", "-d", database, "-f", setup]);
        var single = Path.Combine(workDir, "limits-single.sql");
        await File.WriteAllTextAsync(single, """
            INSERT INTO single_rows VALUES (md5(random()::text || clock_timestamp()::text), 'bind-sized payload of about a hundred bytes, like a binding row with its hash', 0);
            """);
        // A bind's rows: its device's code marked used, the binding, its event, its push: one transaction. (No
        // colon in the literals: pgbench reads ":name" as a variable.)
        var bind = Path.Combine(workDir, "limits-bind.sql");
        await File.WriteAllTextAsync(bind, """
            \set d random(1, 1000000)
            BEGIN;
            UPDATE devices SET code_used_at = 1 WHERE pk = 'p1' AND dk = lpad(to_hex(:d::int), 12, '0');
            INSERT INTO bindings VALUES (md5(random()::text || clock_timestamp()::text), 'p1', lpad(to_hex(:d::int), 12, '0') || md5(random()::text), 'u' || :client_id, md5(random()::text), 0);
            INSERT INTO binding_events (event_id, occurred_at, kind, pk, dk, user_id) VALUES (md5(random()::text || clock_timestamp()::text), 0, 'bound', 'p1', lpad(to_hex(:d::int), 12, '0'), 'u' || :client_id);
            INSERT INTO device_pushes (push_id, pk, dk, payload, created_at) VALUES (md5(random()::text || clock_timestamp()::text), 'p1', lpad(to_hex(:d::int), 12, '0'), 'method bind_device, params UserID u1 FamilyId null, the size of a push payload', 0);
            COMMIT;
            """);
        var clients = options.Connections.ToString(CultureInfo.InvariantCulture);
        var threads = options.Threads.ToString(CultureInfo.InvariantCulture);
        var seconds = options.Duration.ToString(CultureInfo.InvariantCulture);
        foreach (var (name, script, isolation) in new[]
        {
            ("1-row INSERT, autocommit", single, "read committed"),
            ("bind-sized: UPDATE + 3 INSERTs", bind, "read committed"),
            ("bind-sized, SERIALIZABLE", bind, "serializable"),
        })
        {
            Console.WriteLine();
            Console.WriteLine($"pgbench -M prepared -c {clients} -j {threads} -T {seconds}: {name} ({isolation})");
            await RunAsync(pgbench, [.. connection, "-n", "-M", "prepared", "-c", clients, "-j", threads, "-T", seconds, "-f", script, database],
                filter: line => line.StartsWith("tps", StringComparison.Ordinal) || line.StartsWith("latency", StringComparison.Ordinal)
                    || line.StartsWith("number of", StringComparison.Ordinal),
                environment: ("PGOPTIONS", "-c default_transaction_isolation=" + isolation.Replace(" ", "\\ ", StringComparison.Ordinal)));
        }
        return 0;
    }

    private static string? PgBench()
    {
        var configured = Environment.GetEnvironmentVariable(ThrowawayPostgres.BinVariable);
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(configured))
        {
            candidates.Add(Path.Combine(configured, "pgbench"));
        }
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "bin", "pgbench")));
        }
        candidates.Add("/usr/bin/pgbench");
        return candidates.FirstOrDefault(File.Exists);
    }

    private static async Task<int> RunAsync(string file, string[] arguments, Func<string, bool>? filter = null, (string, string)? environment = null)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        if (environment is var (key, value))
        {
            start.Environment[key] = value;
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        foreach (var line in (await stdout).Split('\n').Where(l => l.Length > 0 && (filter is null || filter(l))))
        {
            Console.WriteLine(line);
        }
        if (process.ExitCode != 0)
        {
            var error = await stderr;
            Console.WriteLine($"{Path.GetFileName(file)} exited with {process.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s: {(error.Length > 1000 ? error[..1000] + "…" : error)}");
        }
        return process.ExitCode;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bindery.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Bindery.sln not found above " + AppContext.BaseDirectory);
    }
}
