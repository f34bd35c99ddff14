using System.Text.Json.Nodes;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Tests.Mqtt;
using Bindery.Tests.Support;
using MQTTnet;

namespace Bindery.Tests.Gateways;

/// <summary>
/// A gateway over MQTT, in Tencent's gateway topology protocol (docs/device-api.md, "Gateway sub-devices"): it pairs
/// sub-devices on <c>$gateway/operation/{pk}/{dk}</c> with each one's signature and gets per-device results on
/// <c>$gateway/operation/result/{pk}/{dk}</c>; <c>describe_sub_devices</c> lists them; a second gateway's claim is refused.
/// </summary>
public sealed class GatewayMqttTests(MqttFixture fx) : IClassFixture<MqttFixture>
{
    private static JsonObject BindMessage(Tenant.Device sub, string? secret = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var random = Random.Shared.Next(1, int.MaxValue);
        return new JsonObject
        {
            ["type"] = "bind",
            ["payload"] = new JsonObject
            {
                ["devices"] = new JsonArray(new JsonObject
                {
                    ["product_id"] = sub.Pk,
                    ["device_name"] = sub.Dk,
                    ["signature"] = SubDeviceSignature.Compute(secret ?? sub.DeviceSecret, sub.Pk, sub.Dk, random, now, SubDeviceSignature.HmacSha1),
                    ["random"] = random,
                    ["timestamp"] = now,
                    ["signmethod"] = SubDeviceSignature.HmacSha1,
                    ["authtype"] = "psk",
                }),
            },
        };
    }

    private static async Task<JsonObject> RequestAsync(TencentMqttDevice gateway, JsonObject message)
    {
        var type = message["type"]!.GetValue<string>();
        await gateway.PublishAsync($"$gateway/operation/{gateway.ProductId}/{gateway.DeviceName}", message.ToJsonString());
        return await gateway.NextAsync(m => m["$topic"]?.GetValue<string>() == $"$gateway/operation/result/{gateway.ProductId}/{gateway.DeviceName}"
            && m["type"]?.GetValue<string>() == type);
    }

    private static int Result(JsonObject reply) => reply["payload"]!["devices"]!.AsArray().Single()!["result"]!.GetValue<int>();

    private async Task<TencentMqttDevice> GatewayAsync()
    {
        var (_, mqtt) = await fx.ConnectedDeviceAsync();
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1,
            await mqtt.SubscribeAsync($"$gateway/operation/result/{mqtt.ProductId}/{mqtt.DeviceName}"));
        return mqtt;
    }

    [Fact]
    public async Task A_gateway_pairs_a_signed_sub_device_over_MQTT_lists_it_and_a_second_gateway_is_refused()
    {
        var subProduct = await fx.Tenant.CreateProductAsync(2, methods: ["SUB_DEVICE"]);
        var sub = await fx.Tenant.CreateDeviceAsync(subProduct.Pk);
        await using var gateway = await GatewayAsync();
        await using var other = await GatewayAsync();

        Assert.Equal(Errors.DeviceVerificationFailed.Code, Result(await RequestAsync(gateway, BindMessage(sub, secret: "someone else's secret"))));
        Assert.Equal(0, Result(await RequestAsync(gateway, BindMessage(sub))));

        var described = await RequestAsync(gateway, new JsonObject { ["type"] = "describe_sub_devices" });
        var listed = Assert.Single(described["payload"]!["devices"]!.AsArray())!;
        Assert.Equal(sub.Pk, listed["product_id"]!.GetValue<string>());
        Assert.Equal(sub.Dk, listed["device_name"]!.GetValue<string>());

        Assert.Equal(Errors.SubDeviceOfAnotherGateway.Code, Result(await RequestAsync(other, BindMessage(sub))));

        var removed = await RequestAsync(gateway, new JsonObject
        {
            ["type"] = "unbind",
            ["payload"] = new JsonObject { ["devices"] = new JsonArray(new JsonObject { ["product_id"] = sub.Pk, ["device_name"] = sub.Dk }) },
        });
        Assert.Equal(0, Result(removed));
        Assert.Equal(0, Result(await RequestAsync(other, BindMessage(sub))));
    }
}
