using Bindery.Infrastructure;
using Bindery.Tests.Accounts;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>
/// enabledFamilyMode / getFamilyModeConfig: home mode per user, defaulting to the user domain's homeMode, and the
/// bind rules (5636 fid required when on, 5624 fid refused when off) following the user's own mode.
/// </summary>
public sealed class FamilyModeTests(SharedApp app) : IClassFixture<SharedApp>
{
    private static async Task<FamilyModeConfig> ConfigAsync(Tenant.User user) =>
        Family.Parse<FamilyModeConfig>(await Seed.GetOkAsync(user.Client, Family.Api + "getFamilyModeConfig"));

    private static Task<System.Text.Json.JsonElement> SwitchAsync(Tenant.User user, string enabled) =>
        Family.SendOkAsync(user, HttpMethod.Put, $"enabledFamilyMode?enabled={enabled}");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_mode_defaults_to_the_user_domains_and_each_user_switches_their_own(bool domainMode)
    {
        var domain = await Seed.UserDomainAsync(app, domainMode);
        var alice = await Seed.UserAsync(app, domain);
        var bob = await Seed.UserAsync(app, domain);
        Assert.Equal(new FamilyModeConfig(domainMode, false), await ConfigAsync(alice));

        await SwitchAsync(alice, domainMode ? "false" : "true");
        Assert.Equal(!domainMode, (await ConfigAsync(alice)).EnabledFamilyMode);
        Assert.Equal(domainMode, (await ConfigAsync(bob)).EnabledFamilyMode);

        await SwitchAsync(alice, domainMode ? "TRUE" : "0");
        Assert.Equal(domainMode, (await ConfigAsync(alice)).EnabledFamilyMode);
    }

    [Theory]
    [InlineData("", 5623)]
    [InlineData("?enabled=", 5623)]
    [InlineData("?enabled=maybe", 9001)]
    public async Task A_missing_or_unreadable_switch_is_refused(string query, int code)
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        Assert.Equal(code, (await Family.SendAsync(user, HttpMethod.Put, "enabledFamilyMode" + query)).Code());
        Assert.True((await ConfigAsync(user)).EnabledFamilyMode);
    }

    [Fact]
    public async Task Binding_follows_the_users_own_mode_and_not_another_users()
    {
        var tenant = await Tenant.CreateAsync(app, homeMode: false);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var alice = await tenant.CreateUserAsync();
        var bob = await tenant.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(alice);

        // Domain default (off): a fid is refused.
        var first = await tenant.CreateDeviceAsync(product.Pk);
        Assert.Equal(Errors.HomeModeNotEnabled.Code, (await BindingApi.BindSnAsync(alice.Client, first.Pk, first.Sn, ("fid", fid))).Code());

        // Alice switches home mode on: now a fid is required of her, and accepted.
        await SwitchAsync(alice, "true");
        Assert.Equal(Errors.FamilyIdMissing.Code, (await BindingApi.BindSnAsync(alice.Client, first.Pk, first.Sn)).Code());
        Assert.Equal(200, (await BindingApi.BindSnAsync(alice.Client, first.Pk, first.Sn, ("fid", fid))).Code());
        Assert.Equal(first.Dk, Assert.Single((await Family.DevicesAsync(alice, $"getFamilyDeviceList?fid={fid}")).List).DeviceKey);

        // Bob, same domain, keeps the domain's default.
        var second = await tenant.CreateDeviceAsync(product.Pk);
        var bobsFid = await Tenant.CreateFamilyAsync(bob);
        Assert.Equal(Errors.HomeModeNotEnabled.Code, (await BindingApi.BindSnAsync(bob.Client, second.Pk, second.Sn, ("fid", bobsFid))).Code());
        Assert.Equal(200, (await BindingApi.BindSnAsync(bob.Client, second.Pk, second.Sn)).Code());
    }

    [Fact]
    public async Task Switching_off_keeps_families_and_their_devices_and_only_changes_what_binding_asks()
    {
        var tenant = await Tenant.CreateAsync(app, homeMode: true);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var user = await tenant.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(user);
        var inFamily = await tenant.CreateDeviceAsync(product.Pk);
        Assert.Equal(200, (await BindingApi.BindSnAsync(user.Client, inFamily.Pk, inFamily.Sn, ("fid", fid))).Code());

        await SwitchAsync(user, "false");

        Assert.Equal(fid, Assert.Single((await Family.PageAsync<FamilyItem>(user, "getFamilyList")).List).Fid);
        Assert.Equal(inFamily.Dk, Assert.Single((await Family.DevicesAsync(user, $"getFamilyDeviceList?fid={fid}")).List).DeviceKey);
        var next = await tenant.CreateDeviceAsync(product.Pk);
        Assert.Equal(Errors.HomeModeNotEnabled.Code, (await BindingApi.BindSnAsync(user.Client, next.Pk, next.Sn, ("fid", fid))).Code());
        Assert.Equal(200, (await BindingApi.BindSnAsync(user.Client, next.Pk, next.Sn)).Code());
    }
}
