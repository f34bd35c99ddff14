using System.Text.Json.Nodes;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// Tencent's binding messages on <c>$thing/up/service/{pid}/{dn}</c>, answered on <c>$thing/down/service/{pid}/{dn}</c>
/// (docs/device-api.md, "Devices over MQTT"): the token report is the device API's, the unbind request the device's
/// reset; a message that cannot be acted on is answered with a non-zero code and the device stays connected.
/// </summary>
public sealed class MqttBindingMessageTests(MqttFixture fx) : IClassFixture<MqttFixture>
{
    private static JsonObject AppBindToken(string token, string? clientToken = null) => new()
    {
        ["method"] = "app_bind_token",
        ["clientToken"] = clientToken,
        ["params"] = new JsonObject { ["token"] = token },
    };

    [Fact]
    public async Task The_app_creates_a_token_the_device_reports_it_over_MQTT_and_the_app_binds()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();

        var clientToken = $"{device.Dk}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}";
        var reply = await mqtt.RequestAsync("service", AppBindToken(token, clientToken));

        Assert.Equal($"$thing/down/service/{device.Pk}/{device.Dk}", (string?)reply["$topic"]);
        Assert.Equal("app_bind_token_reply", (string?)reply["method"]);
        Assert.Equal(clientToken, (string?)reply["clientToken"]);
        Assert.Equal(0, (int)reply["code"]!);
        Assert.Equal("success", (string?)reply["status"]);

        var state = await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token });
        Assert.Equal(2, state.GetProperty("State").GetInt32());
        Assert.Equal(device.Pk, state.GetProperty("ProductId").GetString());
        Assert.Equal(device.Dk, state.GetProperty("DeviceName").GetString());

        Assert.False((await api.BindAsync(token, device, familyId)).TryGetProperty("Error", out var error), error.ToString());
        var devices = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId });
        Assert.Equal(device.Dk, Assert.Single(devices.GetProperty("DeviceList").EnumerateArray()).GetProperty("DeviceName").GetString());
    }

    [Fact]
    public async Task Reporting_the_same_token_again_is_a_harmless_retry()
    {
        var (_, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var (_, api, _) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        Assert.Equal(0, (int)(await mqtt.RequestAsync("service", AppBindToken(token)))["code"]!);
        Assert.Equal(0, (int)(await mqtt.RequestAsync("service", AppBindToken(token)))["code"]!);
    }

    [Fact]
    public async Task A_token_nobody_created_gets_9101_with_the_clientToken_and_the_device_stays_connected()
    {
        var (_, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var reply = await mqtt.RequestAsync("service", AppBindToken(new string('a', 32), "unknown-1"));
        Assert.Equal("app_bind_token_reply", (string?)reply["method"]);
        Assert.Equal("unknown-1", (string?)reply["clientToken"]);
        Assert.Equal(9101, (int)reply["code"]!);
        Assert.Equal("The Token does not exist", (string?)reply["status"]);
        Assert.True(mqtt.IsConnected);
    }

    [Fact]
    public async Task A_malformed_token_gets_9001_and_a_missing_one_9000()
    {
        var (_, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        Assert.Equal(9001, (int)(await mqtt.RequestAsync("service", AppBindToken("not-a-token")))["code"]!);
        Assert.Equal(9000, (int)(await mqtt.RequestAsync("service", new JsonObject { ["method"] = "app_bind_token", ["params"] = new JsonObject() }))["code"]!);
    }

    [Fact]
    public async Task A_token_reported_by_a_second_device_is_void_for_both()
    {
        var pk = await fx.ProductAsync();
        var (deviceA, mqttA) = await fx.ConnectedDeviceAsync(pk);
        var (_, mqttB) = await fx.ConnectedDeviceAsync(pk);
        await using var a = mqttA;
        await using var b = mqttB;
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        Assert.Equal(0, (int)(await mqttA.RequestAsync("service", AppBindToken(token)))["code"]!);
        Assert.Equal(9101, (int)(await mqttB.RequestAsync("service", AppBindToken(token)))["code"]!);
        Assert.Equal("InvalidParameterValue.ReadTokenInfoError", TencentApi.ErrorCode(await api.BindAsync(token, deviceA, familyId)));
    }

    [Fact]
    public async Task Unbind_device_request_is_the_devices_reset_and_frees_it()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        Assert.Equal(0, (int)(await mqtt.RequestAsync("service", AppBindToken(token)))["code"]!);
        Assert.False((await api.BindAsync(token, device, familyId)).TryGetProperty("Error", out _));

        var reply = await mqtt.RequestAsync("service", new JsonObject
        {
            ["method"] = "unbind_device_request",
            ["clientToken"] = $"{device.Pk}-1",
            ["productId"] = device.Pk,
            ["deviceName"] = device.Dk,
        });
        Assert.Equal("unbind_device_reply", (string?)reply["method"]);
        Assert.Equal($"{device.Pk}-1", (string?)reply["clientToken"]);
        Assert.Equal(0, (int)reply["code"]!);

        var devices = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId });
        Assert.Empty(devices.GetProperty("DeviceList").EnumerateArray());
    }

    [Fact]
    public async Task An_unbind_request_naming_another_device_is_refused_with_9001()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var reply = await mqtt.RequestAsync("service", new JsonObject
        {
            ["method"] = "unbind_device_request",
            ["productId"] = device.Pk,
            ["deviceName"] = device.Dk + "x",
        });
        Assert.Equal(9001, (int)reply["code"]!);
    }

    [Fact]
    public async Task An_unknown_method_gets_9010_and_a_message_that_is_not_JSON_gets_9000_and_the_device_stays()
    {
        var (_, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var reply = await mqtt.RequestAsync("service", new JsonObject { ["method"] = "get_weather", ["clientToken"] = "w-1" });
        Assert.Equal("get_weather_reply", (string?)reply["method"]);
        Assert.Equal(9010, (int)reply["code"]!);

        await mqtt.PublishUpAsync("service", "{\"method\":\"app_bind_token\",");
        var unreadable = await mqtt.NextAsync();
        Assert.Equal(9000, (int)unreadable["code"]!);
        Assert.Null(unreadable["clientToken"]);

        var noMethod = await mqtt.RequestAsync("service", new JsonObject { ["clientToken"] = "m-1" });
        Assert.Equal(9000, (int)noMethod["code"]!);

        Assert.True(mqtt.IsConnected);
        Assert.Equal(0, (int)(await mqtt.RequestAsync("service", AppBindToken(await (await fx.UserWithFamilyAsync()).Api.CreateTokenAsync())))["code"]!);
    }

    [Fact]
    public async Task A_devices_own_reply_on_its_up_topic_is_not_answered()
    {
        var (_, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        await mqtt.PublishUpAsync("service", """{"method":"bind_device_reply","clientToken":"r-1","code":0}""");
        Assert.Null(await mqtt.AnyWithinAsync(TimeSpan.FromMilliseconds(500)));
        Assert.True(mqtt.IsConnected);
    }
}
