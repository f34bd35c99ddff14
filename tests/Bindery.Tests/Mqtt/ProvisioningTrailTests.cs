using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// Why provisioning failed (docs/tencent-api.md): an app that names the device it is provisioning
/// (<c>ProductId</c> + <c>DeviceName</c>) in <c>AppGetDeviceBindTokenState</c> learns whether the device ever connected,
/// is connected now, and how its last token report ended — but only for a device that is not someone else's.
/// </summary>
public sealed class ProvisioningTrailTests(MqttFixture fx) : IClassFixture<MqttFixture>
{
    private static async Task<JsonElement> StateAsync(TencentApi api, string token, Tenant.Device? device) =>
        await api.OkAsync("AppGetDeviceBindTokenState", device is null
            ? new() { ["Token"] = token }
            : new() { ["Token"] = token, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });

    private static JsonElement? Status(JsonElement state) =>
        state.TryGetProperty("DeviceStatus", out var status) && status.ValueKind == JsonValueKind.Object ? status : null;

    /// <summary>Unset values are left out of the answer (or null).</summary>
    private static bool Unset(JsonElement status, string name) =>
        !status.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null;

    [Fact]
    public async Task The_app_sees_the_device_connect_then_report_a_wrong_token_then_the_right_one()
    {
        var device = await fx.DeviceAsync();
        var (_, api, _) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();

        // Before the device reached the cloud: known, never connected, never reported.
        var before = Status(await StateAsync(api, token, device))!.Value;
        Assert.False(before.GetProperty("Connected").GetBoolean());
        Assert.True(Unset(before, "FirstConnectTime"));
        Assert.True(Unset(before, "LastTokenReportCode"));

        await using var mqtt = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device));
        var connected = Status(await StateAsync(api, token, device))!.Value;
        Assert.True(connected.GetProperty("Connected").GetBoolean());
        Assert.True(connected.GetProperty("FirstConnectTime").GetInt64() > 0);

        // A token the cloud does not know (e.g. the device kept one from an earlier attempt).
        var stale = await api.CreateTokenAsync();
        Assert.NotEqual(0, (int)(await mqtt.RequestAsync("service", MqttPushTests.AppBindToken(new string('a', 32))))["code"]!);
        var refused = Status(await StateAsync(api, stale, device))!.Value;
        Assert.Equal(Errors.BindTokenNotExist.Code, refused.GetProperty("LastTokenReportCode").GetInt32());
        Assert.Equal(1, (await StateAsync(api, token, null)).GetProperty("State").GetInt32());

        Assert.Equal(0, (int)(await mqtt.RequestAsync("service", MqttPushTests.AppBindToken(token)))["code"]!);
        var reported = await StateAsync(api, token, device);
        Assert.Equal(2, reported.GetProperty("State").GetInt32());
        Assert.Equal(0, Status(reported)!.Value.GetProperty("LastTokenReportCode").GetInt32());
    }

    [Fact]
    public async Task Nothing_is_told_about_a_device_someone_else_holds_or_that_does_not_exist()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var (_, owner, familyId) = await fx.UserWithFamilyAsync();
        await MqttPushTests.TokenBindAsync(mqtt, owner, device, familyId);

        var (_, stranger, _) = await fx.UserWithFamilyAsync();
        var token = await stranger.CreateTokenAsync();
        Assert.Null(Status(await StateAsync(stranger, token, device)));
        Assert.Null(Status(await StateAsync(stranger, token, device with { Dk = "no-such-device" })));

        // The holder still sees it.
        var ownToken = await owner.CreateTokenAsync();
        Assert.True(Status(await StateAsync(owner, ownToken, device))!.Value.GetProperty("Connected").GetBoolean());
    }
}
