using System.Text.Json;
using System.Text.Json.Nodes;
using Bindery.Devices;
using Bindery.Infrastructure;

namespace Bindery.Gateways;

/// <summary>
/// The MQTT adapter over <see cref="GatewayReports"/>, in Tencent's gateway topology protocol: a gateway publishes on
/// <c>$gateway/operation/{pk}/{dk}</c> a message <c>{"type":"bind"|"unbind"|"describe_sub_devices","payload":{"devices":[…]}}</c>
/// (each bind entry <c>product_id</c>, <c>device_name</c>, <c>random</c>, <c>timestamp</c>, <c>signmethod</c>,
/// <c>signature</c>, <c>authtype</c>) and gets the answer on <c>$gateway/operation/result/{pk}/{dk}</c>: the same
/// <c>type</c>, and per sub-device <c>result</c> 0 or the refusal's catalogue code (docs/device-api.md). A message that
/// cannot be read is answered with <c>result</c> and <c>msg</c> at the top level, never thrown at the broker.
/// </summary>
public sealed class GatewayMqtt(GatewayReports reports, ILogger<GatewayMqtt> logger)
{
    public const string Bind = "bind";
    public const string Unbind = "unbind";
    public const string Describe = "describe_sub_devices";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    public async Task<byte[]> HandleAsync(AuthenticatedDevice gateway, byte[] payload, bool oversize)
    {
        string? type = null;
        try
        {
            if (oversize)
            {
                throw new BinderyException(Errors.RequestTooLarge);
            }
            using var document = JsonDocument.Parse(payload, DocumentOptions);
            var root = document.RootElement;
            type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            switch (type)
            {
                case Bind:
                    return Outcomes(type, await reports.PairAsync(gateway, Claims(root)));
                case Unbind:
                    return Outcomes(type, await reports.RemoveAsync(gateway, Claims(root)));
                case Describe:
                    var list = await reports.ListAsync(gateway);
                    return Reply(type, list.Devices.Select(d => new JsonObject { ["product_id"] = d.Pk, ["device_name"] = d.Dk }), null);
                default:
                    throw new BinderyException(Errors.UnsupportedOperation, $"type is {Bind}, {Unbind} or {Describe}");
            }
        }
        catch (BinderyException refused)
        {
            return Reply(type, [], refused);
        }
        catch (JsonException)
        {
            return Reply(type, [], new BinderyException(Errors.InvalidParameter, "the message is not JSON of the documented shape"));
        }
        catch (Exception unexpected) when (unexpected is not OperationCanceledException)
        {
            logger.LogError(unexpected, "MQTT: gateway operation {Type} from {Pk}/{Dk} failed", type, gateway.Pk, gateway.Dk);
            return Reply(type, [], new BinderyException(Errors.InternalError));
        }
    }

    private static List<GatewayReports.Claim> Claims(JsonElement root)
    {
        if (!root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object
            || !payload.TryGetProperty("devices", out var devices) || devices.ValueKind != JsonValueKind.Array)
        {
            throw new BinderyException(Errors.InvalidParameter, "payload.devices is required");
        }
        return devices.EnumerateArray().Select(d => d.ValueKind != JsonValueKind.Object
            ? new GatewayReports.Claim(null, null, null, null, null, null)
            : new GatewayReports.Claim(Text(d, "product_id"), Text(d, "device_name"), Number(d, "random"), Number(d, "timestamp"),
                Text(d, "signmethod"), Text(d, "signature"))).ToList();
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A number, or a string of digits (SDKs differ).</summary>
    private static long? Number(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n
        : v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s
        : null;

    private static byte[] Outcomes(string type, GatewayReports.Outcomes outcomes) =>
        Reply(type, outcomes.Devices.Select(o => new JsonObject
        {
            ["product_id"] = o.Pk,
            ["device_name"] = o.Dk,
            ["result"] = o.Result,
            ["msg"] = o.Msg,
        }), null);

    private static byte[] Reply(string? type, IEnumerable<JsonObject> devices, BinderyException? error)
    {
        var reply = new JsonObject();
        if (type is not null)
        {
            reply["type"] = type;
        }
        if (error is not null)
        {
            reply["result"] = error.Error.Code;
            reply["msg"] = error.Detail ?? error.Error.English;
        }
        reply["payload"] = new JsonObject { ["devices"] = new JsonArray(devices.Cast<JsonNode>().ToArray()) };
        return JsonSerializer.SerializeToUtf8Bytes(reply);
    }
}
