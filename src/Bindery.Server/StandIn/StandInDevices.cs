using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Mqtt;
using Bindery.Protocol;
using Bindery.Registry;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using MQTTnet;

namespace Bindery.StandIn;

/// <summary>
/// Virtual devices (docs/stand-in.md, "Virtual devices"): any registered device, driven by API without the caller
/// computing a signature. The stand-in plays the device honestly: it signs device API requests with the device's
/// secret through <see cref="DeviceApiClient"/> (the code bindery-sim and real firmware ports use) and sends them to
/// this server over loopback HTTP, and it connects a real MQTT client (<see cref="TencentMqttLogin"/>) to the embedded
/// broker, keeping what the cloud pushed. So every check a real device passes through (signature, timestamp, replay,
/// guess limits, MQTT login) applies. The connections live in this process (single-node, like the clock).
/// </summary>
public sealed class StandInDevices(
    RegistryService registry,
    TimeProvider clock,
    IServer server,
    IServiceProvider services,
    ILogger<StandInDevices> logger) : IStandInResetParticipant, IAsyncDisposable
{
    /// <summary>Most messages kept per connected device (oldest dropped first).</summary>
    public const int MaxMessagesPerDevice = 200;

    private readonly ConcurrentDictionary<(string Pk, string Dk), MqttDevice> _connected = new();
    private HttpClient? _http;

    public sealed record PushedMessage(string Topic, long ReceivedAtMs, JsonElement? Payload, string? Text);

    public sealed record MqttState(string Pk, string Dk, bool Connected, IReadOnlyList<PushedMessage> Messages);

    /// <summary>The device as the device API knows it (pk, stored dk, secret); 9474 when it is not registered.</summary>
    public async Task<DeviceIdentity> IdentityAsync(string? pk, string? dk)
    {
        var productKey = Validate.Required(pk, Errors.ProductKeyMissing, 64, "pk");
        var deviceKey = Validate.Required(dk, Errors.DeviceKeyMissing, 64, "dk");
        var product = await registry.GetProductAsync(productKey) ?? throw new BinderyException(Errors.StandInDeviceNotFound, $"product '{productKey}' does not exist");
        string normalized;
        try
        {
            normalized = DeviceKeyFormats.Resolve(product.KeyFormat, deviceKey);
        }
        catch (BinderyException)
        {
            throw new BinderyException(Errors.StandInDeviceNotFound, "the dk is not one of this product's device keys");
        }
        var device = await registry.GetDeviceAsync(productKey, normalized)
            ?? throw new BinderyException(Errors.StandInDeviceNotFound, $"product '{productKey}' has no such device");
        return new DeviceIdentity(device.Pk, device.Dk, device.DeviceSecret);
    }

    /// <summary>Sends one signed device API request as the device; a refusal comes back as the same catalogued error.</summary>
    public async Task<JsonElement> AsDeviceAsync(DeviceIdentity device, Func<DeviceApiClient, Task<JsonElement>> call)
    {
        var client = new DeviceApiClient(Http(), device, clock);
        try
        {
            return await call(client);
        }
        catch (BinderyApiException e)
        {
            var error = e.Code is { } code ? Errors.All.FirstOrDefault(d => d.Code == code) : null;
            throw new BinderyException(error ?? Errors.InternalError, "the device API refused the virtual device: " + e.Message);
        }
    }

    /// <summary>Connects the device to the embedded broker (its MQTT login signed with its secret) and subscribes to its down topics.</summary>
    public async Task<MqttState> ConnectAsync(DeviceIdentity device, CancellationToken cancellationToken)
    {
        var broker = services.GetService<MqttBroker>();
        if (broker is null || broker.Port == 0)
        {
            throw new BinderyException(Errors.StandInMqttUnavailable, "the embedded MQTT broker is off (Mqtt:Enabled)");
        }
        TencentMqttLogin login;
        try
        {
            login = TencentMqttLogin.Of(device);
        }
        catch (FormatException)
        {
            throw new BinderyException(Errors.StandInMqttUnavailable, "the device secret is not base64: such a device cannot log in over MQTT (docs/device-api.md)");
        }
        await DisconnectAsync(device.Pk, device.Dk);
        var mqtt = new MqttDevice(new MqttClientFactory().CreateMqttClient(), clock);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", broker.Port)
            .WithClientId(login.ClientId)
            .WithCredentials(login.Username, login.Password)
            .WithCleanSession(true)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        MqttClientConnectResult result;
        try
        {
            result = await mqtt.Client.ConnectAsync(options, cancellationToken);
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
            mqtt.Client.Dispose();
            throw new BinderyException(Errors.StandInMqttUnavailable, "the broker did not accept the connection: " + e.GetType().Name);
        }
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            mqtt.Client.Dispose();
            throw new BinderyException(Errors.StandInMqttUnavailable, $"the broker refused the device's login ({result.ResultCode})");
        }
        await mqtt.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(TencentMqttLogin.DownFilter(device), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
        _connected[(device.Pk, device.Dk)] = mqtt;
        return State(device.Pk, device.Dk);
    }

    /// <summary>Publishes <paramref name="payload"/> on <c>$thing/up/{type}/{pk}/{dk}</c> from the connected device.</summary>
    public async Task PublishAsync(DeviceIdentity device, string type, string payload, CancellationToken cancellationToken)
    {
        if (!_connected.TryGetValue((device.Pk, device.Dk), out var mqtt) || !mqtt.Client.IsConnected)
        {
            throw new BinderyException(Errors.StandInDeviceNotConnected);
        }
        await mqtt.Client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(TencentMqttLogin.UpTopic(type, device)).WithPayload(payload)
            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
    }

    public async Task<bool> DisconnectAsync(string pk, string dk)
    {
        if (!_connected.TryRemove((pk, dk), out var mqtt))
        {
            return false;
        }
        await mqtt.DisposeAsync();
        return true;
    }

    public MqttState State(string pk, string dk) =>
        _connected.TryGetValue((pk, dk), out var mqtt)
            ? new MqttState(pk, dk, mqtt.Client.IsConnected, mqtt.Messages())
            : new MqttState(pk, dk, false, []);

    /// <summary>A reset disconnects every virtual device (their pushes go with them).</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        foreach (var key in _connected.Keys.ToList())
        {
            await DisconnectAsync(key.Pk, key.Dk);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ResetAsync(CancellationToken.None);
        _http?.Dispose();
    }

    /// <summary>A client of this server's own HTTP listener on loopback.</summary>
    private HttpClient Http()
    {
        if (_http is not null)
        {
            return _http;
        }
        var address = LoopbackAddress(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
            ?? throw new BinderyException(Errors.StandInDeviceApiUnreachable);
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        if (Interlocked.CompareExchange(ref _http, http, null) is not null)
        {
            http.Dispose();
        }
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Virtual devices call the device API at {Address}", address);
        }
        return _http;
    }

    /// <summary>The first http address (else https), with a wildcard host replaced by the loopback address.</summary>
    public static Uri? LoopbackAddress(IEnumerable<string> addresses)
    {
        var list = addresses.ToList();
        foreach (var address in list.Where(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
                     .Concat(list.Where(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase))))
        {
            var text = address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://[::]", "://[::1]", StringComparison.Ordinal);
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
            {
                return uri;
            }
        }
        return null;
    }

    private sealed class MqttDevice : IAsyncDisposable
    {
        private readonly Queue<PushedMessage> _messages = new();

        public MqttDevice(IMqttClient client, TimeProvider clock)
        {
            Client = client;
            client.ApplicationMessageReceivedAsync += e =>
            {
                var text = Encoding.UTF8.GetString(e.ApplicationMessage.Payload);
                JsonElement? json = null;
                try
                {
                    json = JsonSerializer.Deserialize<JsonElement>(text);
                }
                catch (JsonException)
                {
                    // Not JSON: kept as text.
                }
                lock (_messages)
                {
                    _messages.Enqueue(new PushedMessage(e.ApplicationMessage.Topic, clock.GetUtcNow().ToUnixTimeMilliseconds(), json, json is null ? text : null));
                    while (_messages.Count > MaxMessagesPerDevice)
                    {
                        _messages.Dequeue();
                    }
                }
                return Task.CompletedTask;
            };
        }

        public IMqttClient Client { get; }

        public IReadOnlyList<PushedMessage> Messages()
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (Client.IsConnected)
                {
                    await Client.DisconnectAsync();
                }
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
                // Already gone.
            }
            Client.Dispose();
        }
    }
}
