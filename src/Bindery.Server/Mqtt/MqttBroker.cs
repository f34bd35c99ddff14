using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Bindery.Devices;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Bindery.Mqtt;

/// <summary>
/// The embedded MQTT broker (MQTTnet), started with the server and stopped before it. It serves Bindery ↔ device
/// only: connects are authenticated by <see cref="MqttDeviceAuth"/>, subscriptions and publishes checked by
/// <see cref="MqttTopics"/>, and no device's publish is ever routed to a subscriber — what a device sends on its
/// service or bindery topic goes to <see cref="MqttDeviceMessages"/>, whose reply Bindery publishes on the device's
/// down topic; the rest is dropped without disconnecting the device.
/// </summary>
public sealed class MqttBroker(
    IOptions<MqttOptions> options, MqttDeviceAuth auth, MqttDeviceMessages messages, MqttConnections connections,
    ILogger<MqttBroker> logger)
    : IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>The sender id of Bindery's own replies: never a device's client id (product keys have no <c>$</c>).</summary>
    private const string ServerClientId = "$bindery";

    private const string DeviceItem = "bindery.device";

    /// <summary>The session item naming one connection of a device (<see cref="MqttConnections"/>).</summary>
    private const string ConnectionItem = "bindery.connection";

    private MqttServer? _server;

    /// <summary>The plain TCP port the broker listens on (the chosen one when configured as 0); 0 when off.</summary>
    public int Port { get; private set; }

    /// <summary>The TLS port the broker listens on; 0 when TLS is off.</summary>
    public int TlsPort { get; private set; }

    /// <summary>Starts before the HTTP server listens (after the store is migrated, <c>Startup</c> being registered first).</summary>
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }
        if (!IPAddress.TryParse(settings.BindAddress, out var address))
        {
            throw new InvalidOperationException($"Mqtt:BindAddress must be an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::), not '{settings.BindAddress}'");
        }
        var ipv6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var builder = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(settings.Port)
            .WithDefaultEndpointBoundIPAddress(ipv6 ? IPAddress.None : address)
            .WithDefaultEndpointBoundIPV6Address(ipv6 ? address : IPAddress.None);
        var certificate = LoadCertificate(settings.Tls);
        if (certificate is not null)
        {
            builder = builder
                .WithEncryptedEndpoint()
                .WithEncryptedEndpointPort(settings.TlsPort)
                .WithEncryptedEndpointBoundIPAddress(ipv6 ? IPAddress.None : address)
                .WithEncryptedEndpointBoundIPV6Address(ipv6 ? address : IPAddress.None)
                .WithEncryptionCertificate(certificate)
                .WithEncryptionSslProtocol(SslProtocols.Tls12 | SslProtocols.Tls13);
        }
        var serverOptions = builder.Build();
        var server = new MqttServerFactory().CreateMqttServer(serverOptions);
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
        // Pushes (PushDelivery): where each device is connected, when it is ready, what it acknowledged.
        server.ClientConnectedAsync += ClientConnectedAsync;
        server.ClientSubscribedTopicAsync += ClientSubscribedTopicAsync;
        server.ClientDisconnectedAsync += ClientDisconnectedAsync;
        server.ClientAcknowledgedPublishPacketAsync += ClientAcknowledgedPublishPacketAsync;
        try
        {
            await server.StartAsync();
        }
        catch (SocketException e)
        {
            server.Dispose();
            var where = certificate is null ? $"{address} port {settings.Port}" : $"{address} port {settings.Port} / TLS port {settings.TlsPort}";
            var reason = e.SocketErrorCode.ToString();
            if (logger.IsEnabled(LogLevel.Critical))
            {
                logger.LogCritical("MQTT: cannot listen on {Where}: {Reason}. Set Mqtt:Port / Mqtt:TlsPort (Mqtt__Port) to a free port, or Mqtt:Enabled=false.",
                    where, reason);
            }
            throw new InvalidOperationException($"MQTT: cannot listen on {where}: {reason}", e);
        }
        _server = server;
        Port = serverOptions.DefaultEndpointOptions.Port;
        TlsPort = certificate is null ? 0 : serverOptions.TlsEndpointOptions.Port;
        if (logger.IsEnabled(LogLevel.Information))
        {
            // ServerProcess (tests, benchmark) reads the port from this line when it configured port 0.
            var listening = certificate is null
                ? $"{address} port {Port} (no TLS: Mqtt:Tls:CertificatePath not set)"
                : $"{address} port {Port}, TLS port {TlsPort}";
            logger.LogInformation("MQTT broker listening on {Listening}", listening);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync();
            server.Dispose();
            await connections.ForgetNodeAsync();
        }
    }

    /// <summary>
    /// Publishes <paramref name="payload"/> with QoS 1 on the device's down topic of <paramref name="type"/> when the
    /// device is connected to this broker; false when it is not (or the broker is off).
    /// </summary>
    public async Task<bool> PublishToDeviceAsync(string pk, string dk, string type, string payload, CancellationToken cancellationToken)
    {
        if (_server is not { } server)
        {
            return false;
        }
        var device = new AuthenticatedDevice(pk, dk);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(MqttTopics.Down(device, type))
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = ServerClientId }, cancellationToken);
        return true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        _server = null;
        return ValueTask.CompletedTask;
    }

    private static X509Certificate2? LoadCertificate(MqttTlsOptions tls)
    {
        if (string.IsNullOrWhiteSpace(tls.CertificatePath))
        {
            return null;
        }
        var path = Path.GetFullPath(tls.CertificatePath);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".pfx" or ".p12")
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, tls.Password);
        }
        var keyPath = string.IsNullOrWhiteSpace(tls.KeyPath) ? null : Path.GetFullPath(tls.KeyPath);
        return string.IsNullOrEmpty(tls.Password)
            ? X509Certificate2.CreateFromPemFile(path, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, tls.Password, keyPath);
    }

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        AuthenticatedDevice? device;
        try
        {
            var remote = (e.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "unknown";
            device = await auth.AuthenticateAsync(e.ClientId, e.UserName, e.RawPassword, remote);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            logger.LogError(failure, "MQTT: a connect could not be checked");
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
            return;
        }
        if (device is null)
        {
            // One answer for every refusal (MQTT 3.1.1: return code 4, bad user name or password).
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            return;
        }
        e.SessionItems[DeviceItem] = device;
    }

    private async Task ClientConnectedAsync(ClientConnectedEventArgs e)
    {
        if (DeviceOf(e.SessionItems) is { } device)
        {
            var connId = Protocol.Secrets.NewId();
            e.SessionItems[ConnectionItem] = connId;
            await connections.ConnectedAsync(device, connId);
        }
    }

    private async Task ClientSubscribedTopicAsync(ClientSubscribedTopicEventArgs e)
    {
        if (DeviceOf(e.SessionItems) is { } device && e.SessionItems[ConnectionItem] is string connId
            && MqttTopics.ReceivesServiceDown(device, e.TopicFilter.Topic))
        {
            await connections.SubscribedAsync(device, connId, e.TopicFilter.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce);
        }
    }

    private async Task ClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        if (DeviceOf(e.SessionItems) is { } device && e.SessionItems[ConnectionItem] is string connId)
        {
            await connections.DisconnectedAsync(device, connId);
        }
    }

    private async Task ClientAcknowledgedPublishPacketAsync(ClientAcknowledgedPublishPacketEventArgs e)
    {
        if (DeviceOf(e.SessionItems) is { } device)
        {
            await connections.AcknowledgedAsync(device, e.PublishPacket.Topic, e.PublishPacket.Payload);
        }
    }

    private static AuthenticatedDevice? DeviceOf(System.Collections.IDictionary? items) =>
        items?[DeviceItem] as AuthenticatedDevice;

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var device = DeviceOf(e.SessionItems);
        if (device is null || !MqttTopics.MaySubscribe(device, e.TopicFilter.Topic))
        {
            // MQTT 3.1.1: SUBACK return code 0x80 (failure); the connection stays.
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        }
        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        var device = DeviceOf(e.SessionItems);
        if (device is null)
        {
            // Bindery's own replies are routed; anything else without a device is not.
            e.ProcessPublish = e.ClientId == ServerClientId;
            return;
        }
        // A device's publish is never routed to another client: the broker only carries Bindery <-> device.
        e.ProcessPublish = false;
        var kind = MqttTopics.ClassifyPublish(device, e.ApplicationMessage.Topic);
        if (kind is not (UpTopic.Service or UpTopic.Bindery or UpTopic.Gateway))
        {
            if (kind == UpTopic.Foreign && logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("MQTT: dropped a publish of {Pk}/{Dk} outside its own topics", device.Pk, device.Dk);
            }
            return;
        }
        var payload = e.ApplicationMessage.Payload;
        var oversize = payload.Length > options.Value.MaxPayloadBytes;
        var bytes = oversize ? [] : payload.ToArray();
        var reply = kind switch
        {
            UpTopic.Service => await messages.HandleServiceAsync(device, bytes, oversize),
            UpTopic.Gateway => await messages.HandleGatewayAsync(device, bytes, oversize),
            _ => await messages.HandleBinderyAsync(device, bytes, oversize),
        };
        if (reply is not null && _server is { } server)
        {
            var topic = kind switch
            {
                UpTopic.Service => MqttTopics.Down(device, MqttTopics.ServiceType),
                UpTopic.Gateway => MqttTopics.GatewayResult(device),
                _ => MqttTopics.Down(device, MqttTopics.BinderyType),
            };
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(reply)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = ServerClientId }, e.CancellationToken);
        }
    }
}
