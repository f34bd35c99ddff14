using System.Data.Common;
using System.Globalization;
using Bindery.Infrastructure;
using Bindery.Storage;
using Bindery.Tests.Support;
using Dapper;

namespace Bindery.Tests.Stores;

/// <summary>
/// What every feature relies on from <see cref="IDatabase"/>, checked on the suite's store (SQLite, or
/// PostgreSQL with BINDERY_TEST_STORE=postgres). The settings table serves as a scratch key-value table.
/// </summary>
public sealed class StoreContractTests : IAsyncLifetime
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
    public async Task An_acknowledged_write_is_visible_to_the_next_read()
    {
        await _db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('k', 'v')"));

        var value = await _db.ReadAsync(c => c.QuerySingleAsync<string>("SELECT value FROM settings WHERE key = 'k'"));

        Assert.Equal("v", value);
    }

    [Fact]
    public async Task A_throw_inside_a_write_rolls_back_everything_that_write_did()
    {
        var thrown = await Assert.ThrowsAsync<BinderyException>(() => _db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('first', '1')");
            await tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('second', '2')");
            throw new BinderyException(Errors.InvalidParameter, "refused after writing");
        }));

        Assert.Equal(Errors.InvalidParameter, thrown.Error);
        Assert.Equal(0, await CountSettingsAsync());
    }

    [Fact]
    public async Task A_failed_write_leaves_concurrent_writes_untouched()
    {
        var writes = Enumerable.Range(0, 20).Select(i => _db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES (@Key, 'x')", new { Key = "k" + i });
            if (i % 2 == 1)
            {
                throw new BinderyException(Errors.InvalidParameter);
            }
            return i;
        }));

        var outcomes = await Task.WhenAll(writes.Select(async w =>
        {
            try
            {
                return await w;
            }
            catch (BinderyException)
            {
                return -1;
            }
        }));

        Assert.Equal(10, outcomes.Count(o => o >= 0));
        Assert.Equal(10, await CountSettingsAsync());
    }

    [Fact]
    public async Task A_broken_unique_constraint_comes_out_as_UniqueViolationException_and_rolls_the_write_back()
    {
        await _db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('dup', 'first')"));

        await Assert.ThrowsAsync<UniqueViolationException>(() => _db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('other', 'x')");
            await tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('dup', 'second')");
        }));

        Assert.Equal(1, await CountSettingsAsync());
        Assert.Equal("first", await _db.ReadAsync(c => c.QuerySingleAsync<string>("SELECT value FROM settings WHERE key = 'dup'")));
    }

    [Fact]
    public async Task A_unique_violation_is_recognisable_as_a_DbException_with_sql_state_23505_on_either_store()
    {
        await _db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('dup', 'first')"));

        var thrown = await Assert.ThrowsAnyAsync<DbException>(() => _db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('dup', 'second')")));

        Assert.Equal("23505", thrown.SqlState);
    }

    [Fact]
    public async Task Concurrent_read_then_write_delegates_behave_as_if_run_one_at_a_time()
    {
        // Each write reads the counter and stores it plus one: any interleaving would lose increments.
        await _db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('counter', '0')"));
        const int writers = 40;

        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(() => _db.WriteAsync(async tx =>
        {
            var current = int.Parse((await tx.QuerySingleOrDefaultAsync<string>("SELECT value FROM settings WHERE key = 'counter'"))!, CultureInfo.InvariantCulture);
            await tx.ExecuteAsync("UPDATE settings SET value = @Value WHERE key = 'counter'", new { Value = (current + 1).ToString(CultureInfo.InvariantCulture) });
        }))));

        Assert.Equal(writers.ToString(CultureInfo.InvariantCulture), await _db.ReadAsync(c => c.QuerySingleAsync<string>("SELECT value FROM settings WHERE key = 'counter'")));
    }

    [Fact]
    public async Task Racing_check_then_insert_writes_end_with_one_winner_and_the_others_seeing_it()
    {
        // The shape of every "first one wins" rule (bind an owner-mode device, use a single-use code): each
        // racer looks, and inserts only when nothing is there. Exactly one inserts; no racer sees an error.
        for (var round = 0; round < 10; round++)
        {
            var key = "race" + round;
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => _db.WriteAsync(async tx =>
            {
                var holder = await tx.QuerySingleOrDefaultAsync<string>("SELECT value FROM settings WHERE key = @Key", new { Key = key });
                if (holder is not null)
                {
                    return "lost to " + holder;
                }
                await tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES (@Key, @Value)", new { Key = key, Value = "racer" + i });
                return "won";
            }))));

            Assert.Single(outcomes, o => o == "won");
            var winner = await _db.ReadAsync(c => c.QuerySingleAsync<string>("SELECT value FROM settings WHERE key = @Key", new { Key = key }));
            Assert.All(outcomes.Where(o => o != "won"), o => Assert.Equal("lost to " + winner, o));
        }
    }

    [Fact]
    public async Task A_list_parameter_matches_through_the_dialect_on_either_store()
    {
        await _db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO settings (key, value) VALUES ('a', '1'), ('b', '2'), ('c', '3')"));

        var found = await _db.ReadAsync(c => c.QueryAsync<string>(
            $"SELECT key FROM settings WHERE {_db.Dialect.InList("key", "@Keys")} ORDER BY key", new { Keys = new[] { "a", "c", "z" } }));
        var none = await _db.ReadAsync(c => c.QueryAsync<string>(
            $"SELECT key FROM settings WHERE {_db.Dialect.InList("key", "@Keys")}", new { Keys = Array.Empty<string>() }));

        Assert.Equal(["a", "c"], found);
        Assert.Empty(none);
    }

    [Fact]
    public async Task Migrating_again_applies_nothing_twice()
    {
        await _db.MigrateAsync();
        await using var again = await OpenStore.MigratedAsync(_storage);

        var versions = await again.ReadAsync(c => c.QueryAsync<long>("SELECT version FROM schema_migrations"));

        Assert.Equal(Migrator.Load(again.Dialect).Select(m => (long)m.Version).Order(), versions.Order());
    }

    [Fact]
    public void An_unmapped_unique_violation_is_answered_as_a_conflict_never_as_500()
    {
        var (error, _) = ErrorHandling.Classify(new UniqueViolationException("duplicate", new InvalidOperationException()));

        Assert.Equal(Errors.AlreadyExists, error);
        Assert.Equal(409, error.HttpStatus);
    }

    private Task<long> CountSettingsAsync() => _db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM settings"));
}
