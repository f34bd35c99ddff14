using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Bindery.Storage;

/// <summary>
/// SQLite in WAL mode. Readers use pooled read-only connections and never wait. All writes go through one
/// writer connection fed by a queue: the writer takes every operation waiting in the queue, runs them in one
/// transaction, commits once (one fsync for the whole group) and only then completes the callers. Operations run
/// without savepoints; when one fails, the transaction is rolled back and the others run again, each in its own
/// savepoint, so a failing operation never touches its neighbours.
/// Both the writer and the pooled readers keep their compiled statements (<see cref="CachingSqliteConnection"/>).
/// </summary>
public sealed class SqliteDatabase : IDatabase
{
    private readonly string _writeConnectionString;
    private readonly string _readConnectionString;
    private readonly StorageOptions _options;
    private readonly Channel<IWriteOperation> _queue = Channel.CreateUnbounded<IWriteOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger<SqliteDatabase> _logger;
    private readonly ConcurrentBag<CachingSqliteConnection> _idleReaders = [];
    // Enough idle readers for every request in flight: a reader closed for want of room is reopened, and its statements
    // compiled again, by the next read.
    private readonly int _maxIdleReaders = Math.Max(64, 8 * Environment.ProcessorCount);
    private CachingSqliteConnection? _writer;
    private Task? _writerLoop;

    public SqliteDatabase(string databasePath, StorageOptions options, ILogger<SqliteDatabase> logger)
    {
        _options = options;
        _logger = logger;
        Profile = new StoreProfile("sqlite", options.Profile) { Queued = true };
        DatabasePath = databasePath;
        _writeConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadOnly,
            // Open readers are pooled here, with their compiled statements.
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string DatabasePath { get; }

    public SqlDialect Dialect => SqlDialect.Sqlite;

    public StoreProfile Profile { get; }

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        if (_writer is not null)
        {
            return;
        }
        var synchronous = _options.Synchronous.ToUpperInvariant() switch
        {
            "FULL" or "EXTRA" or "NORMAL" => _options.Synchronous.ToUpperInvariant(),
            _ => throw new InvalidOperationException($"Storage:Synchronous must be FULL, EXTRA or NORMAL, not '{_options.Synchronous}'"),
        };
        var writer = new SqliteConnection(_writeConnectionString);
        await writer.OpenAsync(cancellationToken);
        await ExecutePragmaAsync(writer, "PRAGMA journal_mode=WAL");
        await ExecutePragmaAsync(writer, $"PRAGMA synchronous={synchronous}");
        await ExecutePragmaAsync(writer, "PRAGMA foreign_keys=ON");
        await ExecutePragmaAsync(writer, "PRAGMA busy_timeout=30000");
        await ExecutePragmaAsync(writer, MmapPragma);
        await Migrator.ApplyAsync(writer, Dialect, cancellationToken);
        Profile.Watch(writer, write: true);
        _writer = new CachingSqliteConnection(writer);
        _writerLoop = Task.Run(RunWriterAsync, CancellationToken.None);
    }

    /// <summary>
    /// Reads of the database file through a memory map instead of read() calls. In WAL mode a connection drops its
    /// page cache whenever another connection wrote since its last transaction, so under a steady stream of writes
    /// every read fetched each B-tree page again with a pread and a 4 KiB copy; mapped, a page of the main file is a
    /// pointer. Writes still go through write() and the WAL (SQLite's default build), so durability is unchanged.
    /// Touched pages of the map count toward the process's resident memory (they are the OS page cache's, shared), so
    /// the map covers the first 128 MiB of the file; pages beyond it are read as before.
    /// </summary>
    private const string MmapPragma = "PRAGMA mmap_size=134217728";

