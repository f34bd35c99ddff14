using System.Text.Json.Nodes;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// Bindery's own device protocol over MQTT (docs/device-api.md, "Devices over MQTT"): one method per device API
/// operation on <c>$thing/up/bindery/{pk}/{dk}</c>, answered on <c>$thing/down/bindery/{pk}/{dk}</c> with the device
/// API's <c>code</c> (200 on success, the error catalogue's codes otherwise), <c>msg</c>, <c>extMsg</c> and <c>data</c>.
/// </summary>
public sealed class MqttBinderyProtocolTests(MqttFixture fx) : IClassFixture<MqttFixture>
{
    private static JsonObject Call(string method, JsonObject? parameters = null) => new()
    {
        ["method"] = method,
        ["params"] = parameters,
    };

    private static JsonObject Ok(JsonObject reply, string method)
    {
        Assert.True((int)reply["code"]! == 200, reply.ToJsonString());
        Assert.Equal(method + "_reply", (string?)reply["method"]);
        Assert.Equal("success", (string?)reply["msg"]);
        return reply["data"]!.AsObject();
    }

    [Fact]
    public async Task Code_and_secret_reported_over_MQTT_bind_over_WiFi_and_the_device_verifies_the_authKey_then_resets()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var state = Ok(await mqtt.RequestAsync("bindery", Call("get_binding_state")), "get_binding_state");
        Assert.Equal("none", (string?)state["bindingCode"]);
        Assert.Equal(0, (long)state["boundUsers"]!);

        var secret = DeviceClient.NewSecret();
        var reported = Ok(await mqtt.RequestAsync("bindery", Call("report_binding_secret", new() { ["bindingSecret"] = secret })), "report_binding_secret");
        Assert.True((long)reported["reportedAt"]! > 0);
        var code = DeviceClient.NewCode();
        var codeReport = Ok(await mqtt.RequestAsync("bindery", Call("report_binding_code", new() { ["bindingCode"] = code, ["lifetime"] = 300 })), "report_binding_code");
        Assert.True((bool)codeReport["active"]!);
        Assert.InRange((long)codeReport["expiresAt"]! - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 290_000, 310_000);

        var user = await fx.Tenant.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(user);
        var body = BindingApi.WifiBody(device, code);
        body["fid"] = fid;
        var bound = await BindingApi.BindWifiAsync(user.Client, body);
        Assert.True(bound.Code() == 200, bound.ToString());
        var authKey = bound.Data().GetProperty("authKey").GetString()!;

        var check = Ok(await mqtt.RequestAsync("bindery", Call("verify_auth_key", new() { ["authKey"] = authKey })), "verify_auth_key");
        Assert.True((bool)check["valid"]!);
        Assert.Equal("WIFI", (string?)check["bindingType"]);
        Assert.True((bool)check["verified"]!);
        Assert.False((bool)Ok(await mqtt.RequestAsync("bindery", Call("verify_auth_key", new() { ["authKey"] = "not-this-one" })), "verify_auth_key")["valid"]!);

        state = Ok(await mqtt.RequestAsync("bindery", Call("get_binding_state")), "get_binding_state");
        Assert.Equal("used", (string?)state["bindingCode"]);
        Assert.Equal(1, (long)state["boundUsers"]!);
        Assert.True((bool)state["hasBindingSecret"]!);

        var reset = Ok(await mqtt.RequestAsync("bindery", Call("reset")), "reset");
        Assert.Equal(1, (int)reset["bindingMode"]!);
        Assert.Equal(1, (int)reset["bindingsRemoved"]!);
        Assert.False((bool)Ok(await mqtt.RequestAsync("bindery", Call("verify_auth_key", new() { ["authKey"] = authKey })), "verify_auth_key")["valid"]!);
    }

    [Fact]
    public async Task The_pairing_window_opens_and_closes()
    {
        var (_, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var open = Ok(await mqtt.RequestAsync("bindery", Call("open_pairing_window", new() { ["seconds"] = 60 })), "open_pairing_window");
        Assert.True((bool)open["open"]!);
        var closed = Ok(await mqtt.RequestAsync("bindery", Call("open_pairing_window", new() { ["seconds"] = 0 })), "open_pairing_window");
        Assert.False((bool)closed["open"]!);
    }

    [Fact]
    public async Task A_token_reported_with_report_bind_token_is_state_2()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var (_, api, _) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        var reported = Ok(await mqtt.RequestAsync("bindery", Call("report_bind_token", new() { ["token"] = token })), "report_bind_token");
        Assert.Equal(2, (int)reported["state"]!);
        Assert.Equal(device.Dk, (await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token })).GetProperty("DeviceName").GetString());
    }

    [Fact]
    public async Task Refusals_carry_the_catalogue_code_and_extMsg_with_the_clientToken()
    {
        var (_, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;

        var badCode = await mqtt.RequestAsync("bindery", new JsonObject
        {
            ["method"] = "report_binding_code",
            ["clientToken"] = "c-1",
            ["params"] = new JsonObject { ["bindingCode"] = "x", ["lifetime"] = 60 },
        });
        Assert.Equal("c-1", (string?)badCode["clientToken"]);
        Assert.Equal(9001, (int)badCode["code"]!);
        Assert.Equal("Invalid parameter value", (string?)badCode["msg"]);
        Assert.Contains("bindingCode", (string?)badCode["extMsg"], StringComparison.Ordinal);
        Assert.Null(badCode["data"]);

        Assert.Equal(9001, (int)(await mqtt.RequestAsync("bindery", Call("report_binding_code", new() { ["bindingCode"] = DeviceClient.NewCode(), ["lifetime"] = 7200 })))["code"]!);
        Assert.Equal(9001, (int)(await mqtt.RequestAsync("bindery", Call("report_binding_secret", new() { ["bindingSecret"] = "short" })))["code"]!);
        Assert.Equal(9101, (int)(await mqtt.RequestAsync("bindery", Call("report_bind_token", new() { ["token"] = new string('b', 32) })))["code"]!);
        Assert.Equal(9000, (int)(await mqtt.RequestAsync("bindery", Call("report_binding_code", new() { ["lifetime"] = "soon" })))["code"]!);
        Assert.Equal(9000, (int)(await mqtt.RequestAsync("bindery", new JsonObject { ["method"] = "open_pairing_window", ["params"] = "all" }))["code"]!);
        Assert.Equal(9010, (int)(await mqtt.RequestAsync("bindery", Call("format_disk")))["code"]!);
        Assert.True(mqtt.IsConnected);
    }
}
