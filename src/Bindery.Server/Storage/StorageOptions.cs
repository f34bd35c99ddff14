namespace Bindery.Storage;

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (default, embedded) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>PostgreSQL connection string (Provider = postgres).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// SQLite <c>PRAGMA synchronous</c>: <c>FULL</c> (default) fsyncs the WAL at every commit, so an acknowledged
    /// write survives a process crash and a power loss; <c>NORMAL</c> survives a process crash only.
    /// </summary>
    public string Synchronous { get; set; } = "FULL";

    /// <summary>Most write operations the SQLite writer groups into one commit.</summary>
    public int MaxWriteBatch { get; set; } = 256;
}