    private static async Task ExecutePragmaAsync(SqliteConnection connection, string pragma)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = pragma;
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken cancellationToken = default)
    {
        if (!_idleReaders.TryTake(out var connection))
        {
            var opened = new SqliteConnection(_readConnectionString);
            await opened.OpenAsync(cancellationToken);
            Profile.Watch(opened, write: false);
            await ExecutePragmaAsync(opened, MmapPragma);
            connection = new CachingSqliteConnection(opened);
        }
        try
        {
            return await read(connection);
        }
        finally
        {
            if (connection.State == ConnectionState.Open && _idleReaders.Count < _maxIdleReaders)
            {
                _idleReaders.Add(connection);
            }
            else
            {
                await connection.DisposeAsync();
            }
        }
    }

    public Task<T> WriteAsync<T>(Func<DbTx, Task<T>> write, CancellationToken cancellationToken = default)
    {
        if (_writer is null)
        {
            throw new InvalidOperationException("MigrateAsync must run before the first write.");
        }
        Profile.WriteOperation();
        var operation = new WriteOperation<T>(write);
        if (!_queue.Writer.TryWrite(operation))
        {
            throw new StorageUnavailableException("The store is shutting down.");
        }
        return operation.Completion.Task;
    }

    private async Task RunWriterAsync()
    {
        var batch = new List<IWriteOperation>(_options.MaxWriteBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _options.MaxWriteBatch && reader.TryRead(out var operation))
            {
                batch.Add(operation);
            }
            var started = Stopwatch.GetTimestamp();
            await CommitBatchAsync(batch);
            Profile.WriteTransaction(started, batch.Count);
        }
    }

    private async Task CommitBatchAsync(List<IWriteOperation> batch)
    {
        var writer = _writer!;
        try
        {
            // First pass, the common case: every operation runs straight in the batch's transaction, no savepoints
            // (two statements per operation saved). If one throws, the transaction is rolled back, that operation
            // keeps its failure, and the rest of the batch runs again, each in its own savepoint (IDatabase allows a
            // delegate to be run more than once).
            var failed = await RunBatchAsync(writer, batch, savepoints: false, skip: null);
            if (failed is not null && batch.Count > 1)
            {
                // Its failure stands (nothing of it commits); the others run again. Its caller hears of it only
                // after their commit, like every other outcome: the refusal may rest on what they wrote.
                await RunBatchAsync(writer, batch, savepoints: true, skip: failed);
            }
        }
        catch (Exception ex)
        {
            _logger.LogError("SQLite write batch of {Count} failed: {ExceptionType}", batch.Count, ex.GetType().Name);
            foreach (var operation in batch)
            {
                operation.Abort(new StorageUnavailableException("The write could not be committed.", ex));
            }
            return;
        }
        foreach (var operation in batch)
        {
            operation.Complete();
        }
    }

    /// <summary>
    /// Runs the batch in one transaction and commits it. Without <paramref name="savepoints"/>, the first operation
    /// that throws rolls the whole transaction back and is returned (failed; nothing is committed); with them, a
    /// failing operation rolls back to its own savepoint and the others commit. <paramref name="skip"/> (a failed
    /// operation) does not run.
    /// </summary>
    private async Task<IWriteOperation?> RunBatchAsync(CachingSqliteConnection writer, List<IWriteOperation> batch, bool savepoints,
        IWriteOperation? skip)
    {
        // BEGIN IMMEDIATE: take the write lock now, so the batch never fails half-way on a busy database.
        await using var transaction = writer.Inner.BeginTransaction(deferred: false);
        var tx = new DbTx(writer, transaction, Dialect);
        foreach (var operation in batch)
        {
            if (ReferenceEquals(operation, skip))
            {
                continue;
            }
            if (!savepoints)
            {
                try
                {
                    await operation.RunAsync(tx);
                }
                catch (Exception ex)
                {
                    operation.Fail(Translate(ex));
                    transaction.Rollback();
                    return operation;
                }
                continue;
            }
            writer.Execute("SAVEPOINT op", transaction);
            try
            {
                await operation.RunAsync(tx);
                writer.Execute("RELEASE op", transaction);
            }
            catch (Exception ex)
            {
                writer.Execute("ROLLBACK TO op", transaction);
                writer.Execute("RELEASE op", transaction);
                operation.Fail(Translate(ex));
            }
        }
        var committing = Stopwatch.GetTimestamp();
        await transaction.CommitAsync();
        Profile.Committed(committing);
        Profile.CountPagesWritten(writer.Inner);
        return null;
    }

    // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY: what PostgreSQL reports as 23505;
    // SQLITE_CONSTRAINT_FOREIGNKEY: 23503.
    private static Exception Translate(Exception exception) => exception switch
    {
        SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 } => new UniqueViolationException(exception.Message, exception),
        SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 787 } => new ForeignKeyViolationException(exception.Message, exception),
        _ => exception,
    };

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_writerLoop is not null)
        {
            await _writerLoop;
        }
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }
        while (_idleReaders.TryTake(out var reader))
        {
            await reader.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
    }

    private interface IWriteOperation
    {
        Task RunAsync(DbTx tx);

        void Fail(Exception exception);

        void Complete();

        void Abort(Exception exception);
    }

    private sealed class WriteOperation<T>(Func<DbTx, Task<T>> write) : IWriteOperation
    {
        private T? _result;
        private Exception? _failure;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RunAsync(DbTx tx) => _result = await write(tx);

        // Failures are held back until the batch is over: a caller never learns an outcome before the commit.
        public void Fail(Exception exception) => _failure ??= exception;

        public void Abort(Exception exception) => Completion.TrySetException(exception);

        public void Complete()
        {
            if (_failure is not null)
            {
                Completion.TrySetException(_failure);
            }
            else
            {
                Completion.TrySetResult(_result!);
            }
        }
    }
}
