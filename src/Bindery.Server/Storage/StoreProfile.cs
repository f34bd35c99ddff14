using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;

namespace Bindery.Storage;

/// <summary>
/// Where the store's time goes, as cumulative counters (read at <c>GET /admin/v1/diagnostics/store</c>; the
/// benchmark's <c>--profile</c> reads them before and after each phase and divides by the phase's requests).
/// Always on: write operations, write transactions (SQLite: group-commit batches; PostgreSQL: attempts, so retries
/// show), the time spent inside write transactions including the commit, and the commit alone — a few
/// <see cref="Interlocked"/> adds per write. With <c>Storage:Profile=true</c> also the SQL statements executed, reads
/// and writes apart, and the time inside them (SQLite: <c>sqlite3_profile</c> on every connection; PostgreSQL:
/// Npgsql's <c>db.client.operation.duration</c> metric, where a batch is one command: one round trip).
/// </summary>
public sealed class StoreProfile(string store, bool statements)
{
    private static readonly AsyncLocal<(StoreProfile Profile, bool Write)?> PostgresScope = new();
    private static MeterListener? _npgsqlListener;

    private long _writeOperations;
    private long _writeTransactions;
    private long _writerTicks;
    private long _commitTicks;
    private long _readStatements;
    private long _writeStatements;
    private long _readStatementNs;
    private long _writeStatementNs;

    public string Store => store;

    /// <summary>Statements are counted (<c>Storage:Profile=true</c>).</summary>
    public bool CountsStatements => statements;

    /// <summary>One <c>WriteAsync</c> call: a logical write.</summary>
    public void WriteOperation() => Interlocked.Increment(ref _writeOperations);

    /// <summary>
    /// One write transaction begun at <paramref name="startedTimestamp"/> ended, committed or not (SQLite: one
    /// group-commit batch of any number of write operations; PostgreSQL: one attempt of one operation).
    /// </summary>
    public void WriteTransaction(long startedTimestamp, int operations = 0)
    {
        var ticks = Stopwatch.GetTimestamp() - startedTimestamp;
        Interlocked.Increment(ref _writeTransactions);
        Interlocked.Add(ref _writerTicks, ticks);
        Interlocked.Add(ref _writtenOperations, operations);
        _writeDuration?.Record((double)ticks / Stopwatch.Frequency, new KeyValuePair<string, object?>("store", store));
    }

    private Histogram<double>? _writeDuration;
    private long _writtenOperations;

    /// <summary>Each write transaction's duration (seconds) also goes to <paramref name="histogram"/> (Observability/BinderyMetrics).</summary>
    public void RecordWriteDurationsIn(Histogram<double> histogram) => _writeDuration = histogram;

    /// <summary>Writes queue for one writer, which reports each transaction's operations (SQLite); not on PostgreSQL.</summary>
    public bool Queued { get; init; }

    /// <summary>The write operations queued or in the writer's transaction now (<see cref="Queued"/> stores only, else null).</summary>
    public long? QueueDepth => Queued ? Math.Max(0, Interlocked.Read(ref _writeOperations) - Interlocked.Read(ref _writtenOperations)) : null;

    /// <summary>The commit that began at <paramref name="startedTimestamp"/> is durable (or failed).</summary>
    public void Committed(long startedTimestamp) => Interlocked.Add(ref _commitTicks, Stopwatch.GetTimestamp() - startedTimestamp);

    private long _pagesWritten;

    /// <summary>
    /// SQLite: the pages the writer wrote (to the WAL) since the last call, read and reset after each commit with
    /// <c>sqlite3_db_status(SQLITE_DBSTATUS_CACHE_WRITE)</c>: what a commit has to write and sync, the part of its
    /// cost that grows with how many distinct pages the batch's statements touched.
    /// </summary>
    public void CountPagesWritten(SqliteConnection writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (SQLitePCL.raw.sqlite3_db_status(writer.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_WRITE, out var pages, out _, 1) == SQLitePCL.raw.SQLITE_OK)
        {
            Interlocked.Add(ref _pagesWritten, pages);
        }
    }

    /// <summary>SQLite: counts every statement <paramref name="connection"/> runs, when statements are counted.</summary>
    public void Watch(SqliteConnection connection, bool write)
    {
        if (!statements)
        {
            return;
        }
        SQLitePCL.raw.sqlite3_profile(connection.Handle, write ? OnWriteStatement : OnReadStatement, this);
    }

    private static void OnWriteStatement(object user, string statement, long ns)
    {
        var profile = (StoreProfile)user;
        Interlocked.Increment(ref profile._writeStatements);
        Interlocked.Add(ref profile._writeStatementNs, ns);
    }

    private static void OnReadStatement(object user, string statement, long ns)
    {
        var profile = (StoreProfile)user;
        Interlocked.Increment(ref profile._readStatements);
        Interlocked.Add(ref profile._readStatementNs, ns);
    }

    /// <summary>
    /// PostgreSQL: the commands of the calling async flow (until the calling async method returns) count as reads or
    /// writes of this store, when statements are counted.
    /// </summary>
    public void EnterPostgres(bool write)
    {
        if (!statements)
        {
            return;
        }
        EnsureNpgsqlListener();
        PostgresScope.Value = (this, write);
    }

    private static void EnsureNpgsqlListener()
    {
        if (Volatile.Read(ref _npgsqlListener) is not null)
        {
            return;
        }
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.operation.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            if (PostgresScope.Value is not { } scope)
            {
                return;
            }
            var ns = (long)(seconds * 1e9);
            if (scope.Write)
            {
                Interlocked.Increment(ref scope.Profile._writeStatements);
                Interlocked.Add(ref scope.Profile._writeStatementNs, ns);
            }
            else
            {
                Interlocked.Increment(ref scope.Profile._readStatements);
                Interlocked.Add(ref scope.Profile._readStatementNs, ns);
            }
        });
        if (Interlocked.CompareExchange(ref _npgsqlListener, listener, null) is null)
        {
            listener.Start();
        }
        else
        {
            listener.Dispose();
        }
    }

    public StoreProfileView Snapshot() => new(
        store,
        statements,
        Interlocked.Read(ref _writeOperations),
        Interlocked.Read(ref _writeTransactions),
        Micros(Interlocked.Read(ref _writerTicks)),
        Micros(Interlocked.Read(ref _commitTicks)),
        Interlocked.Read(ref _readStatements),
        Interlocked.Read(ref _writeStatements),
        Interlocked.Read(ref _readStatementNs) / 1000,
        Interlocked.Read(ref _writeStatementNs) / 1000,
        Interlocked.Read(ref _pagesWritten));

    private static long Micros(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;
}

/// <summary>
/// The counters of <see cref="StoreProfile"/> since the server started (times in µs). On SQLite a write transaction
/// is one group-commit batch (<c>writeOperations / writeTransactions</c> is the average batch size) and writer time
/// is the single writer's busy time; on PostgreSQL a write transaction is one attempt (retries are the attempts
/// beyond the operations) and writer time adds up over concurrent connections.
/// </summary>
public sealed record StoreProfileView(
    string Store,
    bool CountsStatements,
    long WriteOperations,
    long WriteTransactions,
    long WriterMicros,
    long CommitMicros,
    long ReadStatements,
    long WriteStatements,
    long ReadStatementMicros,
    long WriteStatementMicros,
    long PagesWritten);
