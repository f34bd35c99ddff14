using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Net.Sockets;
using Dapper;
using Npgsql;

namespace Bindery.Storage;

/// <summary>
/// PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>; any number of Bindery nodes may share the
/// database. Every write is its own transaction, SERIALIZABLE unless the write asks for
/// <see cref="WriteIsolation.RowLocks"/> (READ COMMITTED: it decides under row locks or by atomic statements; see
/// docs/scaling.md for which writes do), and a lone deciding statement runs without BEGIN/COMMIT
/// (<see cref="ExecuteWriteAsync"/>). The SERIALIZABLE default exists because the write delegates are written against
/// SQLite's single writer, where each one runs as if alone, and SERIALIZABLE gives exactly that guarantee
/// on PostgreSQL (a read-check-write such as "count the users, then insert one more" cannot interleave with
/// another node's). When PostgreSQL detects that two transactions could not have run one after the other
/// (40001) or deadlocked (40P01), the loser is rolled back and its delegate runs again from the start, after
/// a short random pause. A unique violation (23505) also earns one more run, which then sees the row the
/// concurrent transaction committed and can answer as it would have on SQLite; a second one is thrown as
/// <see cref="UniqueViolationException"/>.
/// </summary>
public sealed class PostgresDatabase : IDatabase
{
    // pg_advisory_lock key that keeps nodes starting together from migrating at the same time ("Bindery").
    private const long MigrationLockKey = 0x42696E64657279;
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _migrationConnectionString;
    private readonly StorageOptions _options;
    private readonly ILogger<PostgresDatabase> _logger;

