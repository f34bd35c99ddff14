namespace Bindery.Storage;

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (default, embedded) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>
    /// PostgreSQL connection string (Provider = postgres), e.g.
    /// <c>Host=db;Port=5432;Database=bindery;Username=bindery;Password=…;Maximum Pool Size=50</c>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// SQLite <c>PRAGMA synchronous</c>: <c>FULL</c> (default) fsyncs the WAL at every commit, so an acknowledged
    /// write survives a process crash and a power loss; <c>NORMAL</c> survives a process crash only.
    /// </summary>
    public string Synchronous { get; set; } = "FULL";

    /// <summary>Most write operations the SQLite writer groups into one commit.</summary>
    public int MaxWriteBatch { get; set; } = 256;

    /// <summary>
    /// PostgreSQL: how often one write runs before a run of serialization failures or deadlocks is answered
    /// with "storage unavailable, retry" (9014).
    /// </summary>
    public int MaxWriteAttempts { get; set; } = 12;

    /// <summary>Also count SQL statements and their time (<see cref="StoreProfile"/>; a little cost per statement).</summary>
    public bool Profile { get; set; }

    /// <summary>
    /// PostgreSQL: how many statements each pooled connection keeps prepared (Npgsql <c>Max Auto Prepare</c>), unless
    /// the connection string sets it. 0 turns automatic preparation off.
    /// </summary>
    public int PostgresMaxAutoPrepare { get; set; } = 128;

    /// <summary>PostgreSQL: after how many runs on a connection a statement is prepared (Npgsql <c>Auto Prepare Min Usages</c>).</summary>
    public int PostgresAutoPrepareMinUsages { get; set; } = 2;
}
