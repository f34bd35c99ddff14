using MQTTnet;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// Connecting as a Tencent-protocol device (docs/device-api.md, "Devices over MQTT"): both HMAC variants and both
/// expiries the SDKs send are accepted; every refusal gives the same CONNACK, bad user name or password.
/// </summary>
public sealed class MqttConnectionTests(MqttFixture fx) : IClassFixture<MqttFixture>
{
    [Theory]
    [InlineData("hmacsha1", TencentMqttDevice.LongMax)]
    [InlineData("hmacsha256", TencentMqttDevice.LongMax)]
    [InlineData("hmacsha256", TencentMqttDevice.IntMax)]
    public async Task A_device_connects_with_its_secret_under_either_HMAC_and_either_SDK_expiry(string algorithm, long expiry)
    {
        var device = await fx.DeviceAsync();
        await using var mqtt = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device) with { Algorithm = algorithm, Expiry = expiry });
        Assert.True(mqtt.IsConnected);
    }

    [Fact]
    public async Task MQTT_5_connects_too()
    {
        var device = await fx.DeviceAsync();
        await using var mqtt = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device) with { Version = MQTTnet.Formatter.MqttProtocolVersion.V500 });
        Assert.True(mqtt.IsConnected);
    }

    public enum Refusal
    {
        WrongPassword,
        PasswordOfAnotherDevice,
        ExpiryInThePast,
        UnknownDevice,
        ClientIdNotTheUsernamesDevice,
        UnknownAlgorithm,
        SecretNotBase64,
    }

    [Theory]
    [InlineData(Refusal.WrongPassword)]
    [InlineData(Refusal.PasswordOfAnotherDevice)]
    [InlineData(Refusal.ExpiryInThePast)]
    [InlineData(Refusal.UnknownDevice)]
    [InlineData(Refusal.ClientIdNotTheUsernamesDevice)]
    [InlineData(Refusal.UnknownAlgorithm)]
    [InlineData(Refusal.SecretNotBase64)]
    public async Task Every_refusal_is_the_same_bad_user_name_or_password(Refusal refusal)
    {
        var pk = await fx.ProductAsync();
        var device = await fx.DeviceAsync(pk);
        var other = await fx.DeviceAsync(pk);
        var connect = MqttFixture.ConnectOf(device);
        connect = refusal switch
        {
            Refusal.WrongPassword => connect with { DeviceSecret = MqttFixture.NewDeviceSecret() },
            Refusal.PasswordOfAnotherDevice => connect with { DeviceSecret = other.DeviceSecret },
            Refusal.ExpiryInThePast => connect with { Expiry = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1 },
            Refusal.UnknownDevice => connect with { DeviceName = device.Dk + "x" },
            Refusal.ClientIdNotTheUsernamesDevice => connect with { ClientIdOverride = other.Pk + other.Dk },
            Refusal.UnknownAlgorithm => connect with
            {
                PasswordOverride = TencentMqttDevice.Password(connect.Username, device.DeviceSecret, "hmacsha256").Replace(";hmacsha256", ";hmacsha512", StringComparison.Ordinal),
            },
            Refusal.SecretNotBase64 => await NotBase64Async(pk),
            _ => throw new ArgumentOutOfRangeException(nameof(refusal)),
        };
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await TencentMqttDevice.TryConnectAsync(fx.Port, connect));
    }

    /// <summary>A device whose registered secret is not base64 (the admin API takes any printable secret): no key, no connect.</summary>
    private async Task<TencentMqttDevice.Connect> NotBase64Async(string pk)
    {
        var device = await fx.DeviceAsync(pk, deviceSecret: "not-base64-secret!");
        // The client signs with some key: whatever it is, the broker cannot have the same one.
        return MqttFixture.ConnectOf(device) with { DeviceSecret = Convert.ToBase64String("not-base64-secret!"u8.ToArray()) };
    }

    [Theory]
    [InlineData("ABCDEFGHIJlight;21010406;a1B2c;9223372036854775807", true)]
    [InlineData("ABCDEFGHIJlight;12010126;00042;2147483647", true)]
    [InlineData("ABCDEFGHIJlight;21010406;a1B2c;9223372036854775808", false)]
    [InlineData("ABCDEFGHIJlight;21010406;a1B2c;-1", false)]
    [InlineData("ABCDEFGHIJlight;21010406;a1B2c;1e10", false)]
    [InlineData("ABCDEFGHIJlight;21010406;a1B2c", false)]
    [InlineData("ABCDEFGHIJlight;21010406;a1B2c;1;extra", false)]
    [InlineData(";21010406;a1B2c;2147483647", false)]
    public void The_username_is_four_fields_and_the_expiry_a_decimal_integer_up_to_LONG_MAX(string username, bool wellFormed) =>
        Assert.Equal(wellFormed, Bindery.Mqtt.MqttDeviceAuth.ParseUsername(username) is not null);

    [Fact]
    public async Task The_expiry_is_compared_as_an_integer_so_any_future_value_is_accepted()
    {
        var device = await fx.DeviceAsync();
        var inAnHour = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
        await using var mqtt = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device) with { Expiry = inAnHour });
        Assert.True(mqtt.IsConnected);
    }

    [Fact]
    public async Task A_second_connection_with_the_same_client_id_replaces_the_first()
    {
        var device = await fx.DeviceAsync();
        await using var first = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device));
        var firstGone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.Client.DisconnectedAsync += _ =>
        {
            firstGone.TrySetResult();
            return Task.CompletedTask;
        };
        await using var second = await TencentMqttDevice.ConnectAsync(fx.Port, MqttFixture.ConnectOf(device));

        await firstGone.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(first.IsConnected);
        Assert.True(second.IsConnected);
        // The new connection is the device's: it is answered.
        var reply = await second.RequestAsync("bindery", new() { ["method"] = "get_binding_state" });
        Assert.Equal(200, (int)reply["code"]!);
    }
}