    public PostgresDatabase(string connectionString, StorageOptions options, ILogger<PostgresDatabase> logger)
    {
        _options = options;
        _logger = logger;
        Profile = new StoreProfile("postgres", options.Profile);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "bindery";
        }
        // The migration lock is a session lock: it lives on a connection of its own, never handed to the pool.
        _migrationConnectionString = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false }.ConnectionString;
        // Automatic preparation: a statement the pool's connection has run AutoPrepareMinUsages times is prepared on it
        // (parsed and planned once), so the hot statements, text and parameter types as Dapper sends them, skip the
        // server's parse and plan from then on. A connection string that sets either keeps its own values.
        if (!ConnectionStringSets(connectionString, "Max Auto Prepare", "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = options.PostgresMaxAutoPrepare;
        }
        if (!ConnectionStringSets(connectionString, "Auto Prepare Min Usages", "AutoPrepareMinUsages"))
        {
            builder.AutoPrepareMinUsages = options.PostgresAutoPrepareMinUsages;
        }
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public SqlDialect Dialect => SqlDialect.Postgres;

    public StoreProfile Profile { get; }

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = new NpgsqlConnection(_migrationConnectionString);
            await connection.OpenAsync(cancellationToken);
            // Waits as long as another node is migrating; the host's start-up token ends the wait.
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_lock(@Key)", new { Key = MigrationLockKey }, commandTimeout: 0, cancellationToken: cancellationToken));
            try
            {
                await Migrator.ApplyAsync(connection, Dialect, cancellationToken);
            }
            finally
            {
                // Closing the session would release the lock as well; unlocking says so explicitly.
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(@Key)", new { Key = MigrationLockKey });
            }
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw new StorageUnavailableException("PostgreSQL is not reachable.", ex);
        }
    }

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken cancellationToken = default)
    {
        Profile.EnterPostgres(write: false);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return await read(connection);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw new StorageUnavailableException("PostgreSQL is not reachable.", ex);
        }
    }

    private static bool ConnectionStringSets(string connectionString, params string[] keys)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return keys.Any(given.ContainsKey);
    }

    public Task<T> WriteAsync<T>(Func<DbTx, Task<T>> write, CancellationToken cancellationToken = default) =>
        WriteAsync(write, WriteIsolation.Serializable, cancellationToken);

    public Task<T> WriteAsync<T>(Func<DbTx, Task<T>> write, WriteIsolation isolation, CancellationToken cancellationToken = default) =>
        RunWithRetriesAsync(token => RunOnceAsync(write, isolation, token), cancellationToken);

    public Task<int> ExecuteWriteAsync(string sql, object? param = null, CancellationToken cancellationToken = default) =>
        RunWithRetriesAsync(async token =>
        {
            // No BEGIN and no COMMIT: PostgreSQL runs a lone statement as its own transaction (READ COMMITTED unless the
            // server says otherwise) and answers only once that commit is durable, all in one round trip.
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            return await connection.ExecuteAsync(new CommandDefinition(sql, param, cancellationToken: token));
        }, cancellationToken);

    /// <summary>
    /// Runs one transaction (or lone statement) and translates its failures: serialization failures (which only
    /// SERIALIZABLE writes meet) and deadlocks run it again after a short random pause; a unique violation earns one
    /// more run; the rest is thrown as the store's exceptions.
    /// </summary>
    private async Task<T> RunWithRetriesAsync<T>(Func<CancellationToken, Task<T>> run, CancellationToken cancellationToken)
    {
        Profile.WriteOperation();
        Profile.EnterPostgres(write: true);
        var retriedDuplicate = false;
        for (var attempt = 1; ; attempt++)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return await run(cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
            {
                if (attempt >= _options.MaxWriteAttempts)
                {
                    _logger.LogWarning("PostgreSQL write gave up after {Attempts} attempts ({SqlState})", attempt, ex.SqlState);
                    throw new StorageUnavailableException("The write kept conflicting with concurrent writes.", ex);
                }
                await Task.Delay(Backoff(attempt), CancellationToken.None);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                if (retriedDuplicate || attempt >= _options.MaxWriteAttempts)
                {
                    throw new UniqueViolationException($"Unique constraint {ex.ConstraintName} refused the write.", ex);
                }
                retriedDuplicate = true;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                throw new ForeignKeyViolationException($"Foreign key {ex.ConstraintName} refused the write.", ex);
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                // Not retried: a connection lost during COMMIT leaves the outcome unknown, so only the client,
                // which can look, may decide to try again.
                throw new StorageUnavailableException("PostgreSQL is not reachable.", ex);
            }
            finally
            {
                Profile.WriteTransaction(started);
            }
        }
    }

    private async Task<T> RunOnceAsync<T>(Func<DbTx, Task<T>> write, WriteIsolation isolation, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // Npgsql sends the BEGIN with the delegate's first statement: no round trip of its own.
        await using var transaction = await connection.BeginTransactionAsync(
            isolation == WriteIsolation.RowLocks ? IsolationLevel.ReadCommitted : IsolationLevel.Serializable, cancellationToken);
        var tx = new DbTx(connection, transaction, Dialect) { Isolation = isolation, Sender = DeferredSender.Instance };
        var result = await write(tx);
        // PostgreSQL answers COMMIT in a transaction that an earlier statement aborted with a silent ROLLBACK.
        // A delegate that caught and swallowed a database error would then look committed; the probe in front
        // of COMMIT fails with 25P02 in exactly that case, in the same round trip. The statements the write put off
        // (DbTx.ExecuteLaterAsync) go first in the same round trip; an error of theirs aborts the COMMIT.
        await using var commit = new NpgsqlBatch(connection, transaction);
        AddDeferred(commit, tx.TakeDeferred());
        commit.BatchCommands.Add(new NpgsqlBatchCommand("SELECT 1"));
        commit.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        var committing = Stopwatch.GetTimestamp();
        try
        {
            await commit.ExecuteNonQueryAsync(CancellationToken.None);
            Profile.Committed(committing);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InFailedSqlTransaction)
        {
            throw new InvalidOperationException("A write delegate swallowed a database error; its transaction was rolled back.", ex);
        }
        return result;
    }

    /// <summary>Sends what a write put off (<see cref="DbTx.ExecuteLaterAsync"/>) as an Npgsql batch with the statement that follows.</summary>
    private sealed class DeferredSender : IDeferredSender
    {
        public static readonly DeferredSender Instance = new();

        public async Task<int> ExecuteAsync(DbTx tx, IReadOnlyList<DeferredStatement> deferred, string? sql, object? param)
        {
            await using var batch = Batch(tx, deferred, sql, param);
            await batch.ExecuteNonQueryAsync(CancellationToken.None);
            return sql is null ? 0 : batch.BatchCommands[^1].RecordsAffected;
        }

        public async Task<DbDataReader> ReadAsync(DbTx tx, IReadOnlyList<DeferredStatement> deferred, string sql, object? param)
        {
            var batch = Batch(tx, deferred, sql, param);
            var reader = await batch.ExecuteReaderAsync(CancellationToken.None);
            // Statements without rows (INSERT, UPDATE) leave no result set; a row lock put off leaves one, skipped here.
            foreach (var statement in deferred)
            {
                if (statement.ReturnsRows)
                {
                    await reader.NextResultAsync(CancellationToken.None);
                }
            }
            return reader;
        }

        private static NpgsqlBatch Batch(DbTx tx, IReadOnlyList<DeferredStatement> deferred, string? sql, object? param)
        {
            var batch = new NpgsqlBatch((NpgsqlConnection)tx.Connection, (NpgsqlTransaction)tx.Transaction);
            AddDeferred(batch, deferred);
            if (sql is not null)
            {
                batch.BatchCommands.Add(Command(sql, param));
            }
            return batch;
        }
    }

    /// <summary>Adds statements put off by a write to <paramref name="batch"/>.</summary>
    private static void AddDeferred(NpgsqlBatch batch, IReadOnlyList<DeferredStatement> deferred)
    {
        foreach (var statement in deferred)
        {
            batch.BatchCommands.Add(Command(statement.Sql, statement.Param));
        }
    }

    /// <summary>
    /// A batch command whose parameters are bound by name as Dapper binds them: an object's public properties, a
    /// dictionary's entries or a <see cref="DynamicParameters"/>' values; an enum as its number; a null as an untyped
    /// NULL, which PostgreSQL types by where it is used.
    /// </summary>
    private static NpgsqlBatchCommand Command(string sql, object? param)
    {
        var command = new NpgsqlBatchCommand(sql);
        void Add(string name, object? value) =>
            command.Parameters.Add(new NpgsqlParameter(name, value switch
            {
                null => DBNull.Value,
                Enum e => Convert.ChangeType(e, Enum.GetUnderlyingType(e.GetType()), System.Globalization.CultureInfo.InvariantCulture),
                _ => value,
            }));
        switch (param)
        {
            case null:
                break;
            case DynamicParameters dynamic:
                foreach (var name in dynamic.ParameterNames)
                {
                    Add(name, ((SqlMapper.IParameterLookup)dynamic)[name]);
                }
                break;
            case IEnumerable<KeyValuePair<string, object?>> entries:
                foreach (var (name, value) in entries)
                {
                    Add(name, value);
                }
                break;
            default:
                foreach (var property in ParameterProperties.GetOrAdd(param.GetType(), type => type.GetProperties()))
                {
                    Add(property.Name, property.GetValue(param));
                }
                break;
        }
        return command;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, System.Reflection.PropertyInfo[]> ParameterProperties = new();

    private static TimeSpan Backoff(int attempt)
    {
        // Full jitter on an exponential ceiling (2, 4, 8 … 256 ms): the losers of one conflict spread out
        // instead of colliding again in lockstep.
        var ceilingMs = Math.Min(256, 1 << Math.Min(attempt, 8));
        return TimeSpan.FromMilliseconds(1 + Random.Shared.NextDouble() * ceilingMs);
    }

    /// <summary>True when the failure is the database being out of reach rather than something the write did.</summary>
    private static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)  // connection exception
            || pg.SqlState.StartsWith("53", StringComparison.Ordinal)                    // insufficient resources, too many connections
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)                   // shutting down, cannot connect now
            || pg.SqlState == PostgresErrorCodes.QueryCanceled,                           // statement timeout
        NpgsqlException => true,                                                          // network, pool timeout, broken connection
        SocketException or TimeoutException => true,
        ObjectDisposedException => true,                                                  // the node is shutting down
        _ => false,
    };

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
