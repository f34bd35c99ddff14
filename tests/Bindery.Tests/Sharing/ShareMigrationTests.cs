using Bindery.Storage;
using Bindery.Tests.Stores;
using Bindery.Tests.Support;
using Dapper;

namespace Bindery.Tests.Sharing;

/// <summary>
/// Migration 0017 on a store that already holds shares (addressed, from before open codes): accepted ones keep the
/// device with no sharing end, every row gets an accepting window of created_at + 7 days, and the new columns allow
/// an open code (no recipient). On SQLite the table is rebuilt; on PostgreSQL altered in place.
/// </summary>
public sealed class ShareMigrationTests : IAsyncLifetime
{
    private readonly TestStorage _storage = TestStore.Create();
    private IDatabase _db = null!;

    public Task InitializeAsync()
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        _db = OpenStore.Open(_storage);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        _storage.Dispose();
    }

    private sealed class Row
    {
        public string ShareId { get; set; } = "";

        public string? UserId { get; set; }

        public long CreatedAt { get; set; }

        public long? AcceptedAt { get; set; }

        public string? DeviceName { get; set; }

        public long AcceptingExpireAt { get; set; }

        public long? SharingExpireAt { get; set; }

        public string? CodeHash { get; set; }

        public string? AuthKeyHash { get; set; }
    }

    [Fact]
    public async Task Existing_shares_survive_with_a_seven_day_accepting_window_and_no_sharing_end()
    {
        const long Created = 1_700_000_000_000;
        // A store as it was before 0017: everything migrated, then device_shares put back to its 0001 + 0013 shape and
        // 0017 forgotten, with the shares an older Bindery made.
        await _db.MigrateAsync();
        await _db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync("DROP TABLE device_shares");
            await tx.ExecuteAsync(
                """
                CREATE TABLE device_shares (
                    share_id      TEXT PRIMARY KEY,
                    pk            TEXT NOT NULL,
                    dk            TEXT NOT NULL,
                    owner_user_id TEXT NOT NULL REFERENCES users (id),
                    user_id       TEXT NOT NULL REFERENCES users (id),
                    created_at    BIGINT NOT NULL,
                    accepted_at   BIGINT NULL,
                    device_name   TEXT NULL,
                    FOREIGN KEY (pk, dk) REFERENCES devices (pk, dk),
                    UNIQUE (pk, dk, user_id)
                )
                """);
            await tx.ExecuteAsync("DELETE FROM schema_migrations WHERE version = 17");
            await tx.ExecuteAsync("INSERT INTO user_domains (id, secret, home_mode, created_at) VALUES ('ud1', 's', FALSE, 0)");
            foreach (var user in new[] { "owner", "guest", "invitee" })
            {
                await tx.ExecuteAsync("INSERT INTO users (id, domain_id, username, password_hash, created_at) VALUES (@Id, 'ud1', @Id, 'x', 0)", new { Id = user });
            }
            await tx.ExecuteAsync(
                """
                INSERT INTO products (pk, ps, name, logo_url, module_type, binding_mode, user_cap, methods, created_at)
                VALUES ('pk1', '0123456789abcdef', 'Lamp', '', 'EC200U', 1, 3, 15, 0)
                """);
            await tx.ExecuteAsync("INSERT INTO devices (pk, dk, sn, device_secret, module_type, data_center, created_at) VALUES ('pk1', 'dk1', 'sn1', 'x', 'EC200U', 'dc', 0)");
            await tx.ExecuteAsync(
                """
                INSERT INTO device_shares (share_id, pk, dk, owner_user_id, user_id, created_at, accepted_at, device_name)
                VALUES ('accepted', 'pk1', 'dk1', 'owner', 'guest', @Created, @Created, 'Hall'),
                       ('pending', 'pk1', 'dk1', 'owner', 'invitee', @Created, NULL, NULL)
                """,
                new { Created });
            return 0;
        });
        await _db.DisposeAsync();
        _db = await OpenStore.MigratedAsync(_storage);
        Assert.Equal(1L, await _db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations WHERE version = 17")));

        var rows = (await _db.ReadAsync(c => c.QueryAsync<Row>("SELECT * FROM device_shares ORDER BY share_id"))).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal((Created + (long)TimeSpan.FromDays(7).TotalMilliseconds, (long?)null, (string?)null, (string?)null),
            (r.AcceptingExpireAt, r.SharingExpireAt, r.CodeHash, r.AuthKeyHash)));
        Assert.Equal(("accepted", "guest", (long?)Created, "Hall"), (rows[0].ShareId, rows[0].UserId, rows[0].AcceptedAt, rows[0].DeviceName));
        Assert.Equal(("pending", "invitee", (long?)null), (rows[1].ShareId, rows[1].UserId, rows[1].AcceptedAt));

        // An open code has no recipient; two of them do not collide on UNIQUE (pk, dk, user_id); a second share of the
        // same device to the same user still does.
        await _db.WriteAsync(tx => tx.ExecuteAsync(
            """
            INSERT INTO device_shares (share_id, pk, dk, owner_user_id, user_id, created_at, code_hash, accepting_expire_at)
            VALUES ('open1', 'pk1', 'dk1', 'owner', NULL, 1, 'h1', 2), ('open2', 'pk1', 'dk1', 'owner', NULL, 1, 'h2', 2)
            """));
        await Assert.ThrowsAnyAsync<Exception>(() => _db.WriteAsync(tx => tx.ExecuteAsync(
            "INSERT INTO device_shares (share_id, pk, dk, owner_user_id, user_id, created_at, accepting_expire_at) VALUES ('dup', 'pk1', 'dk1', 'owner', 'guest', 1, 2)")));
    }
}
