using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Bindery.Devices;

/// <summary>
/// An authenticated device API request over HTTP, and the body its signature covered. A handler takes it as a
/// parameter, the way app handlers take <c>AppUser</c>: binding it (<see cref="BindAsync"/>) reads the body, takes
/// the X-Bindery headers to <see cref="DeviceVerifier"/> with the canonical string over METHOD, PATH and the body,
/// then, once the nonce is spent, requires a JSON Content-Type for a non-empty body.
/// </summary>
public sealed record DeviceRequest(AuthenticatedDevice Device, byte[] Body, JsonSerializerOptions JsonOptions)
{
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>The body as JSON; an empty body reads as <c>{}</c>.</summary>
    public T ReadJson<T>() where T : new() =>
        Body.Length == 0 ? new T() : JsonSerializer.Deserialize<T>(Body, JsonOptions) ?? new T();

    /// <summary>Minimal-API parameter binding: authenticates the request before the handler runs (refusals are thrown).</summary>
    public static async ValueTask<DeviceRequest?> BindAsync(HttpContext context)
    {
        var request = context.Request;
        var body = await RequestBodies.ReadBoundedAsync(request, MaxBodyBytes);
        var headers = request.Headers;
        var credentials = new DeviceCredentials(
            headers[DeviceSignature.PkHeader].ToString(),
            headers[DeviceSignature.DkHeader].ToString(),
            headers[DeviceSignature.TimestampHeader].ToString(),
            headers[DeviceSignature.NonceHeader].ToString(),
            headers[DeviceSignature.SignatureHeader].ToString());
        if (credentials.Pk.Length == 0 || credentials.Dk.Length == 0 || credentials.Timestamp.Length == 0
            || credentials.Nonce.Length == 0 || credentials.Signature.Length == 0)
        {
            throw new BinderyException(Errors.DeviceAuthFailed, "X-Bindery-Pk, -Dk, -Timestamp, -Nonce and -Signature headers are required");
        }
        var canonical = DeviceSignature.CanonicalString(request.Method, request.Path.Value ?? "",
            credentials.Pk, credentials.Dk, credentials.Timestamp, credentials.Nonce, body);
        var services = context.RequestServices;
        var device = await services.GetRequiredService<DeviceVerifier>().VerifyAsync(credentials, canonical);
        if (body.Length > 0)
        {
            // After the nonce is spent: the signature does not cover the Content-Type, so a refused request must not be replayable.
            RequestGate.RequireJson(request);
        }
        return new DeviceRequest(device, body, services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions);
    }
}
