using Bindery.Accounts;
using Bindery.Binding;
using BindingMethods = Bindery.Registry.BindingMethods;
using BindingMode = Bindery.Registry.BindingMode;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Bindery.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bindery.Tests.Binding;

/// <summary>
/// A migrated store of the suite's kind (SQLite, or PostgreSQL with <c>BINDERY_TEST_STORE=postgres</c>, where a
/// write delegate may run twice) with the binding core wired to it and rows inserted directly: the core's rule
/// tests run without HTTP and without the admin/account APIs.
/// </summary>
public sealed class CoreStore : IAsyncLifetime
{
    private static long _counter = Random.Shared.NextInt64(1_000_000, 9_000_000) * 1000;
    private readonly TestStorage _storage = TestStore.Create();

    public CoreStore()
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        Db = Stores.OpenStore.Open(_storage);
        var bindingOptions = Options.Create(new BindingOptions());
        Core = new BindingCore(Db, Clock, new GuessLimiter(bindingOptions), Options.Create(new BinderyOptions { DataCenter = DataCenter, FamilyDeviceLimit = 3 }));
    }

    public const string DataCenter = "dc-core";

    public IDatabase Db { get; }

    public ShiftableClock Clock { get; } = new();

    public BindingCore Core { get; }

    public async Task InitializeAsync() => await Db.MigrateAsync();

    public async Task DisposeAsync()
    {
        await Db.DisposeAsync();
        _storage.Dispose();
    }

    private long Now => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<string> DomainAsync(bool homeMode = false)
    {
        var id = "ud" + Secrets.NewId(10);
        await Db.WriteAsync(tx => tx.ExecuteAsync(
            "INSERT INTO user_domains (id, secret, home_mode, created_at) VALUES (@Id, @Secret, @HomeMode, @Now)",
            new { Id = id, Secret = "secret-" + id, HomeMode = homeMode, Now }));
        return id;
    }

    public async Task<string> ProductAsync(string domainId, BindingMode mode, int userCap = 3, int methods = 15)
    {
        var pk = "p" + Secrets.NewId(9);
        await Db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync(
                """
                INSERT INTO products (pk, ps, name, logo_url, module_type, binding_mode, user_cap, methods, created_at)
                VALUES (@Pk, '0123456789abcdef', 'Lamp', 'https://example.invalid/l.png', 'EC200U', @Mode, @Cap, @Methods, @Now)
                """,
                new { Pk = pk, Mode = (int)mode, Cap = userCap, Methods = methods, Now });
            await tx.ExecuteAsync("INSERT INTO product_user_domains (pk, domain_id) VALUES (@Pk, @DomainId)", new { Pk = pk, DomainId = domainId });
        });
        return pk;
    }

    public async Task<(string Dk, string Sn)> DeviceAsync(string pk, string dataCenter = DataCenter)
    {
        var n = Interlocked.Increment(ref _counter);
        var dk = DeviceKeys.ImeiFromBody("86" + n.ToString("D12"));
        var sn = "SN" + n.ToString("D12");
        await Db.WriteAsync(tx => tx.ExecuteAsync(
            """
            INSERT INTO devices (pk, dk, sn, device_secret, module_type, data_center, created_at)
            VALUES (@Pk, @Dk, @Sn, 'device-secret', 'EC200U', @DataCenter, @Now)
            """,
            new { Pk = pk, Dk = dk, Sn = sn, DataCenter = dataCenter, Now }));
        return (dk, sn);
    }

    public async Task<AppUser> UserAsync(string domainId)
    {
        var id = Secrets.NewId();
        var username = "u" + id[..10];
        await Db.WriteAsync(tx => tx.ExecuteAsync(
            "INSERT INTO users (id, domain_id, username, password_hash, created_at) VALUES (@Id, @DomainId, @Username, 'x', @Now)",
            new { Id = id, DomainId = domainId, Username = username, Now }));
        return new AppUser(id, domainId, username);
    }

    public async Task<string> FamilyAsync(AppUser owner, params (AppUser User, int Role)[] members)
    {
        var fid = Secrets.NewId();
        await Db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync("INSERT INTO families (fid, domain_id, name, created_by, created_at) VALUES (@Fid, @DomainId, 'Home', @Owner, @Now)",
                new { Fid = fid, owner.DomainId, Owner = owner.Id, Now });
            await tx.ExecuteAsync("INSERT INTO family_members (fid, user_id, role, joined_at) VALUES (@Fid, @UserId, 1, @Now)", new { Fid = fid, UserId = owner.Id, Now });
            foreach (var (user, role) in members)
            {
                await tx.ExecuteAsync("INSERT INTO family_members (fid, user_id, role, joined_at) VALUES (@Fid, @UserId, @Role, @Now)",
                    new { Fid = fid, UserId = user.Id, Role = role, Now });
            }
        });
        return fid;
    }

    public async Task<string> RoomAsync(string fid)
    {
        var frid = Secrets.NewId();
        await Db.WriteAsync(tx => tx.ExecuteAsync("INSERT INTO rooms (frid, fid, name, sort_order, created_at) VALUES (@Frid, @Fid, 'Kitchen', 0, @Now)",
            new { Frid = frid, Fid = fid, Now }));
        return frid;
    }

    /// <summary>What the device API does when the device reports a bindingCode.</summary>
    public Task ReportCodeAsync(string pk, string dk, string code, int lifetimeSeconds = 600) =>
        Db.WriteAsync(tx => tx.ExecuteAsync(
            """
            UPDATE devices SET binding_code_hash = @Hash, binding_code_reported_at = @Now, binding_code_expires_at = @ExpiresAt,
                binding_code_used_at = NULL, binding_code_failures = 0
            WHERE pk = @Pk AND dk = @Dk
            """,
            new { Hash = Secrets.Sha256Hex(code), Now, ExpiresAt = Now + lifetimeSeconds * 1000L, Pk = pk, Dk = dk }));

    public Task<long> CountAsync(string sql, object? param = null) =>
        Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<long>(c, sql, param));

    public static BindRequest Wifi(AppUser user, string pk, string dk, string code) => new()
    {
        User = user,
        Pk = pk,
        Device = new DeviceTarget.ByDk(dk),
        Method = BindingMethods.Wifi,
        Proof = new WifiBindingProof(code),
    };

    public static BindRequest Sn(AppUser user, string pk, string sn) => new()
    {
        User = user,
        Pk = pk,
        Device = new DeviceTarget.BySn(sn),
        Method = BindingMethods.Sn,
        Proof = SerialNumberProof.Instance,
    };
}
