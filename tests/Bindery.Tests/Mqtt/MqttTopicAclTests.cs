using System.Text.Json.Nodes;
using MQTTnet;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// The topic ACL (docs/device-api.md, "Devices over MQTT"): a device subscribes only to its own down and
/// <c>$log</c> topics, what it publishes elsewhere is dropped without disconnecting it, and no device ever receives
/// another device's message.
/// </summary>
public sealed class MqttTopicAclTests(MqttFixture fx) : IClassFixture<MqttFixture>
{
    [Fact]
    public async Task A_device_may_subscribe_to_its_own_down_and_log_topics_only()
    {
        var pk = await fx.ProductAsync();
        var (device, mqtt) = await fx.ConnectedDeviceAsync(pk);
        var other = await fx.DeviceAsync(pk);
        await using var connection = mqtt;

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await mqtt.SubscribeAsync($"$thing/down/+/{device.Pk}/{device.Dk}"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await mqtt.SubscribeAsync($"$log/operation/result/{device.Pk}/{device.Dk}"));

        // MQTT 3.1.1 has one failure code (0x80); MQTTnet's client reads it as unspecified error.
        foreach (var filter in new[]
        {
            $"$thing/down/service/{other.Pk}/{other.Dk}",
            $"$thing/down/service/{device.Pk}/+",
            $"$thing/up/service/{device.Pk}/{device.Dk}",
            $"$log/operation/{other.Pk}/{other.Dk}",
            "#",
            "$thing/#",
            $"$thing/down/#",
        })
        {
            Assert.True(await mqtt.SubscribeAsync(filter) is MqttClientSubscribeResultCode.UnspecifiedError or MqttClientSubscribeResultCode.NotAuthorized, filter);
        }
        Assert.True(mqtt.IsConnected);
    }

    [Fact]
    public async Task A_publish_on_another_devices_topic_is_dropped_the_other_never_gets_it_and_the_publisher_stays()
    {
        var pk = await fx.ProductAsync();
        var (device, mqtt) = await fx.ConnectedDeviceAsync(pk);
        var (other, otherMqtt) = await fx.ConnectedDeviceAsync(pk);
        await using var a = mqtt;
        await using var b = otherMqtt;

        await mqtt.PublishAsync($"$thing/down/service/{other.Pk}/{other.Dk}", """{"method":"unbind_device","clientToken":"evil"}""");
        await mqtt.PublishAsync($"$thing/up/service/{other.Pk}/{other.Dk}", """{"method":"unbind_device_request","clientToken":"evil-2"}""");
        await mqtt.PublishAsync("some/other/topic", "{}");

        Assert.Null(await otherMqtt.AnyWithinAsync(TimeSpan.FromMilliseconds(700)));
        Assert.Null(await mqtt.AnyWithinAsync(TimeSpan.FromMilliseconds(100)));
        Assert.True(mqtt.IsConnected);
        var reply = await mqtt.RequestAsync("bindery", new JsonObject { ["method"] = "get_binding_state" });
        Assert.Equal(200, (int)reply["code"]!);
    }

    [Fact]
    public async Task A_device_publishing_on_its_own_log_and_property_topics_is_accepted_and_not_echoed()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await mqtt.SubscribeAsync($"$log/operation/{device.Pk}/{device.Dk}"));
        await mqtt.PublishAsync($"$log/operation/{device.Pk}/{device.Dk}", """{"type":"get_log_level"}""");
        await mqtt.PublishUpAsync("property", """{"method":"report","params":{"power_switch":1}}""");
        Assert.Null(await mqtt.AnyWithinAsync(TimeSpan.FromMilliseconds(500)));
        Assert.True(mqtt.IsConnected);
    }

    [Fact]
    public async Task A_phantom_app_bind_token_for_another_device_cannot_claim_the_token()
    {
        var pk = await fx.ProductAsync();
        var (_, mqtt) = await fx.ConnectedDeviceAsync(pk);
        var victim = await fx.DeviceAsync(pk);
        await using var connection = mqtt;
        var (_, api, _) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();

        var phantom = new JsonObject { ["method"] = "app_bind_token", ["clientToken"] = "p-1", ["params"] = new JsonObject { ["token"] = token } };
        await mqtt.PublishAsync($"$thing/up/service/{victim.Pk}/{victim.Dk}", phantom.ToJsonString());
        Assert.Null(await mqtt.AnyWithinAsync(TimeSpan.FromMilliseconds(500)));

        var state = await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token });
        Assert.Equal(1, state.GetProperty("State").GetInt32());
    }

    [Fact]
    public async Task A_will_message_aimed_at_another_device_is_never_delivered()
    {
        var pk = await fx.ProductAsync();
        var device = await fx.DeviceAsync(pk);
        var (other, otherMqtt) = await fx.ConnectedDeviceAsync(pk);
        await using var b = otherMqtt;

        var connect = MqttFixture.ConnectOf(device);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", fx.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V311)
            .WithClientId(device.Pk + device.Dk)
            .WithCredentials(connect.Username, TencentMqttDevice.Password(connect.Username, device.DeviceSecret, "hmacsha256"))
            .WithWillTopic($"$thing/down/service/{other.Pk}/{other.Dk}")
            .WithWillPayload("""{"method":"unbind_device"}""")
            .WithWillQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var client = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, (await client.ConnectAsync(options)).ResultCode);
        // Gone without a DISCONNECT packet: the broker would publish the will now.
        client.Dispose();

        Assert.Null(await otherMqtt.AnyWithinAsync(TimeSpan.FromMilliseconds(700)));
    }
}
