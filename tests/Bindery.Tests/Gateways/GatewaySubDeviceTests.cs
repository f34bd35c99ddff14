using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Gateways;
using Bindery.Protocol;
using Bindery.Infrastructure;
using Bindery.Storage;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Gateways;

/// <summary>
/// Gateway sub-devices through the HTTP API (docs/binding.md, "Gateway sub-devices"): a gateway pairs a sub-device
/// with the sub-device's own signature; the gateway's holder (or its family's manager) binds it into the gateway's
/// family, in either dialect; nobody else can; a sub-device belongs to one gateway; the gateway's unbind ends it.
/// </summary>
public sealed class GatewaySubDeviceTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private const string Base = BindingApi.Base;

    private Tenant Home => fx.HomeTenant;

    /// <summary>A gateway (Wi-Fi) bound with proof by <paramref name="holder"/> into their family, and one sub-device product.</summary>
    private sealed record Setup(Tenant.Device Gateway, DeviceClient GatewaySide, Tenant.Device Sub, Tenant.User Holder, string Fid);

    private async Task<Setup> SetupAsync(int subMode = 2)
    {
        var gatewayProduct = await Home.CreateProductAsync(1, methods: ["WIFI"]);
        var subProduct = await Home.CreateProductAsync(subMode, methods: ["SUB_DEVICE"]);
        var gateway = await Home.CreateDeviceAsync(gatewayProduct.Pk);
        var sub = await Home.CreateDeviceAsync(subProduct.Pk);
        var holder = await Home.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(holder);
        var side = fx.DeviceClient(gateway);
        var code = await side.ReportNewCodeAsync();
        var bound = await BindingApi.BindWifiAsync(holder.Client, new { productKey = gateway.Pk, deviceKey = gateway.Dk, bindingCode = code, fid });
        Assert.True(bound.Code() == 200, bound.ToString());
        return new Setup(gateway, side, sub, holder, fid);
    }

    private static object Claim(Tenant.Device sub, string? secret = null, long? timestamp = null)
    {
        var ts = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var random = Random.Shared.Next(1, int.MaxValue);
        return new
        {
            pk = sub.Pk,
            dk = sub.Dk,
            random,
            timestamp = ts,
            signMethod = "hmacsha256",
            signature = SubDeviceSignature.Compute(secret ?? sub.DeviceSecret, sub.Pk, sub.Dk, random, ts),
        };
    }

    /// <summary>POST /device/v1/sub-devices; the per-device result codes.</summary>
    private static async Task<int[]> PairAsync(DeviceClient gatewaySide, params object[] claims)
    {
        var data = await gatewaySide.OkAsync(HttpMethod.Post, "/device/v1/sub-devices", new { devices = claims });
        return data.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("result").GetInt32()).ToArray();
    }

    private static async Task<JsonElement> BindAsync(Tenant.User user, Tenant.Device gateway, Tenant.Device sub, string? fid) =>
        await (await user.Client.PostAsync($"{Base}/bindGatewaySubDevice?" + BindingApi.Query(
            ("gatewayPk", gateway.Pk), ("gatewayDk", gateway.Dk), ("pk", sub.Pk), ("dk", sub.Dk), ("fid", fid)), null)).ReadEnvelopeAsync();

    private async Task<List<string>> BindingHoldersAsync(Tenant.Device device) =>
        (await fx.App.Services.GetRequiredService<IDatabase>().ReadAsync(c => c.QueryAsync<string>(
            "SELECT user_id FROM bindings WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk }))).ToList();

    private async Task<List<string>> PushesAsync(Tenant.Device device) =>
        (await fx.App.Services.GetRequiredService<IDatabase>().ReadAsync(c => c.QueryAsync<string>(
            "SELECT method FROM device_pushes WHERE pk = @Pk AND dk = @Dk ORDER BY seq", new { device.Pk, device.Dk }))).ToList();

    [Fact]
    public async Task The_gateways_holder_binds_a_paired_sub_device_into_the_gateways_family_and_lists_it()
    {
        var s = await SetupAsync();
        Assert.Equal(new[] { 0 }, await PairAsync(s.GatewaySide, Claim(s.Sub)));

        var bound = await BindAsync(s.Holder, s.Gateway, s.Sub, s.Fid);
        Assert.True(bound.Code() == 200, bound.ToString());
        Assert.False(string.IsNullOrEmpty(bound.Data().GetProperty("authKey").GetString()));

        var list = await (await s.Holder.Client.GetAsync($"{Base}/getGatewayDeviceChildList?pk={s.Gateway.Pk}&dk={s.Gateway.Dk}")).ReadEnvelopeAsync();
        Assert.True(list.Code() == 200, list.ToString());
        var child = Assert.Single(list.Data().GetProperty("list").EnumerateArray());
        Assert.Equal(s.Sub.Dk, child.GetProperty("deviceKey").GetString());
        Assert.Equal(1, child.GetProperty("bindStatus").GetInt32());
        Assert.Equal(1, list.Data().GetProperty("total").GetInt64());

        // The gateway's own view (describe).
        var own = await s.GatewaySide.OkAsync(HttpMethod.Get, "/device/v1/sub-devices");
        Assert.Equal(s.Sub.Dk, Assert.Single(own.GetProperty("devices").EnumerateArray()).GetProperty("dk").GetString());
    }

    [Fact]
    public async Task Tencent_AppBindSubDeviceInFamily_binds_into_the_gateways_family_and_AppGetGatewayBindDeviceList_shows_it_bound()
    {
        var s = await SetupAsync();
        Assert.Equal(new[] { 0 }, await PairAsync(s.GatewaySide, Claim(s.Sub)));
        var api = new TencentApi(fx.App.CreateClient(), s.Holder.Token);

        var before = await api.OkAsync("AppGetGatewayBindDeviceList", new()
        {
            ["GatewayProductId"] = s.Gateway.Pk, ["GatewayDeviceName"] = s.Gateway.Dk, ["ProductId"] = s.Sub.Pk, ["Offset"] = 0, ["Limit"] = 50,
        });
        Assert.Equal(0, Assert.Single(before.GetProperty("DeviceList").EnumerateArray()).GetProperty("BindStatus").GetInt32());

        var data = await api.OkAsync("AppBindSubDeviceInFamily", new()
        {
            ["GatewayProductId"] = s.Gateway.Pk, ["GatewayDeviceName"] = s.Gateway.Dk, ["ProductId"] = s.Sub.Pk, ["DeviceName"] = s.Sub.Dk,
        });
        var info = data.GetProperty("AppDeviceInfo");
        Assert.Equal($"{s.Sub.Pk}/{s.Sub.Dk}", info.GetProperty("DeviceId").GetString());
        Assert.Equal(s.Fid, info.GetProperty("FamilyId").GetString());

        var after = await api.OkAsync("AppGetGatewayBindDeviceList", new()
        {
            ["GatewayProductId"] = s.Gateway.Pk, ["GatewayDeviceName"] = s.Gateway.Dk, ["Offset"] = 0, ["Limit"] = 50,
        });
        Assert.Equal(1, Assert.Single(after.GetProperty("DeviceList").EnumerateArray()).GetProperty("BindStatus").GetInt32());
    }

    [Fact]
    public async Task Someone_who_does_not_hold_the_gateway_is_refused_with_the_one_proof_failure()
    {
        var s = await SetupAsync();
        Assert.Equal(new[] { 0 }, await PairAsync(s.GatewaySide, Claim(s.Sub)));
        var stranger = await Home.CreateUserAsync();
        var strangerFid = await Tenant.CreateFamilyAsync(stranger);

        Assert.Equal(Errors.DeviceVerificationFailed.Code, (await BindAsync(stranger, s.Gateway, s.Sub, strangerFid)).Code());
        // Naming the holder's family is no way in either: the stranger is not its member.
        Assert.Equal(Errors.NoPermission.Code, (await BindAsync(stranger, s.Gateway, s.Sub, s.Fid)).Code());
        var api = new TencentApi(fx.App.CreateClient(), stranger.Token);
        Assert.Equal(Errors.DeviceVerificationFailed.TencentCode, await api.ErrorAsync("AppBindSubDeviceInFamily", new()
        {
            ["GatewayProductId"] = s.Gateway.Pk, ["GatewayDeviceName"] = s.Gateway.Dk, ["ProductId"] = s.Sub.Pk, ["DeviceName"] = s.Sub.Dk,
        }));
        var list = await (await stranger.Client.GetAsync($"{Base}/getGatewayDeviceChildList?pk={s.Gateway.Pk}&dk={s.Gateway.Dk}")).ReadEnvelopeAsync();
        Assert.Equal(Errors.NoPermission.Code, list.Code());
        Assert.Empty(await BindingHoldersAsync(s.Sub));
    }

    [Fact]
    public async Task A_sub_device_the_gateway_did_not_report_is_refused_even_for_the_gateways_holder()
    {
        var s = await SetupAsync();
        Assert.Equal(Errors.DeviceVerificationFailed.Code, (await BindAsync(s.Holder, s.Gateway, s.Sub, s.Fid)).Code());
        Assert.Empty(await BindingHoldersAsync(s.Sub));
    }

    [Fact]
    public async Task A_bad_or_stale_sub_device_signature_pairs_nothing()
    {
        var s = await SetupAsync();
        var stale = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds();
        Assert.Equal(new[] { Errors.DeviceVerificationFailed.Code, Errors.DeviceVerificationFailed.Code },
            await PairAsync(s.GatewaySide, Claim(s.Sub, secret: "not the sub-device's secret"), Claim(s.Sub, timestamp: stale)));
        Assert.Equal(Errors.DeviceVerificationFailed.Code, (await BindAsync(s.Holder, s.Gateway, s.Sub, s.Fid)).Code());
    }

    [Fact]
    public async Task A_sub_device_claimed_by_a_second_gateway_is_refused_until_the_first_removes_it()
    {
        var s = await SetupAsync();
        var other = await SetupAsync();
        Assert.Equal(new[] { 0 }, await PairAsync(s.GatewaySide, Claim(s.Sub)));
        Assert.Equal(new[] { Errors.SubDeviceOfAnotherGateway.Code }, await PairAsync(other.GatewaySide, Claim(s.Sub)));
        // Repeating the first gateway's report is fine (it renews it).
        Assert.Equal(new[] { 0 }, await PairAsync(s.GatewaySide, Claim(s.Sub)));
        Assert.Equal(Errors.DeviceVerificationFailed.Code, (await BindAsync(other.Holder, other.Gateway, s.Sub, other.Fid)).Code());

        var removed = await s.GatewaySide.OkAsync(HttpMethod.Post, "/device/v1/sub-devices/remove", new { devices = new[] { new { pk = s.Sub.Pk, dk = s.Sub.Dk } } });
        Assert.Equal(0, Assert.Single(removed.GetProperty("devices").EnumerateArray()).GetProperty("result").GetInt32());
        Assert.Equal(new[] { 0 }, await PairAsync(other.GatewaySide, Claim(s.Sub)));
        Assert.Equal(200, (await BindAsync(other.Holder, other.Gateway, s.Sub, other.Fid)).Code());
    }

    [Fact]
    public async Task Unbinding_the_gateway_ends_its_sub_device_bindings_with_events_and_pushes()
    {
        var s = await SetupAsync();
        Assert.Equal(new[] { 0 }, await PairAsync(s.GatewaySide, Claim(s.Sub)));
        Assert.Equal(200, (await BindAsync(s.Holder, s.Gateway, s.Sub, s.Fid)).Code());
        Assert.Equal([s.Holder.Uid], await BindingHoldersAsync(s.Sub));
        Assert.Equal(["bind_device"], await PushesAsync(s.Sub));

        Assert.Equal(200, (await BindingApi.UnbindAsync(s.Holder.Client, s.Gateway.Pk, s.Gateway.Dk)).Code());

        Assert.Empty(await BindingHoldersAsync(s.Sub));
        var db = fx.App.Services.GetRequiredService<IDatabase>();
        var events = (await db.ReadAsync(c => c.QueryAsync<(string Kind, string Method, string ActorId)>(
            "SELECT kind, method, actor_id FROM binding_events WHERE pk = @Pk AND dk = @Dk ORDER BY seq", new { s.Sub.Pk, s.Sub.Dk }))).ToList();
        Assert.Equal([("bound", "SUB_DEVICE", s.Holder.Uid), ("unbound", "SUB_DEVICE", s.Holder.Uid)], events);
        // The pending bind_device gives way to the unbind_device (the device hears the outcome, docs/device-api.md).
        Assert.Equal("unbind_device", (await PushesAsync(s.Sub))[^1]);
        // The sub-device stays paired with the gateway: whoever binds the gateway next may bind it again.
        Assert.Equal(s.Sub.Dk, Assert.Single((await s.GatewaySide.OkAsync(HttpMethod.Get, "/device/v1/sub-devices")).GetProperty("devices").EnumerateArray()).GetProperty("dk").GetString());
    }

    [Fact]
    public async Task Fifty_users_of_the_gateways_family_race_for_one_owner_mode_sub_device_and_exactly_one_wins()
    {
        var s = await SetupAsync(subMode: 2);
        Assert.Equal(new[] { 0 }, await PairAsync(s.GatewaySide, Claim(s.Sub)));
        // The gateway's holder (the family's owner) and 49 admins: a family has at most 50 members.
        var admins = new List<Tenant.User> { s.Holder };
        for (var i = 0; i < 49; i++)
        {
            var admin = await Home.CreateUserAsync();
            await Tenant.AddMemberAsync(s.Holder, s.Fid, admin, role: 2);
            admins.Add(admin);
        }

        var answers = await Task.WhenAll(admins.Select(a => BindAsync(a, s.Gateway, s.Sub, s.Fid)));

        Assert.Equal(1, answers.Count(a => a.Code() == 200));
        Assert.All(answers.Where(a => a.Code() != 200), a => Assert.Contains(a.Code(), new[] { Errors.DeviceAlreadyBound.Code, Errors.UniqueBindingMode.Code }));
        Assert.Single(await BindingHoldersAsync(s.Sub));
    }
}
