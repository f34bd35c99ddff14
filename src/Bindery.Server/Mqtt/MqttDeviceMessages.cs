using System.Text.Json;
using System.Text.Json.Nodes;
using Bindery.Devices;
using Bindery.Infrastructure;

namespace Bindery.Mqtt;

/// <summary>
/// The MQTT adapter over <see cref="DeviceReports"/>, as <see cref="DeviceApiEndpoints"/> is the HTTP one: reads a
/// device's message, runs the operation and writes the reply (docs/device-api.md, "Devices over MQTT"). Two
/// dialects: Tencent's service messages (<c>app_bind_token</c>, <c>unbind_device_request</c>; replies carry
/// <c>code</c> 0 / <c>status</c> "success", or a catalogue code and its message) and Bindery's own protocol (one
/// method per device API operation; replies carry the device API's <c>code</c> 200 / <c>msg</c> / <c>extMsg</c> /
/// <c>data</c>). A message that cannot be read is answered, never thrown at the broker.
/// </summary>
public sealed class MqttDeviceMessages(DeviceReports reports, Observability.BinderyMetrics metrics, ILogger<MqttDeviceMessages> logger,
    Gateways.GatewayMqtt gateways)
{
    /// <summary>A message on <c>$gateway/operation/{pk}/{dk}</c> (Tencent's gateway topology); the reply for <c>$gateway/operation/result/{pk}/{dk}</c>.</summary>
    public Task<byte[]?> HandleGatewayAsync(AuthenticatedDevice device, byte[] payload, bool oversize = false) =>
        gateways.HandleAsync(device, payload, oversize)!;

    public const string AppBindToken = "app_bind_token";
    public const string UnbindDeviceRequest = "unbind_device_request";
    public const string ReplySuffix = "_reply";

    /// <summary>Bindery's own methods, one per device API operation.</summary>
    public static class Methods
    {
        public const string ReportBindingCode = "report_binding_code";
        public const string ReportBindingSecret = "report_binding_secret";
        public const string Reset = "reset";
        public const string VerifyAuthKey = "verify_auth_key";
        public const string OpenPairingWindow = "open_pairing_window";
        public const string ReportBindToken = "report_bind_token";
        public const string GetBindingState = "get_binding_state";
    }

    private const int MaxClientTokenLength = 256;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { MaxDepth = 16 };

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    /// <summary>A message read far enough to know what it asks.</summary>
    private sealed record Request(string? Method, JsonNode? ClientToken, JsonElement Params, JsonElement Root);

    /// <summary>
    /// A message on <c>$thing/up/service/{pk}/{dk}</c>; the reply for <c>$thing/down/service/{pk}/{dk}</c>, or null
    /// for a message that needs none (a device's own <c>…_reply</c>).
    /// </summary>
    public async Task<byte[]?> HandleServiceAsync(AuthenticatedDevice device, byte[] payload, bool oversize = false)
    {
        if (!TryRead(payload, oversize, out var request, out var unreadable))
        {
            return TencentReply(request?.Method, request?.ClientToken, unreadable);
        }
        if (request!.Method!.EndsWith(ReplySuffix, StringComparison.Ordinal))
        {
            return null;
        }
        var error = await RunAsync(device, request.Method, async () =>
        {
            switch (request.Method)
            {
                case AppBindToken:
                    await reports.ReportBindTokenAsync(device, StringParam(request.Params, "token"));
                    return null;
                case UnbindDeviceRequest:
                    if (!Names(request.Root, device))
                    {
                        throw new BinderyException(Errors.InvalidParameterValue, "productId and deviceName must be the connected device's");
                    }
                    await reports.ResetAsync(device);
                    return null;
                default:
                    throw new BinderyException(Errors.UnsupportedOperation, $"method is {AppBindToken} or {UnbindDeviceRequest}");
            }
        });
        return TencentReply(request.Method, request.ClientToken, error);
    }

    /// <summary>A message on <c>$thing/up/bindery/{pk}/{dk}</c>; the reply for <c>$thing/down/bindery/{pk}/{dk}</c>, or null for a device's own <c>…_reply</c>.</summary>
    public async Task<byte[]?> HandleBinderyAsync(AuthenticatedDevice device, byte[] payload, bool oversize = false)
    {
        if (!TryRead(payload, oversize, out var request, out var unreadable))
        {
            return BinderyReply(request?.Method, request?.ClientToken, unreadable, null);
        }
        if (request!.Method!.EndsWith(ReplySuffix, StringComparison.Ordinal))
        {
            return null;
        }
        object? data = null;
        var error = await RunAsync(device, request.Method, async () => data = request.Method switch
        {
            Methods.ReportBindingCode => await ReportCodeAsync(device, Body<DeviceApiEndpoints.BindingCodeBody>(request.Params)),
            Methods.ReportBindingSecret => await reports.ReportBindingSecretAsync(device, Body<DeviceApiEndpoints.BindingSecretBody>(request.Params).BindingSecret),
            Methods.Reset => await reports.ResetAsync(device),
            Methods.VerifyAuthKey => await reports.VerifyAuthKeyAsync(device, Body<DeviceApiEndpoints.AuthKeyBody>(request.Params).AuthKey),
            Methods.OpenPairingWindow => await reports.OpenPairingWindowAsync(device, Body<DeviceApiEndpoints.PairingWindowBody>(request.Params).Seconds),
            Methods.ReportBindToken => await reports.ReportBindTokenAsync(device, Body<DeviceApiEndpoints.BindTokenBody>(request.Params).Token),
            Methods.GetBindingState => await reports.StateAsync(device),
            _ => throw new BinderyException(Errors.UnsupportedOperation,
                $"method is one of {Methods.ReportBindingCode}, {Methods.ReportBindingSecret}, {Methods.Reset}, {Methods.VerifyAuthKey}, {Methods.OpenPairingWindow}, {Methods.ReportBindToken}, {Methods.GetBindingState}"),
        });
        return BinderyReply(request.Method, request.ClientToken, error, data);
    }

    private async Task<object> ReportCodeAsync(AuthenticatedDevice device, DeviceApiEndpoints.BindingCodeBody body) =>
        await reports.ReportBindingCodeAsync(device, body.BindingCode, body.Lifetime);

    /// <summary>Runs an operation; its refusal (or an unexpected failure, as 9009) as a <see cref="BinderyException"/>, null on success.</summary>
    private async Task<BinderyException?> RunAsync(AuthenticatedDevice device, string? method, Func<Task<object?>> operation)
    {
        var refusal = await TryRunAsync(device, method, operation);
        metrics.MqttDeviceMessage(method, refusal?.Error);
        return refusal;
    }

    private async Task<BinderyException?> TryRunAsync(AuthenticatedDevice device, string? method, Func<Task<object?>> operation)
    {
        try
        {
            await operation();
            return null;
        }
        catch (BinderyException refused)
        {
            return refused;
        }
        catch (JsonException)
        {
            return new BinderyException(Errors.InvalidParameter, "params do not have the documented shape");
        }
        catch (Exception unexpected) when (unexpected is not OperationCanceledException)
        {
            logger.LogError(unexpected, "MQTT: {Method} from {Pk}/{Dk} failed", method, device.Pk, device.Dk);
            return new BinderyException(Errors.InternalError);
        }
    }

    /// <summary>
    /// Reads a message: its method, its clientToken (a string or number of at most 256 characters, echoed as sent) and
    /// its params. False with the refusal when it cannot be acted on; <paramref name="request"/> then still carries
    /// whatever clientToken could be read, so the refusal reaches the right waiter.
    /// </summary>
    private static bool TryRead(byte[] payload, bool oversize, out Request? request, out BinderyException? unreadable)
    {
        request = null;
        unreadable = null;
        if (oversize)
        {
            unreadable = new BinderyException(Errors.RequestTooLarge);
            return false;
        }
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(payload, DocumentOptions);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            unreadable = new BinderyException(Errors.InvalidParameter, "the message is not JSON");
            return false;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            unreadable = new BinderyException(Errors.InvalidParameter, "the message is not a JSON object");
            return false;
        }
        var method = root.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        var clientToken = root.TryGetProperty("clientToken", out var t) && IsEchoable(t) ? JsonNode.Parse(t.GetRawText()) : null;
        var parameters = root.TryGetProperty("params", out var p) ? p : default;
        request = new Request(method, clientToken, parameters, root);
        if (string.IsNullOrEmpty(method))
        {
            unreadable = new BinderyException(Errors.InvalidParameter, "method is required");
            return false;
        }
        return true;
    }

    private static bool IsEchoable(JsonElement token) => token.ValueKind switch
    {
        JsonValueKind.String => token.GetString()!.Length <= MaxClientTokenLength,
        JsonValueKind.Number => token.GetRawText().Length <= MaxClientTokenLength,
        _ => false,
    };

    private static string? StringParam(JsonElement parameters, string name) =>
        parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw new BinderyException(Errors.InvalidParameter, $"params.{name} must be a string")
            : null;

    /// <summary>The params as the device API's body of the same operation (absent params read as <c>{}</c>).</summary>
    private static T Body<T>(JsonElement parameters) where T : new() => parameters.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => new T(),
        JsonValueKind.Object => parameters.Deserialize<T>(Json) ?? new T(),
        _ => throw new BinderyException(Errors.InvalidParameter, "params must be a JSON object"),
    };

    /// <summary>Tencent's unbind request may name the device; when it does, it must name this one.</summary>
    private static bool Names(JsonElement root, AuthenticatedDevice device) =>
        Matches(root, "productId", device.Pk) && Matches(root, "deviceName", device.Dk);

    private static bool Matches(JsonElement root, string name, string expected) =>
        !root.TryGetProperty(name, out var value) || (value.ValueKind == JsonValueKind.String && value.GetString() == expected);

    /// <summary>Tencent's naming: <c>unbind_device_request</c> → <c>unbind_device_reply</c>, <c>app_bind_token</c> → <c>app_bind_token_reply</c>.</summary>
    public static string ReplyMethod(string method) =>
        method.EndsWith("_request", StringComparison.Ordinal) ? method[..^"_request".Length] + ReplySuffix : method + ReplySuffix;

    private static byte[] TencentReply(string? method, JsonNode? clientToken, BinderyException? error)
    {
        var reply = new JsonObject();
        if (method is not null)
        {
            reply["method"] = ReplyMethod(method);
        }
        if (clientToken is not null)
        {
            reply["clientToken"] = clientToken.DeepClone();
        }
        reply["code"] = error?.Error.Code ?? 0;
        reply["status"] = error?.Error.English ?? "success";
        if (error?.Detail is { } detail)
        {
            reply["extMsg"] = detail;
        }
        return JsonSerializer.SerializeToUtf8Bytes(reply, Json);
    }

    private static byte[] BinderyReply(string? method, JsonNode? clientToken, BinderyException? error, object? data)
    {
        var reply = new JsonObject();
        if (method is not null)
        {
            reply["method"] = ReplyMethod(method);
        }
        if (clientToken is not null)
        {
            reply["clientToken"] = clientToken.DeepClone();
        }
        reply["code"] = error?.Error.Code ?? Envelope.SuccessCode;
        reply["msg"] = error?.Error.English ?? "success";
        reply["extMsg"] = error?.Detail ?? "";
        reply["data"] = error is null && data is not null ? JsonSerializer.SerializeToNode(data, data.GetType(), Json) : null;
        return JsonSerializer.SerializeToUtf8Bytes(reply, Json);
    }
}
