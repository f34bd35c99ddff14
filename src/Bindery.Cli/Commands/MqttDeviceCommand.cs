using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Bindery.Protocol;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>mqtt-device --pk --dk [--token T | --binding-code C]</c>: the device over MQTT, as Tencent's C SDK or esp-qcloud
/// connects (docs/device-api.md, "Devices over MQTT"). It subscribes to <c>$thing/down/+/{pk}/{dk}</c>, reports the
/// app's bind token (<c>app_bind_token</c>) or, in Bindery's own protocol, a binding code (<c>report_binding_code</c>),
/// prints the reply, then prints every message that arrives (<c>bind_device</c>, <c>unbind_device</c>, …) until
/// <c>--wait</c> seconds pass, <c>--count</c> messages arrived, or Ctrl-C. Exit code 1 when the reply's code is not
/// success, or the broker refuses or cannot be reached. The secret and the password are never printed.
/// </summary>
public static class MqttDeviceCommand
{
    public const string PortVariable = "BINDERY_MQTT_PORT";
    public const string HostVariable = "BINDERY_MQTT_HOST";
    public const int DefaultPort = 1883;

    /// <summary>How long to wait for the reply to the report.</summary>
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var token = new Option<string>("--token", "-t") { Description = "Report this bind token from AppCreateDeviceBindToken (Tencent's app_bind_token)" };
        var bindingCode = new Option<string>("--binding-code")
        {
            Description = "Instead: report this binding code in Bindery's own protocol (report_binding_code, lifetime 600 s)",
        };
        var host = new Option<string>("--mqtt-host")
        {
            Description = $"The broker's host (default: ${HostVariable}, else the --server host; localhost means 127.0.0.1)",
        };
        var port = new Option<int?>("--mqtt-port") { Description = $"The broker's plain-TCP port (default: ${PortVariable} or {DefaultPort})" };
        var wait = new Option<int>("--wait", "-w")
        {
            Description = "Seconds to keep printing what arrives after the reply (default 40, esp-qcloud's wait for bind_device; 0: exit after the reply)",
            DefaultValueFactory = _ => 40,
        };
        var count = new Option<int>("--count") { Description = "Exit once this many messages arrived after the reply (default 0: no limit)" };
        var sha1 = new Option<bool>("--hmac-sha1") { Description = "Sign the password with HMAC-SHA1 (Tencent's C SDK) instead of HMAC-SHA256 (esp-qcloud)" };
        var command = new Command("mqtt-device",
            "Connect as a Tencent-protocol device over MQTT, report a bind token (or a binding code), print the reply and every bind_device / unbind_device that arrives")
        {
            token, bindingCode, host, port, wait, count, sha1,
        };
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output, cancellationToken) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            var bindToken = parse.GetValue(token);
            var code = parse.GetValue(bindingCode);
            if (bindToken is not null && code is not null)
            {
                throw new SimulatorException("give --token or --binding-code, not both");
            }
            var seconds = parse.GetValue(wait);
            var limit = parse.GetValue(count);
            if (seconds < 0 || limit < 0)
            {
                throw new SimulatorException("--wait and --count are 0 or more");
            }
            var brokerHost = BrokerHost(parse.GetValue(host), context.ServerUri(parse));
            var brokerPort = BrokerPort(parse.GetValue(port));
            TencentMqttLogin login;
            try
            {
                login = TencentMqttLogin.Of(identity, parse.GetValue(sha1));
            }
            catch (FormatException)
            {
                throw new SimulatorException("the device secret is not base64: such a device cannot connect over MQTT (docs/device-api.md)");
            }

            var received = Channel.CreateUnbounded<(string Topic, string Payload)>();
            using var client = new MqttClientFactory().CreateMqttClient();
            client.ApplicationMessageReceivedAsync += e =>
            {
                received.Writer.TryWrite((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload)));
                return Task.CompletedTask;
            };
            await ConnectAsync(client, login, brokerHost, brokerPort, cancellationToken);
            await output.WriteLineAsync($"connected to {brokerHost}:{brokerPort} as {login.ClientId} ({(parse.GetValue(sha1) ? "hmacsha1" : "hmacsha256")})");
            var filter = TencentMqttLogin.DownFilter(identity);
            var subscribed = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
            if (subscribed.Items.Any(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2))
            {
                throw new SimulatorException($"the broker refused the subscription to {filter}");
            }
            await output.WriteLineAsync($"subscribed to {filter}");

            var exit = 0;
            if (bindToken is not null || code is not null)
            {
                var clientToken = $"{identity.Dk}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}";
                var (type, method, request, success) = bindToken is not null
                    ? ("service", "app_bind_token", new JsonObject { ["method"] = "app_bind_token", ["clientToken"] = clientToken, ["params"] = new JsonObject { ["token"] = bindToken } }, 0)
                    : ("bindery", "report_binding_code", new JsonObject { ["method"] = "report_binding_code", ["clientToken"] = clientToken, ["params"] = new JsonObject { ["bindingCode"] = code, ["lifetime"] = 600 } }, 200);
                await client.PublishAsync(new MqttApplicationMessageBuilder()
                    .WithTopic(TencentMqttLogin.UpTopic(type, identity))
                    .WithPayload(request.ToJsonString())
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build(), cancellationToken);
                await output.WriteLineAsync($"sent {method} (clientToken {clientToken}) on {TencentMqttLogin.UpTopic(type, identity)}");
                var reply = await ReplyAsync(received.Reader, clientToken, output, cancellationToken);
                if (reply is null)
                {
                    throw new SimulatorException($"no {method}_reply within {ReplyTimeout.TotalSeconds:0} s");
                }
                if (reply.Value.Code != success)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"bindery-sim: {method} refused: code {reply.Value.Code}");
                    exit = 1;
                }
            }

            if (exit == 0 && seconds > 0)
            {
                await output.WriteLineAsync($"waiting {seconds} s for bind_device / unbind_device (Ctrl-C to stop)");
                var arrived = await PrintUntilAsync(received.Reader, TimeSpan.FromSeconds(seconds), limit, output, cancellationToken);
                await output.WriteLineAsync(arrived == 0 ? $"nothing more arrived within {seconds} s" : $"{arrived} message(s) arrived");
            }
            if (client.IsConnected)
            {
                await client.DisconnectAsync(cancellationToken: CancellationToken.None);
            }
            return exit;
        });
        return command;
    }

    /// <summary>--mqtt-host, else $BINDERY_MQTT_HOST, else the server's host (localhost → 127.0.0.1, where the broker listens by default).</summary>
    public static string BrokerHost(string? option, Uri server)
    {
        var text = option ?? Environment.GetEnvironmentVariable(HostVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            text = server.IdnHost;
        }
        text = text.Trim();
        return text.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" : text;
    }

    public static int BrokerPort(int? option)
    {
        if (option is { } given)
        {
            return given is > 0 and < 65536 ? given : throw new SimulatorException("--mqtt-port must be 1-65535");
        }
        var text = Environment.GetEnvironmentVariable(PortVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultPort;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new SimulatorException($"${PortVariable} must be a port number, not '{text}'");
    }

    private static async Task ConnectAsync(IMqttClient client, TencentMqttLogin login, string host, int port, CancellationToken cancellationToken)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(login.ClientId)
            .WithCredentials(login.Username, login.Password)
            .WithCleanSession(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(options, cancellationToken);
        }
        catch (MqttCommunicationException e)
        {
            throw new SimulatorException($"cannot reach the MQTT broker at {host}:{port} ({(e.InnerException as SocketException)?.SocketErrorCode.ToString() ?? e.Message}); is the server running with Mqtt:Enabled, and is this its Mqtt:Port (--mqtt-port)?");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SimulatorException($"the MQTT broker at {host}:{port} did not answer the connect within 10 s");
        }
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new SimulatorException(
                $"the broker refused the connection ({result.ResultCode}): unknown device, wrong device secret, or too many failed connects (the broker does not say which)");
        }
    }

    /// <summary>Prints what arrives until the reply carrying <paramref name="clientToken"/>; returns its code, or null after <see cref="ReplyTimeout"/>.</summary>
    private static async Task<(int Code, string Payload)?> ReplyAsync(ChannelReader<(string Topic, string Payload)> reader, string clientToken, TextWriter output, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReplyTimeout);
        try
        {
            while (true)
            {
                var (topic, payload) = await reader.ReadAsync(deadline.Token);
                await output.WriteLineAsync($"received on {topic}: {payload}");
                if (Parse(payload) is { } message
                    && message["clientToken"] is JsonValue echoed && echoed.ToJsonString().Trim('"') == clientToken
                    && message["code"] is JsonValue code && code.TryGetValue<int>(out var value))
                {
                    return (value, payload);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<int> PrintUntilAsync(ChannelReader<(string Topic, string Payload)> reader, TimeSpan wait, int limit, TextWriter output, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(wait);
        var arrived = 0;
        try
        {
            while (limit == 0 || arrived < limit)
            {
                var (topic, payload) = await reader.ReadAsync(deadline.Token);
                arrived++;
                await output.WriteLineAsync($"received on {topic}: {payload}");
            }
        }
        catch (OperationCanceledException)
        {
            // the wait is over, or Ctrl-C
        }
        return arrived;
    }

    private static JsonObject? Parse(string payload)
    {
        try
        {
            return JsonNode.Parse(payload) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
