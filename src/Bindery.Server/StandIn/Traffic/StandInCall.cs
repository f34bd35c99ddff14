using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Tencent;
using Microsoft.AspNetCore.WebUtilities;

namespace Bindery.StandIn;

/// <summary>The three APIs whose traffic the stand-in mode's faults and journal see, as rules and queries name them.</summary>
public static class StandInDialects
{
    /// <summary>The Quectel-style app API (<c>/v2/…</c>, the <see cref="ErrorEnvelopes.Quectel"/> envelope).</summary>
    public const string Quectel = "quectel";

    /// <summary>The Tencent-style action API (<c>/api/exploreropen</c>, <c>/api/studioapp</c>).</summary>
    public const string Tencent = "tencent";

    /// <summary>The device API (<c>/device/v1</c>).</summary>
    public const string Device = "device";

    public static readonly IReadOnlyList<string> All = [Quectel, Tencent, Device];

    /// <summary>The dialect of a request: the envelope its endpoint declares, else the one declared for its path; null for any other API.</summary>
    public static string? Of(HttpContext context)
    {
        var envelope = context.GetEndpoint()?.Metadata.GetMetadata<ErrorEnvelope>()
            ?? context.RequestServices.GetService<ErrorEnvelopeTable>()?.Find(context.Request.Path);
        if (ReferenceEquals(envelope, ErrorEnvelopes.Quectel))
        {
            return Quectel;
        }
        if (ReferenceEquals(envelope, ErrorEnvelopes.Tencent))
        {
            return Tencent;
        }
        return ReferenceEquals(envelope, ErrorEnvelopes.Device) ? Device : null;
    }

    /// <summary>The dialect name as written, or null when it names none (any case accepted).</summary>
    public static string? Parse(string? name) =>
        All.FirstOrDefault(d => string.Equals(d, name?.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// One request of the app or device APIs as the stand-in mode sees it, read once before the handler runs: who and
/// what it names, and its parameters with every secret already masked (<see cref="SecretMask"/>). The user is the
/// one the request's session token names (looked up like the endpoints do, never kept: only the user id is);
/// the device is the pk/dk the request names (<c>pk</c>/<c>dk</c> parameters, Tencent <c>ProductId</c>/<c>DeviceName</c>,
/// the device API's <c>X-Bindery-Pk</c>/<c>-Dk</c> headers), whether or not it authenticates.
/// </summary>
public sealed record StandInCall(
    string Dialect,
    string Method,
    string Path,
    string? Action,
    string? UserId,
    string? DomainId,
    string? Pk,
    string? Dk,
    JsonObject Parameters)
{
    private static readonly object ItemKey = new();

    /// <summary>The call read earlier in this request, if the stand-in mode read one.</summary>
    public static StandInCall? Of(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var value) ? value as StandInCall : null;

    /// <summary>
    /// Reads the call of <paramref name="context"/>: the body is buffered (at most <paramref name="maxBodyBytes"/>
    /// are looked at; the endpoint still reads all of it) and rewound. A Tencent RequestId is remembered so an
    /// answer written before the handler runs (a fault) echoes it.
    /// </summary>
    public static async Task<StandInCall> ReadAsync(HttpContext context, string dialect, int maxBodyBytes)
    {
        var request = context.Request;
        var parameters = new JsonObject();
        foreach (var (name, values) in request.Query)
        {
            parameters[name] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
        }
        var body = await ReadBodyAsync(request, maxBodyBytes);
        if (body.Node is JsonObject bodyObject)
        {
            foreach (var (name, value) in bodyObject.ToList())
            {
                bodyObject.Remove(name);
                parameters[name] = value;
            }
        }
        else if (body.Node is not null)
        {
            parameters["(body)"] = body.Node;
        }
        else if (body.Note is not null)
        {
            parameters["(body)"] = body.Note;
        }

        string? action = null, userId = null, domainId = null, pk, dk, token;
        switch (dialect)
        {
            case StandInDialects.Tencent:
                action = Text(parameters, "Action") ?? request.RouteValues["action"] as string;
                if (Text(parameters, "RequestId") is { Length: > 0 and <= 128 } requestId)
                {
                    TencentEnvelope.SetRequestId(context, requestId.Trim());
                }
                pk = Text(parameters, "ProductId");
                dk = Text(parameters, "DeviceName");
                if (pk is null && Text(parameters, "DeviceId") is { } deviceId && deviceId.Split('/') is [var p, var d])
                {
                    (pk, dk) = (p, d);
                }
                token = Text(parameters, "AccessToken");
                break;
            case StandInDialects.Device:
                pk = NonEmpty(request.Headers[DeviceSignature.PkHeader].ToString());
                dk = NonEmpty(request.Headers[DeviceSignature.DkHeader].ToString());
                token = null;
                break;
            default:
                pk = Text(parameters, "pk") ?? Text(parameters, "productKey");
                dk = Text(parameters, "dk") ?? Text(parameters, "deviceKey");
                token = UserSessions.ReadBearer(context);
                break;
        }
        if (!string.IsNullOrWhiteSpace(token))
        {
            try
            {
                var user = await context.RequestServices.GetRequiredService<UserSessions>().AuthenticateAsync(token);
                (userId, domainId) = (user.Id, user.DomainId);
            }
            catch (BinderyException)
            {
                // Not a session (expired, unknown, logged out): the call names no user.
            }
        }
        SecretMask.Mask(parameters);
        var call = new StandInCall(dialect, request.Method, request.Path.Value ?? "", action?.Trim(), userId, domainId, pk, dk, parameters);
        context.Items[ItemKey] = call;
        return call;
    }

    private static string? NonEmpty(string text) => text.Length == 0 ? null : text;

    /// <summary>A string parameter, its name matched without regard to case (as the APIs read them).</summary>
    private static string? Text(JsonObject parameters, string name)
    {
        foreach (var (key, value) in parameters)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value is JsonValue n ? n.ToJsonString() : null;
            }
        }
        return null;
    }

    private static async Task<(JsonNode? Node, string? Note)> ReadBodyAsync(HttpRequest request, int maxBodyBytes)
    {
        if (request.ContentLength == 0 || !(request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0))
        {
            return (null, null);
        }
        request.EnableBuffering();
        var buffer = new byte[maxBodyBytes + 1];
        var length = 0;
        int read;
        try
        {
            while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted)) > 0)
            {
                length += read;
            }
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // The endpoint meets the same failure and answers it in its envelope; the journal keeps no body.
            request.Body.Position = 0;
            return (null, "(a body that could not be read)");
        }
        request.Body.Position = 0;
        if (length > maxBodyBytes)
        {
            return (null, $"(a body of more than {maxBodyBytes} bytes, not kept)");
        }
        var bytes = buffer.AsSpan(0, length);
        var contentType = request.ContentType ?? "";
        if (contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            var form = new JsonObject();
            foreach (var (name, values) in QueryHelpers.ParseQuery(Encoding.UTF8.GetString(bytes)))
            {
                form[name] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
            }
            return (form, null);
        }
        try
        {
            return (JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }), null);
        }
        catch (JsonException)
        {
            // Never the raw text: an unreadable body may still hold a secret.
            return (null, $"(a body of {length} bytes that is not JSON or a form, not kept)");
        }
    }
}

