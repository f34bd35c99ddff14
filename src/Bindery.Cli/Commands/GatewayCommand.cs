using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Bindery.Protocol;
using MQTTnet;
using MQTTnet.Protocol;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>gateway --pk --dk --sub PK,DK,SECRET [--sub …] [--remove] [--mqtt]</c>: the device plays a gateway that has
/// paired the given sub-devices and reports them (docs/device-api.md, "Gateway sub-devices"), each with the
/// sub-device's signature computed from its secret, over the device API (<c>POST /device/v1/sub-devices</c>) or,
/// with <c>--mqtt</c>, Tencent's <c>$gateway/operation</c> topic; <c>--remove</c> removes them instead. Prints each
/// sub-device's result and the app request that binds one. Exit code 1 when any sub-device was refused. Secrets and
/// signatures are never printed.
/// </summary>
public static class GatewayCommand
{
    private const string BindPath = "/v2/binding/enduserapi/bindGatewaySubDevice";

    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var subs = new Option<string[]>("--sub")
        {
            Description = "A sub-device the gateway paired: PK,DK,DEVICE_SECRET (repeat for several)",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var remove = new Option<bool>("--remove") { Description = "Remove these sub-devices instead (their bindings through this gateway end)" };
        var mqtt = new Option<bool>("--mqtt") { Description = "Report over MQTT ($gateway/operation/{pk}/{dk}, Tencent's gateway protocol) instead of HTTP" };
        var host = new Option<string>("--mqtt-host") { Description = "The broker's host (as mqtt-device)" };
        var port = new Option<int?>("--mqtt-port") { Description = "The broker's plain-TCP port (as mqtt-device)" };
        var command = new Command("gateway", "Play a gateway: report (or remove) the sub-devices it paired, each signed with the sub-device's secret")
        {
            subs, remove, mqtt, host, port,
        };
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output, cancellationToken) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            var devices = parse.GetRequiredValue(subs).Select(ParseSub).ToList();
            var removing = parse.GetValue(remove);
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            int[] results;
            if (parse.GetValue(mqtt))
            {
                results = await OverMqttAsync(identity, devices, removing, now, MqttDeviceCommand.BrokerHost(parse.GetValue(host), context.ServerUri(parse)),
                    MqttDeviceCommand.BrokerPort(parse.GetValue(port)), output, cancellationToken);
            }
            else
            {
                using var http = context.CreateHttpClient(parse);
                var body = new
                {
                    devices = devices.Select(d => removing ? (object)new { pk = d.Pk, dk = d.Dk } : SignedClaim(d, now)).ToArray(),
                };
                var data = await new DeviceApiClient(http, identity).SendAsync(HttpMethod.Post,
                    DeviceApiRoutes.Prefix + (removing ? "/sub-devices/remove" : "/sub-devices"), body);
                results = data.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("result").GetInt32()).ToArray();
                foreach (var (d, i) in data.GetProperty("devices").EnumerateArray().Select((d, i) => (d, i)))
                {
                    await output.WriteLineAsync($"{devices[i].Pk} / {devices[i].Dk}: result {d.GetProperty("result").GetInt32()} ({d.GetProperty("msg").GetString()})");
                }
            }
            if (!removing && results.Any(r => r == 0))
            {
                var first = devices[Array.IndexOf(results, 0)];
                await output.WriteLineAsync("Bind a sub-device as the gateway's holder (TOKEN=$(bindery-sim login --demo --print-token); add &fid=… in home mode):");
                await output.WriteLineAsync($"curl -sS -X POST -H \"Authorization: $TOKEN\" '{context.ServerText(parse)}{BindPath}?gatewayPk={Uri.EscapeDataString(identity.Pk)}&gatewayDk={Uri.EscapeDataString(identity.Dk)}&pk={Uri.EscapeDataString(first.Pk)}&dk={Uri.EscapeDataString(first.Dk)}'");
            }
            return results.All(r => r == 0) ? 0 : 1;
        });
        return command;
    }

    private static DeviceIdentity ParseSub(string text)
    {
        var parts = text.Split(',', 3);
        return parts.Length == 3 && parts.All(p => p.Length > 0)
            ? new DeviceIdentity(parts[0].Trim(), parts[1].Trim(), parts[2])
            : throw new SimulatorException($"--sub is PK,DK,DEVICE_SECRET, not '{text}'");
    }

    private static object SignedClaim(DeviceIdentity sub, long now)
    {
        var random = RandomNumberGenerator.GetInt32(1, int.MaxValue);
        return new
        {
            pk = sub.Pk,
            dk = sub.Dk,
            random,
            timestamp = now,
            signMethod = SubDeviceSignature.HmacSha256,
            signature = SubDeviceSignature.Compute(sub.DeviceSecret, sub.Pk, sub.Dk, random, now),
        };
    }

    private static async Task<int[]> OverMqttAsync(DeviceIdentity gateway, List<DeviceIdentity> devices, bool removing, long now, string host, int port,
        TextWriter output, CancellationToken cancellationToken)
    {
        TencentMqttLogin login;
        try
        {
            login = TencentMqttLogin.Of(gateway);
        }
        catch (FormatException)
        {
            throw new SimulatorException("the gateway's device secret is not base64: such a device cannot connect over MQTT (docs/device-api.md)");
        }
        var received = Channel.CreateUnbounded<string>();
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            received.Writer.TryWrite(Encoding.UTF8.GetString(e.ApplicationMessage.Payload));
            return Task.CompletedTask;
        };
        var connected = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(host, port).WithClientId(login.ClientId)
            .WithCredentials(login.Username, login.Password).WithCleanSession(true).WithTimeout(TimeSpan.FromSeconds(10)).Build(), cancellationToken);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new SimulatorException($"the broker refused the connection ({connected.ResultCode})");
        }
        var resultTopic = $"$gateway/operation/result/{gateway.Pk}/{gateway.Dk}";
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(resultTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
        var type = removing ? "unbind" : "bind";
        var entries = new JsonArray(devices.Select(d =>
        {
            var entry = new JsonObject { ["product_id"] = d.Pk, ["device_name"] = d.Dk };
            if (!removing)
            {
                var random = RandomNumberGenerator.GetInt32(1, int.MaxValue);
                entry["signature"] = SubDeviceSignature.Compute(d.DeviceSecret, d.Pk, d.Dk, random, now);
                entry["random"] = random;
                entry["timestamp"] = now;
                entry["signmethod"] = SubDeviceSignature.HmacSha256;
                entry["authtype"] = "psk";
            }
            return (JsonNode)entry;
        }).ToArray());
        var message = new JsonObject { ["type"] = type, ["payload"] = new JsonObject { ["devices"] = entries } };
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"$gateway/operation/{gateway.Pk}/{gateway.Dk}")
            .WithPayload(message.ToJsonString()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var payload = await received.Reader.ReadAsync(deadline.Token);
                await output.WriteLineAsync($"received on {resultTopic}: {payload}");
                if (JsonNode.Parse(payload) is JsonObject reply && reply["type"]?.GetValue<string>() == type)
                {
                    await client.DisconnectAsync(cancellationToken: CancellationToken.None);
                    if (reply["result"] is JsonValue top)
                    {
                        return [top.GetValue<int>()];
                    }
                    return reply["payload"]?["devices"]?.AsArray().Select(d => d?["result"]?.GetValue<int>() ?? -1).ToArray() ?? [-1];
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SimulatorException("no answer on the gateway's result topic within 10 s");
        }
        catch (JsonException)
        {
            throw new SimulatorException("the answer was not JSON");
        }
    }
}
