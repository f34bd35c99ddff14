using Bindery.Storage;
using Bindery.Tests.Support;
using Dapper;

namespace Bindery.Tests.Stores;

/// <summary>
/// The store's write shapes beside the plain transaction: writes that ask for <see cref="WriteIsolation.RowLocks"/>,
/// lone deciding statements (<see cref="IDatabase.ExecuteWriteAsync"/>), and prepared statements on PostgreSQL.
/// The settings table serves as a scratch key-value table.
/// </summary>
public sealed class WriteIsolationTests : IAsyncLifetime
{
    private readonly TestStorage _storage = TestStore.Create();
    private IDatabase _db = null!;

    public async Task InitializeAsync() => _db = await OpenStore.MigratedAsync(_storage);

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        _storage.Dispose();
    }

    [Fact]
    public async Task A_lone_statement_write_is_durable_when_it_returns_and_says_how_many_rows_it_changed()
    {
        var inserted = await _db.ExecuteWriteAsync("INSERT INTO settings (key, value) VALUES (@Key, 'v') ON CONFLICT (key) DO NOTHING", new { Key = "k" });
        var again = await _db.ExecuteWriteAsync("INSERT INTO settings (key, value) VALUES (@Key, 'v') ON CONFLICT (key) DO NOTHING", new { Key = "k" });

        Assert.Equal(1, inserted);
        Assert.Equal(0, again);
        Assert.Equal("v", await _db.ReadAsync(c => c.QuerySingleAsync<string>("SELECT value FROM settings WHERE key = 'k'")));
    }

    [Fact]
    public async Task A_lone_statement_that_breaks_a_unique_constraint_comes_out_as_a_unique_violation()
    {
        await _db.ExecuteWriteAsync("INSERT INTO settings (key, value) VALUES ('k', 'v')");

        await Assert.ThrowsAsync<UniqueViolationException>(() => _db.ExecuteWriteAsync("INSERT INTO settings (key, value) VALUES ('k', 'w')"));
    }

    [Fact]
    public async Task Row_lock_writes_racing_on_one_locked_row_lose_no_update()
    {
        await _db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('n', '0')"));

        // Read, decide, write — safe at READ COMMITTED only because the read locks the row first.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => _db.WriteAsync(async tx =>
        {
            var value = await tx.QuerySingleOrDefaultAsync<string>(tx.LockRowsSql("settings", "value", "key = 'n'", touchColumn: "value"));
            await tx.ExecuteAsync("UPDATE settings SET value = @Value WHERE key = 'n'", new { Value = (int.Parse(value!, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }, WriteIsolation.RowLocks))));

        Assert.Equal("40", await _db.ReadAsync(c => c.QuerySingleAsync<string>("SELECT value FROM settings WHERE key = 'n'")));
    }
}

/// <summary>What only PostgreSQL has to get right about writes of different isolations side by side, and prepared statements.</summary>
[Trait("Store", "PostgresOnly")]
public sealed class PostgresWriteIsolationTests
{
    [SkippableFact]
    public async Task A_serializable_write_that_locks_a_row_after_a_row_lock_write_committed_under_it_runs_again_and_sees_that_write()
    {
        PostgresCluster.SkipUnlessAvailable();
        using var storage = TestStorage.CreatePostgres();
        await using var db = await OpenStore.MigratedAsync(storage);
        await db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('device', 'x')"));
        var locked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var snapshotTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A bind-like write: locks the row, then writes a row beside it.
        var rowLockWrite = db.WriteAsync(async tx =>
        {
            await tx.QuerySingleOrDefaultAsync<string>(tx.LockRowsSql("settings", "value", "key = 'device'", touchColumn: "value"));
            locked.TrySetResult();
            await snapshotTaken.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('binding', 'b')");
        }, WriteIsolation.RowLocks);

        // A share-accept-like write, still SERIALIZABLE: its snapshot is older than the other's commit, its lock younger.
        var runs = 0;
        var seen = await db.WriteAsync(async tx =>
        {
            runs++;
            await locked.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM settings");
            snapshotTaken.TrySetResult();
            await tx.QuerySingleOrDefaultAsync<string>("SELECT value FROM settings WHERE key = 'device'" + tx.Dialect.ForUpdate);
            return await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM settings WHERE key = 'binding'");
        });
        await rowLockWrite;

        Assert.Equal(1, seen);
        Assert.Equal(2, runs);
    }

    [SkippableFact]
    public async Task A_statement_run_twice_on_a_connection_is_prepared_there()
    {
        PostgresCluster.SkipUnlessAvailable();
        using var storage = TestStorage.CreatePostgres();
        await using var db = await OpenStore.MigratedAsync(storage);

        var prepared = await db.ReadAsync(async c =>
        {
            for (var i = 0; i < 3; i++)
            {
                await c.QuerySingleOrDefaultAsync<string>("SELECT value FROM settings WHERE key = @Key", new { Key = "k" + i });
            }
            return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM settings WHERE key = $1%'");
        });

        Assert.Equal(1, prepared);
    }
}