/// <summary>
/// Masks secrets in kept request parameters and answers: every field whose name <see cref="LogRedaction.IsSecretName"/>
/// calls secret (the one list), at any depth, becomes <see cref="Masked"/>, whatever its value. An answer's envelope
/// keeps its own <c>code</c> (the numeric answer code) and <c>Error.Code</c> (the Tencent error code), which are
/// catalogued codes, not secrets.
/// </summary>
public static class SecretMask
{
    public const string Masked = "***";

    /// <summary>Masks <paramref name="node"/> in place (a request's parameters).</summary>
    public static void Mask(JsonNode? node) => Mask(node, answer: false, depth: 0, parentName: null);

    /// <summary>Masks an answer body in place, keeping the envelope's own codes.</summary>
    public static void MaskAnswer(JsonNode? node) => Mask(node, answer: true, depth: 0, parentName: null);

    private static void Mask(JsonNode? node, bool answer, int depth, string? parentName)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (LogRedaction.IsSecretName(name) && !IsEnvelopeCode(answer, depth, parentName, name, value))
                    {
                        obj[name] = Masked;
                    }
                    else
                    {
                        Mask(value, answer, depth + 1, name);
                    }
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Mask(item, answer, depth + 1, parentName);
                }
                break;
        }
    }

    /// <summary>The answer's top-level numeric <c>code</c>, or the <c>Code</c> of an <c>Error</c> object (Tencent).</summary>
    private static bool IsEnvelopeCode(bool answer, int depth, string? parentName, string name, JsonNode? value) =>
        answer && string.Equals(name, "code", StringComparison.OrdinalIgnoreCase)
        && ((depth == 0 && value is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
            || string.Equals(parentName, "Error", StringComparison.Ordinal));
}
