using Bindery.Binding;
using BindingMode = Bindery.Registry.BindingMode;
using Bindery.Infrastructure;

namespace Bindery.Tests.Binding;

/// <summary>The binding rules of docs/binding.md, exercised on the core directly (no HTTP).</summary>
public sealed class BindingCoreTests(CoreStore store) : IClassFixture<CoreStore>
{
    private const string Code = "Code1234";

    private static async Task<int> RefusedWithAsync(Task task) => (await Assert.ThrowsAsync<BinderyException>(() => task)).Error.Code;

    private async Task<(string Domain, string Pk, string Dk, string Sn)> DeviceAsync(BindingMode mode, int cap = 3, int methods = 3, bool homeMode = false)
    {
        var domain = await store.DomainAsync(homeMode);
        var pk = await store.ProductAsync(domain, mode, cap, methods);
        var (dk, sn) = await store.DeviceAsync(pk);
        return (domain, pk, dk, sn);
    }

    [Fact]
    public async Task Owner_mode_refuses_a_second_user_even_with_a_fresh_code()
    {
        var (domain, pk, dk, _) = await DeviceAsync(BindingMode.Owner);
        var alice = await store.UserAsync(domain);
        var bob = await store.UserAsync(domain);
        await store.ReportCodeAsync(pk, dk, Code);
        var bound = await store.Core.BindDeviceAsync(CoreStore.Wifi(alice, pk, dk, Code));
        Assert.True(bound.Verified);
        await store.ReportCodeAsync(pk, dk, "Code5678");
        Assert.Equal(5412, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Wifi(bob, pk, dk, "Code5678"))));
        // The refused attempt rolled back: the code is still unused.
        Assert.Equal(1, await store.CountAsync("SELECT COUNT(*) FROM devices WHERE dk = @Dk AND binding_code_used_at IS NULL", new { Dk = dk }));
    }

    [Fact]
    public async Task Rotation_mode_lets_a_proven_binding_replace_the_holder_but_never_an_sn_binding()
    {
        var (domain, pk, dk, sn) = await DeviceAsync(BindingMode.Rotation);
        var alice = await store.UserAsync(domain);
        var bob = await store.UserAsync(domain);
        var carol = await store.UserAsync(domain);
        await store.ReportCodeAsync(pk, dk, Code);
        await store.Core.BindDeviceAsync(CoreStore.Wifi(alice, pk, dk, Code));

        Assert.Equal(5412, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(carol, pk, sn))));

        await store.ReportCodeAsync(pk, dk, "Code5678");
        var bobs = await store.Core.BindDeviceAsync(CoreStore.Wifi(bob, pk, dk, "Code5678"));
        Assert.Equal(alice.Id, bobs.DisplacedUserId);
        Assert.Equal(0, await store.CountAsync("SELECT COUNT(*) FROM bindings WHERE dk = @Dk AND user_id = @U", new { Dk = dk, U = alice.Id }));
        Assert.Equal(1, await store.CountAsync("SELECT COUNT(*) FROM bindings WHERE dk = @Dk", new { Dk = dk }));
    }

    [Fact]
    public async Task Multi_user_mode_stops_at_the_product_cap()
    {
        var (domain, pk, _, sn) = await DeviceAsync(BindingMode.MultiUser, cap: 2);
        await store.Core.BindDeviceAsync(CoreStore.Sn(await store.UserAsync(domain), pk, sn));
        await store.Core.BindDeviceAsync(CoreStore.Sn(await store.UserAsync(domain), pk, sn));
        Assert.Equal(9013, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(await store.UserAsync(domain), pk, sn))));
    }

    [Fact]
    public async Task Same_user_binding_twice_is_5049()
    {
        var (domain, pk, _, sn) = await DeviceAsync(BindingMode.MultiUser);
        var alice = await store.UserAsync(domain);
        await store.Core.BindDeviceAsync(CoreStore.Sn(alice, pk, sn));
        Assert.Equal(5049, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(alice, pk, sn))));
    }

    [Fact]
    public async Task Code_checks_distinguish_not_reported_expired_and_wrong_and_codes_are_single_use()
    {
        var (domain, pk, dk, _) = await DeviceAsync(BindingMode.MultiUser);
        var alice = await store.UserAsync(domain);
        var bob = await store.UserAsync(domain);
        Assert.Equal(5460, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Wifi(alice, pk, dk, Code))));
        await store.ReportCodeAsync(pk, dk, Code, lifetimeSeconds: -1);
        Assert.Equal(5461, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Wifi(alice, pk, dk, Code))));
        await store.ReportCodeAsync(pk, dk, Code);
        Assert.Equal(5462, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Wifi(alice, pk, dk, "Wrong123"))));
        await store.Core.BindDeviceAsync(CoreStore.Wifi(alice, pk, dk, Code));
        Assert.Equal(5462, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Wifi(bob, pk, dk, Code))));
    }

    [Fact]
    public async Task Five_wrong_codes_void_the_current_code_even_for_the_right_guess()
    {
        var (domain, pk, dk, _) = await DeviceAsync(BindingMode.Owner);
        await store.ReportCodeAsync(pk, dk, Code);
        for (var i = 0; i < 5; i++)
        {
            // Each attacker is a fresh user, so only the per-device limit is in play.
            Assert.Equal(5462, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Wifi(await store.UserAsync(domain), pk, dk, $"Wrong{i:D3}"))));
        }
        Assert.Equal(5462, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Wifi(await store.UserAsync(domain), pk, dk, Code))));
        await store.ReportCodeAsync(pk, dk, "Fresh123");
        Assert.NotNull(await store.Core.BindDeviceAsync(CoreStore.Wifi(await store.UserAsync(domain), pk, dk, "Fresh123")));
    }

    [Fact]
    public async Task A_user_with_ten_failures_is_locked_out_for_the_window()
    {
        var (domain, pk, _, _) = await DeviceAsync(BindingMode.MultiUser);
        var mallory = await store.UserAsync(domain);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(5090, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(mallory, pk, $"GUESS{i}"))));
        }
        var (_, realSn) = await store.DeviceAsync(pk);
        Assert.Equal(9007, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(mallory, pk, realSn))));
        store.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.NotNull(await store.Core.BindDeviceAsync(CoreStore.Sn(mallory, pk, realSn)));
    }

    [Fact]
    public async Task Sn_of_another_product_looks_like_an_unknown_sn()
    {
        var (domain, pk, _, _) = await DeviceAsync(BindingMode.MultiUser);
        var otherPk = await store.ProductAsync(domain, BindingMode.MultiUser);
        var (_, otherSn) = await store.DeviceAsync(otherPk);
        Assert.Equal(5090, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(await store.UserAsync(domain), pk, otherSn))));
    }

    [Fact]
    public async Task Method_not_enabled_and_domain_not_authorised_are_refused_before_any_device_lookup()
    {
        var (domain, pk, _, sn) = await DeviceAsync(BindingMode.MultiUser, methods: (int)Bindery.Registry.BindingMethods.Wifi);
        Assert.Equal(9012, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(await store.UserAsync(domain), pk, sn))));
        var stranger = await store.UserAsync(await store.DomainAsync());
        Assert.Equal(5229, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(stranger, pk, sn))));
    }

    [Fact]
    public async Task Device_of_another_data_center_is_6083()
    {
        var (domain, pk, _, _) = await DeviceAsync(BindingMode.MultiUser);
        var (_, sn) = await store.DeviceAsync(pk, dataCenter: "dc-elsewhere");
        Assert.Equal(6083, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(await store.UserAsync(domain), pk, sn))));
    }

    [Fact]
    public async Task Home_mode_rules()
    {
        var (domain, pk, _, sn) = await DeviceAsync(BindingMode.MultiUser, homeMode: true);
        var owner = await store.UserAsync(domain);
        var member = await store.UserAsync(domain);
        var admin = await store.UserAsync(domain);
        var fid = await store.FamilyAsync(owner, (member, 3), (admin, 2));
        var otherFid = await store.FamilyAsync(await store.UserAsync(domain));
        var otherRoom = await store.RoomAsync(otherFid);

        Assert.Equal(5636, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(owner, pk, sn))));
        Assert.Equal(5669, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(member, pk, sn) with { Fid = fid })));
        Assert.Equal(5041, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(owner, pk, sn) with { Fid = otherFid })));
        Assert.Equal(5041, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(owner, pk, sn) with { Fid = "no-such-family" })));
        Assert.Equal(9114, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(owner, pk, sn) with { Fid = fid, Frid = otherRoom })));

        var room = await store.RoomAsync(fid);
        await store.Core.BindDeviceAsync(CoreStore.Sn(admin, pk, sn) with { Fid = fid, Frid = room });
        Assert.Equal(1, await store.CountAsync("SELECT COUNT(*) FROM family_common_devices WHERE fid = @Fid", new { Fid = fid }));
        // A second member may not put the same device into the same family twice.
        Assert.Equal(5049, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(owner, pk, sn) with { Fid = fid })));
    }

    [Fact]
    public async Task Family_without_home_mode_is_5624()
    {
        var (domain, pk, _, sn) = await DeviceAsync(BindingMode.MultiUser);
        Assert.Equal(5624, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(await store.UserAsync(domain), pk, sn) with { Fid = "f" })));
    }

    [Fact]
    public async Task Family_device_limit_is_enforced()
    {
        var domain = await store.DomainAsync(homeMode: true);
        var pk = await store.ProductAsync(domain, BindingMode.MultiUser);
        var owner = await store.UserAsync(domain);
        var fid = await store.FamilyAsync(owner);
        for (var i = 0; i < 3; i++)
        {
            var (_, sn) = await store.DeviceAsync(pk);
            await store.Core.BindDeviceAsync(CoreStore.Sn(owner, pk, sn) with { Fid = fid });
        }
        var (_, fourth) = await store.DeviceAsync(pk);
        Assert.Equal(9111, await RefusedWithAsync(store.Core.BindDeviceAsync(CoreStore.Sn(owner, pk, fourth) with { Fid = fid })));
    }

    [Fact]
    public async Task Fifty_users_racing_for_an_owner_mode_device_yield_exactly_one_binding()
    {
        var domain = await store.DomainAsync();
        var pk = await store.ProductAsync(domain, BindingMode.Owner);
        var users = new List<Bindery.Accounts.AppUser>();
        for (var i = 0; i < 50; i++)
        {
            users.Add(await store.UserAsync(domain));
        }
        for (var round = 0; round < 20; round++)
        {
            // Each lost race is a counted failed SN attempt; a fresh window per round keeps the losers from 9007.
            store.Clock.Advance(TimeSpan.FromHours(2));
            var (_, sn) = await store.DeviceAsync(pk);
            var attempts = users.Select(async u =>
            {
                try
                {
                    await store.Core.BindDeviceAsync(CoreStore.Sn(u, pk, sn));
                    return 0;
                }
                catch (BinderyException ex)
                {
                    return ex.Error.Code;
                }
            });
            var results = await Task.WhenAll(attempts);
            Assert.Equal(1, results.Count(r => r == 0));
            Assert.All(results.Where(r => r != 0), r => Assert.Equal(5412, r));
        }
    }
}
