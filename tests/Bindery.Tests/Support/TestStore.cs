namespace Bindery.Tests.Support;

/// <summary>
/// Which store the suite runs against, from <c>BINDERY_TEST_STORE</c>: <c>sqlite</c> (the default) or
/// <c>postgres</c>. Every <see cref="BinderyApp"/> and every real server process of a test takes its store from
/// here, so one suite covers both stores without a line of difference in the tests.
/// </summary>
public static class TestStore
{
    public const string Variable = "BINDERY_TEST_STORE";

    public static string Provider { get; } = (Environment.GetEnvironmentVariable(Variable) ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "sqlite" => "sqlite",
        "postgres" or "postgresql" => "postgres",
        var other => throw new InvalidOperationException($"{Variable} must be sqlite or postgres, not '{other}'"),
    };

    public static bool IsPostgres => Provider == "postgres";

    /// <summary>A fresh, empty store of the suite's kind.</summary>
    public static TestStorage Create() => IsPostgres ? TestStorage.CreatePostgres() : TestStorage.CreateSqlite();
}

/// <summary>
/// One server's empty store: a temp data directory and, on PostgreSQL, a database of its own in the run's
/// <see cref="PostgresCluster"/>. Disposing deletes both.
/// </summary>
public sealed class TestStorage : IDisposable
{
    private readonly string? _database;
    private readonly List<string> _dataDirs = [];

    private TestStorage(string provider, string? database, string? connectionString)
    {
        Provider = provider;
        _database = database;
        ConnectionString = connectionString;
        DataDir = NewDataDir();
    }

    public string Provider { get; }

    /// <summary>The SQLite file's directory; on PostgreSQL it only holds what a node keeps locally.</summary>
    public string DataDir { get; }

    public string? ConnectionString { get; }

    public static TestStorage CreateSqlite() => new("sqlite", null, null);

    public static TestStorage CreatePostgres()
    {
        var cluster = PostgresCluster.Shared;
        var database = cluster.CreateDatabase();
        return new TestStorage("postgres", database, cluster.ConnectionString(database));
    }

    /// <summary>Configuration keys (<c>Section:Key</c>) that point a server at this store.</summary>
    public Dictionary<string, string?> Settings(string? dataDir = null) => new()
    {
        ["Bindery:DataDir"] = dataDir ?? DataDir,
        ["Storage:Provider"] = Provider,
        ["Storage:ConnectionString"] = ConnectionString,
    };

    /// <summary>Another empty data directory on the same store: a second node of a cluster.</summary>
    public string NewDataDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bindery-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        _dataDirs.Add(dir);
        return dir;
    }

    public void Dispose()
    {
        if (_database is not null)
        {
            PostgresCluster.Shared.DropDatabase(_database);
        }
        foreach (var dir in _dataDirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by a pooled connection is cleaned up with the temp dir.
            }
        }
    }
}
