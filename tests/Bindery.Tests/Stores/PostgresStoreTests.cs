using Bindery.Storage;
using Bindery.Tests.Support;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bindery.Tests.Stores;

/// <summary>What only the PostgreSQL store has to get right: several nodes, lost connections, aborted transactions.</summary>
[Trait("Store", "PostgresOnly")]
public sealed class PostgresStoreTests
{
    [SkippableFact]
    public async Task Nodes_starting_together_on_an_empty_database_apply_each_migration_exactly_once()
    {
        PostgresCluster.SkipUnlessAvailable();
        using var storage = TestStorage.CreatePostgres();
        var nodes = Enumerable.Range(0, 6).Select(_ => OpenStore.Open(storage)).ToList();

        await Task.WhenAll(nodes.Select(n => Task.Run(() => n.MigrateAsync())));

        var applied = await nodes[0].ReadAsync(c => c.QueryAsync<long>("SELECT version FROM schema_migrations"));
        Assert.Equal(Migrator.Load(SqlDialect.Postgres).Select(m => (long)m.Version).Order(), applied.Order());
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task A_write_delegate_that_swallows_a_database_error_is_refused_instead_of_looking_committed()
    {
        PostgresCluster.SkipUnlessAvailable();
        using var storage = TestStorage.CreatePostgres();
        await using var db = await OpenStore.MigratedAsync(storage);
        await db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('dup', 'first')"));

        // PostgreSQL would answer this transaction's COMMIT with a silent ROLLBACK.
        await Assert.ThrowsAsync<InvalidOperationException>(() => db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('written', 'x')");
            try
            {
                await tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('dup', 'second')");
            }
            catch (Npgsql.PostgresException)
            {
                return false;
            }
            return true;
        }));

        Assert.Equal(0, await db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM settings WHERE key = 'written'")));
    }

    [SkippableFact]
    public async Task An_unreachable_database_is_reported_as_storage_unavailable()
    {
        PostgresCluster.SkipUnlessAvailable();
        var nobodyListens = PostgresCluster.Shared.ConnectionString("bindery").Replace($"Port={PostgresCluster.Shared.Port}", "Port=1", StringComparison.Ordinal) + ";Timeout=2";
        await using var db = new PostgresDatabase(nobodyListens, new StorageOptions(), NullLogger<PostgresDatabase>.Instance);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => db.MigrateAsync());
        await Assert.ThrowsAsync<StorageUnavailableException>(() => db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT 1")));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => db.WriteAsync(tx => tx.ExecuteAsync("SELECT 1")));
    }

    [SkippableFact]
    public async Task Two_nodes_racing_on_one_row_lose_no_update()
    {
        PostgresCluster.SkipUnlessAvailable();
        using var storage = TestStorage.CreatePostgres();
        // Sixty writers on one row: the loser of each round runs again, and on a loaded machine (a whole suite running
        // beside it) a writer can lose more rounds than the default 12 attempts allow. Giving up is not what this test
        // is about (that is a 9014 to the caller, not a lost update), so the attempts here are generous.
        var options = new StorageOptions { Provider = storage.Provider, ConnectionString = storage.ConnectionString, MaxWriteAttempts = 200 };
        await using var nodeA = await OpenStore.MigratedAsync(storage, options);
        await using var nodeB = await OpenStore.MigratedAsync(storage, options);
        await nodeA.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO guess_counters (scope, subject, failures, window_started_at) VALUES ('s', 'x', 0, 0)"));

        // A read-modify-write without FOR UPDATE: only serializable transactions keep every increment.
        await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() => (i % 2 == 0 ? nodeA : nodeB).WriteAsync(async tx =>
        {
            var failures = await tx.QuerySingleOrDefaultAsync<int>("SELECT failures FROM guess_counters WHERE scope = 's' AND subject = 'x'");
            await tx.ExecuteAsync("UPDATE guess_counters SET failures = @Failures WHERE scope = 's' AND subject = 'x'", new { Failures = failures + 1 });
        }))));

        Assert.Equal(60, await nodeA.ReadAsync(c => c.ExecuteScalarAsync<int>("SELECT failures FROM guess_counters WHERE scope = 's' AND subject = 'x'")));
    }
}
