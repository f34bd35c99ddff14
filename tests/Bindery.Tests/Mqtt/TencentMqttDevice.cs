using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// Plays a Tencent-protocol device over MQTT, from the rules of ../shared/reference/real-clients.md section 3a (not
/// from Bindery's code): client id <c>{ProductId}{DeviceName}</c>; username
/// <c>{ProductId}{DeviceName};21010406;{connid};{expiry}</c>; password = lowercase hex HMAC (SHA-1 as the C SDK,
/// SHA-256 as esp-qcloud) over the username with the base64-decoded device secret as key, suffixed
/// <c>;hmacsha1</c> / <c>;hmacsha256</c>. One connection subscribes and publishes, as a real device does.
/// </summary>
public sealed class TencentMqttDevice : IAsyncDisposable
{
    /// <summary>The C SDK's expiry (MAX_ACCESS_EXPIRE_TIMEOUT = 0 → LONG_MAX).</summary>
    public const long LongMax = long.MaxValue;

    /// <summary>esp-qcloud's expiry.</summary>
    public const long IntMax = int.MaxValue;

    private readonly Channel<JsonObject> _received = Channel.CreateUnbounded<JsonObject>();
    private readonly List<string> _topics = [];

    private TencentMqttDevice(IMqttClient client, string productId, string deviceName)
    {
        Client = client;
        ProductId = productId;
        DeviceName = deviceName;
        client.ApplicationMessageReceivedAsync += e =>
        {
            lock (_topics)
            {
                _topics.Add(e.ApplicationMessage.Topic);
            }
            var payload = Encoding.UTF8.GetString(e.ApplicationMessage.Payload);
            if (JsonNode.Parse(payload) is JsonObject message)
            {
                message["$topic"] = e.ApplicationMessage.Topic;
                _received.Writer.TryWrite(message);
            }
            return Task.CompletedTask;
        };
    }

    public IMqttClient Client { get; }

    public string ProductId { get; }

    public string DeviceName { get; }

    public bool IsConnected => Client.IsConnected;

    /// <summary>Topics of every message this device received.</summary>
    public IReadOnlyList<string> ReceivedTopics
    {
        get
        {
            lock (_topics)
            {
                return [.. _topics];
            }
        }
    }

    public static string Username(string productId, string deviceName, string connId, long expiry) =>
        $"{productId}{deviceName};21010406;{connId};{expiry.ToString(CultureInfo.InvariantCulture)}";

    public static string Password(string username, string deviceSecretBase64, string algorithm)
    {
        var key = Convert.FromBase64String(deviceSecretBase64);
        var message = Encoding.UTF8.GetBytes(username);
        var mac = algorithm switch
        {
            "hmacsha1" => HMACSHA1.HashData(key, message),
            "hmacsha256" => HMACSHA256.HashData(key, message),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
        return Convert.ToHexStringLower(mac) + ";" + algorithm;
    }

    /// <summary>The connect a device makes; any part can be replaced to break it.</summary>
    public sealed record Connect(string ProductId, string DeviceName, string DeviceSecret)
    {
        public string Algorithm { get; init; } = "hmacsha256";

        public long Expiry { get; init; } = LongMax;

        public string? ClientIdOverride { get; init; }

        public string? PasswordOverride { get; init; }

        public MqttProtocolVersion Version { get; init; } = MqttProtocolVersion.V311;

        public string ConnId { get; init; } = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 5);

        public string Username => TencentMqttDevice.Username(ProductId, DeviceName, ConnId, Expiry);

        public MqttClientOptions Options(int port) => new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(Version)
            .WithClientId(ClientIdOverride ?? ProductId + DeviceName)
            .WithCredentials(Username, PasswordOverride ?? Password(Username, DeviceSecret, Algorithm))
            .WithCleanSession(true)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
    }

    /// <summary>Connects (asserting success) and subscribes to the device's service and bindery down topics.</summary>
    public static async Task<TencentMqttDevice> ConnectAsync(int port, Connect connect, bool subscribe = true)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var device = new TencentMqttDevice(client, connect.ProductId, connect.DeviceName);
        var result = await client.ConnectAsync(connect.Options(port));
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        if (subscribe)
        {
            foreach (var type in new[] { "service", "bindery" })
            {
                var granted = await device.SubscribeAsync($"$thing/down/{type}/{connect.ProductId}/{connect.DeviceName}");
                Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, granted);
            }
        }
        return device;
    }

    /// <summary>What the broker answers a connect: Success, or the CONNACK's refusal.</summary>
    public static async Task<MqttClientConnectResultCode> TryConnectAsync(int port, Connect connect)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        // MQTTnet 5 returns a refused CONNACK as the result rather than throwing.
        var result = await client.ConnectAsync(connect.Options(port));
        return result.ResultCode;
    }

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string filter)
    {
        var result = await Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(filter, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return Assert.Single(result.Items).ResultCode;
    }

    public Task PublishAsync(string topic, string payload) =>
        Client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build());

    /// <summary>Publishes on <c>$thing/up/{type}/{pid}/{dn}</c>.</summary>
    public Task PublishUpAsync(string type, string payload) => PublishAsync($"$thing/up/{type}/{ProductId}/{DeviceName}", payload);

    /// <summary>Publishes <paramref name="message"/> with a fresh clientToken and returns the reply carrying it back.</summary>
    public async Task<JsonObject> RequestAsync(string type, JsonObject message)
    {
        var clientToken = message["clientToken"]?.GetValue<string>() ?? $"{DeviceName}-{Environment.TickCount64}-{Random.Shared.Next()}";
        message["clientToken"] = clientToken;
        await PublishUpAsync(type, message.ToJsonString());
        return await NextAsync(m => m["clientToken"]?.GetValueKind() == JsonValueKind.String && m["clientToken"]!.GetValue<string>() == clientToken);
    }

    /// <summary>The next received message that <paramref name="match"/>es, within 5 s.</summary>
    public async Task<JsonObject> NextAsync(Func<JsonObject, bool>? match = null, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            var message = await _received.Reader.ReadAsync(deadline.Token);
            if (match is null || match(message))
            {
                return message;
            }
        }
    }

    /// <summary>Whether any message arrives within <paramref name="wait"/>.</summary>
    public async Task<JsonObject?> AnyWithinAsync(TimeSpan wait)
    {
        try
        {
            return await NextAsync(timeout: wait);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Client.IsConnected)
        {
            await Client.DisconnectAsync();
        }
        Client.Dispose();
    }
}
