using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Bindery.Mqtt;
using Bindery.Storage;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// Pushes to the device (docs/device-api.md, "Pushes to the device"): <c>bind_device</c> after a token binding and
/// <c>unbind_device</c> when the device's last binding ends, on <c>$thing/down/service/{pid}/{dn}</c> with QoS 1 and a
/// <c>clientToken</c> that identifies the push; kept while the device is offline, sent again (same id) until the
/// device acknowledges it, never after <c>Mqtt:PushLifetime</c>.
/// </summary>
public sealed class MqttPushTests(MqttFixture fx) : IClassFixture<MqttFixture>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(2);

    internal static JsonObject AppBindToken(string token) => new()
    {
        ["method"] = "app_bind_token",
        ["params"] = new JsonObject { ["token"] = token },
    };

    internal static Func<JsonObject, bool> Method(string method) => m => (string?)m["method"] == method;

    /// <summary>The device reports the app's token over MQTT and the app binds with AppTokenBindDeviceFamily.</summary>
    internal static async Task TokenBindAsync(TencentMqttDevice mqtt, TencentApi api, Tenant.Device device, string familyId)
    {
        var token = await api.CreateTokenAsync();
        Assert.Equal(0, (int)(await mqtt.RequestAsync("service", AppBindToken(token)))["code"]!);
        Assert.False((await api.BindAsync(token, device, familyId)).TryGetProperty("Error", out var error), error.ToString());
    }

    [Fact]
    public async Task A_token_binding_pushes_bind_device_within_2_s_and_deleting_the_device_pushes_unbind_device()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var (user, api, familyId) = await fx.UserWithFamilyAsync();

        await TokenBindAsync(mqtt, api, device, familyId);
        var bind = await mqtt.NextAsync(Method("bind_device"), Within);
        Assert.Equal($"$thing/down/service/{device.Pk}/{device.Dk}", (string?)bind["$topic"]);
        Assert.False(string.IsNullOrEmpty((string?)bind["clientToken"]));
        Assert.InRange((long)bind["timestamp"]!, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
        Assert.Equal(user.Uid, (string?)bind["params"]!["UserID"]);
        Assert.Equal(familyId, (string?)bind["params"]!["FamilyId"]);

        await api.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });
        var unbind = await mqtt.NextAsync(Method("unbind_device"), Within);
        Assert.Equal(user.Uid, (string?)unbind["params"]!["UserID"]);
        Assert.NotEqual((string?)bind["clientToken"], (string?)unbind["clientToken"]);
    }

    [Fact]
    public async Task An_unbind_through_the_v2_API_pushes_unbind_device()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var (user, api, familyId) = await fx.UserWithFamilyAsync();
        await TokenBindAsync(mqtt, api, device, familyId);
        await mqtt.NextAsync(Method("bind_device"), Within);

        var unbound = await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk);
        Assert.True(unbound.Code() == 200, unbound.ToString());
        await mqtt.NextAsync(Method("unbind_device"), Within);
    }

    [Fact]
    public async Task The_admin_deleting_a_bound_device_pushes_unbind_device_to_it()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var (user, api, familyId) = await fx.UserWithFamilyAsync();
        await TokenBindAsync(mqtt, api, device, familyId);
        await mqtt.NextAsync(Method("bind_device"), Within);

        using var admin = fx.App.CreateAdminClient();
        var deleted = await (await admin.DeleteAsync($"/admin/v1/products/{device.Pk}/devices/{device.Dk}")).ReadEnvelopeAsync();
        Assert.True(deleted.Code() == 200, deleted.ToString());
        var unbind = await mqtt.NextAsync(Method("unbind_device"), Within);
        Assert.Equal(user.Uid, (string?)unbind["params"]!["UserID"]);
    }

    [Fact]
    public async Task In_multi_user_mode_unbind_device_waits_for_the_last_holder()
    {
        var (device, mqtt) = await fx.ConnectedDeviceAsync();
        await using var connection = mqtt;
        var (first, firstApi, firstFamily) = await fx.UserWithFamilyAsync();
        var (_, secondApi, secondFamily) = await fx.UserWithFamilyAsync();
        await TokenBindAsync(mqtt, firstApi, device, firstFamily);
        await TokenBindAsync(mqtt, secondApi, device, secondFamily);

        Assert.True((await BindingApi.UnbindAsync(first.Client, device.Pk, device.Dk)).Code() == 200);
        Assert.Null(await AnyWithinAsync(mqtt, Method("unbind_device"), TimeSpan.FromSeconds(1)));

        await secondApi.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = secondFamily, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });
        await mqtt.NextAsync(Method("unbind_device"), Within);
    }

    [Fact]
    public async Task A_rotation_by_a_quectel_wifi_binding_pushes_bind_device_naming_the_new_holder_and_no_unbind()
    {
        var pk = await fx.ProductAsync(bindingMode: 3);
        var (device, mqtt) = await fx.ConnectedDeviceAsync(pk);
        await using var connection = mqtt;
        var (first, api, familyId) = await fx.UserWithFamilyAsync();
        await TokenBindAsync(mqtt, api, device, familyId);
        await mqtt.NextAsync(Method("bind_device"), Within);

        // Someone else proves possession (Wi-Fi binding code reported by the device over MQTT) and takes the device.
        var secret = DeviceClient.NewSecret();
        Assert.Equal(200, (int)(await mqtt.RequestAsync("bindery", Call("report_binding_secret", new() { ["bindingSecret"] = secret })))["code"]!);
        var code = DeviceClient.NewCode();
        Assert.Equal(200, (int)(await mqtt.RequestAsync("bindery", Call("report_binding_code", new() { ["bindingCode"] = code, ["lifetime"] = 300 })))["code"]!);
        var second = await fx.Tenant.CreateUserAsync();
        var body = BindingApi.WifiBody(device, code);
        body["fid"] = await Tenant.CreateFamilyAsync(second);
        var bound = await BindingApi.BindWifiAsync(second.Client, body);
        Assert.True(bound.Code() == 200, bound.ToString());

        // The device is bound (to someone else now): it hears bind_device, never an unbind_device that would make
        // esp-qcloud wipe its Wi-Fi. The latest state wins inside the binding's own transaction.
        var rebound = await mqtt.NextAsync(m => (string?)m["method"] is "bind_device" or "unbind_device", Within);
        Assert.Equal("bind_device", (string?)rebound["method"]);
        Assert.Equal(second.Uid, (string?)rebound["params"]!["UserID"]);
        Assert.NotEqual(first.Uid, second.Uid);
    }

    [Fact]
    public async Task A_device_offline_at_unbind_time_receives_unbind_device_when_it_reconnects()
    {
        var (device, user) = await BoundWhileOnlineAsync(fx);

        Assert.True((await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code() == 200);

        await using var back = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device));
        var unbind = await back.NextAsync(Method("unbind_device"), Within);
        Assert.Equal(user.Uid, (string?)unbind["params"]!["UserID"]);
        // Acknowledged once (and the server has recorded the PUBACK): not sent again at the next connection. (Had the
        // device gone before its PUBACK was processed, at-least-once delivery would rightly send it again.)
        using var admin = fx.App.CreateAdminClient();
        var acknowledged = await GetOkWhenAsync(admin, $"/admin/v1/products/{device.Pk}/devices/{device.Dk}/mqtt",
            v => v.GetProperty("pendingPushes").GetArrayLength() == 0);
        Assert.Equal(0, acknowledged.GetProperty("pendingPushes").GetArrayLength());
        await back.DisposeAsync();
        await using var again = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device));
        Assert.Null(await AnyWithinAsync(again, Method("unbind_device"), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_push_the_device_did_not_acknowledge_is_sent_again_with_the_same_id()
    {
        var (device, user) = await BoundWhileOnlineAsync(fx);
        Assert.True((await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code() == 200);

        string first;
        using (var silent = await SilentDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device)))
        {
            first = (string)(await silent.NextAsync("unbind_device", Within))["clientToken"]!;
        }

        await using var back = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device));
        var again = await back.NextAsync(Method("unbind_device"), Within);
        Assert.Equal(first, (string?)again["clientToken"]);
    }

    [Fact]
    public async Task A_device_subscribed_with_QoS_0_gets_a_push_once_since_it_cannot_acknowledge_it()
    {
        var (device, user) = await BoundWhileOnlineAsync(fx);
        Assert.True((await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code() == 200);

        using (var qos0 = await SilentDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtMostOnce))
        {
            await qos0.NextAsync("unbind_device", Within);
        }
        await using var again = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device));
        Assert.Null(await AnyWithinAsync(again, Method("unbind_device"), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task The_admin_API_shows_the_connection_and_the_pending_pushes_without_their_payload()
    {
        var device = await fx.DeviceAsync();
        var (user, api, familyId) = await fx.UserWithFamilyAsync();
        using var admin = fx.App.CreateAdminClient();
        var url = $"/admin/v1/products/{device.Pk}/devices/{device.Dk}/mqtt";
        await using (var online = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device)))
        {
            await TokenBindAsync(online, api, device, familyId);
            await online.NextAsync(Method("bind_device"), Within);
            var connected = await GetOkAsync(admin, url);
            Assert.True(connected.GetProperty("connected").GetBoolean());
            Assert.InRange(connected.GetProperty("connectedAt").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            Assert.False(string.IsNullOrEmpty(connected.GetProperty("node").GetString()));
        }
        Assert.True((await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code() == 200);

        var offline = await GetOkWhenAsync(admin, url, v => !v.GetProperty("connected").GetBoolean());
        Assert.False(offline.GetProperty("connected").GetBoolean());
        var pending = Assert.Single(offline.GetProperty("pendingPushes").EnumerateArray());
        Assert.Equal("unbind_device", pending.GetProperty("method").GetString());
        Assert.Equal(TimeSpan.FromDays(7).TotalMilliseconds, pending.GetProperty("expiresAt").GetInt64() - pending.GetProperty("createdAt").GetInt64());
        Assert.DoesNotContain(user.Uid, offline.GetRawText(), StringComparison.Ordinal);

        await using var back = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device));
        var delivered = await back.NextAsync(Method("unbind_device"), Within);
        Assert.Equal(pending.GetProperty("id").GetString(), (string?)delivered["clientToken"]);
        // The PUBACK marks it delivered (asynchronously, just after the device has it).
        for (var i = 0; i < 40 && (await GetOkAsync(admin, url)).GetProperty("pendingPushes").GetArrayLength() > 0; i++)
        {
            await Task.Delay(50);
        }
        Assert.Empty((await GetOkAsync(admin, url)).GetProperty("pendingPushes").EnumerateArray());
    }

    /// <summary>
    /// The admin view once <paramref name="holds"/> is true of it (within 5 s): the server records a disconnect or a
    /// PUBACK when it has processed it, a moment after the client sent it.
    /// </summary>
    private static async Task<System.Text.Json.JsonElement> GetOkWhenAsync(HttpClient admin, string url, Func<System.Text.Json.JsonElement, bool> holds)
    {
        var view = await GetOkAsync(admin, url);
        for (var i = 0; i < 100 && !holds(view); i++)
        {
            await Task.Delay(50);
            view = await GetOkAsync(admin, url);
        }
        return view;
    }

    private static async Task<System.Text.Json.JsonElement> GetOkAsync(HttpClient admin, string url)
    {
        var envelope = await (await admin.GetAsync(url)).ReadEnvelopeAsync();
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data();
    }

    [Fact]
    public async Task A_push_past_its_lifetime_is_never_delivered()
    {
        var fixture = new MqttFixture(new Dictionary<string, string?> { ["Mqtt:PushLifetime"] = "00:00:01" });
        await fixture.InitializeAsync();
        try
        {
            var (device, user) = await BoundWhileOnlineAsync(fixture);
            Assert.True((await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code() == 200);
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            await using var back = await TencentMqttDevice.ConnectAsync(fixture.Port, MqttFixture.ConnectOf(device));
            Assert.Null(await AnyWithinAsync(back, Method("unbind_device"), TimeSpan.FromSeconds(1)));

            // The pruner removes it (and the bind_device of the same age: delivered, or — when the device's PUBACK had
            // not been processed before the unbind — already dropped by the unbind_device that superseded it).
            Assert.True(await fixture.App.Services.GetRequiredService<DevicePushPruner>().PruneAsync() >= 1);
            var db = fixture.App.Services.GetRequiredService<IDatabase>();
            Assert.Equal(0, await db.ReadAsync(c => c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM device_pushes WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk })));
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    /// <summary>
    /// A fresh device, online over MQTT, token-bound into a fresh user's family; returns once it has heard its
    /// bind_device and gone offline again.
    /// </summary>
    private static async Task<(Tenant.Device Device, Tenant.User User)> BoundWhileOnlineAsync(MqttFixture fixture)
    {
        var device = await fixture.DeviceAsync();
        var (user, api, familyId) = await fixture.UserWithFamilyAsync();
        await using var online = await TencentMqttDevice.ConnectAsync(fixture.Port, MqttFixture.ConnectOf(device));
        await TokenBindAsync(online, api, device, familyId);
        await online.NextAsync(Method("bind_device"), Within);
        return (device, user);
    }

    private static JsonObject Call(string method, JsonObject? parameters = null) => new()
    {
        ["method"] = method,
        ["params"] = parameters,
    };

    internal static async Task<JsonObject?> AnyWithinAsync(TencentMqttDevice device, Func<JsonObject, bool> match, TimeSpan wait)
    {
        try
        {
            return await device.NextAsync(match, wait);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>A device that receives with QoS 1 but never acknowledges (no PUBACK), as one that crashed would.</summary>
    private sealed class SilentDevice : IDisposable
    {
        private readonly Channel<JsonObject> _received = Channel.CreateUnbounded<JsonObject>();
        private readonly IMqttClient _client;

        private SilentDevice(IMqttClient client)
        {
            _client = client;
            client.ApplicationMessageReceivedAsync += e =>
            {
                e.AutoAcknowledge = false;
                if (JsonNode.Parse(Encoding.UTF8.GetString(e.ApplicationMessage.Payload)) is JsonObject message)
                {
                    _received.Writer.TryWrite(message);
                }
                return Task.CompletedTask;
            };
        }

        public static async Task<SilentDevice> ConnectAsync(int port, TencentMqttDevice.Connect connect,
            MQTTnet.Protocol.MqttQualityOfServiceLevel qos = MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
        {
            var client = new MqttClientFactory().CreateMqttClient();
            var device = new SilentDevice(client);
            await client.ConnectAsync(connect.Options(port));
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter($"$thing/down/service/{connect.ProductId}/{connect.DeviceName}", qos).Build());
            return device;
        }

        public async Task<JsonObject> NextAsync(string method, TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (true)
            {
                var message = await _received.Reader.ReadAsync(deadline.Token);
                if ((string?)message["method"] == method)
                {
                    return message;
                }
            }
        }

        // Dropped without DISCONNECT (the connection just ends), as a device losing power.
        public void Dispose() => _client.Dispose();
    }
}
