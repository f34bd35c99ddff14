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
        var (signed, body) = await SignedAsync(context);
        var services = context.RequestServices;
        await services.GetRequiredService<DeviceVerifier>().SpendAsync(signed);
        if (body.Length > 0)
        {
            // After the nonce is spent: the signature does not cover the Content-Type, so a refused request must not be replayable.
            RequestGate.RequireJson(context.Request);
        }
        return new DeviceRequest(signed.Device, body, services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions);
    }

    /// <summary>Reads the body and checks the signature over it; the nonce is left for the caller to spend.</summary>
    internal static async Task<(SignedDeviceRequest Signed, byte[] Body)> SignedAsync(HttpContext context)
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
        var signed = await context.RequestServices.GetRequiredService<DeviceVerifier>().CheckSignatureAsync(credentials, canonical);
        return (signed, body);
    }
}

/// <summary>
/// A device API request like <see cref="DeviceRequest"/> whose nonce the handler spends in the same write as the
/// report it carries (one durable write per report instead of two). Every refusal before that write spends the nonce
/// on its own first, as <see cref="DeviceRequest"/> does, so no refused request can be replayed.
/// </summary>
public sealed record DeviceReportRequest(SignedDeviceRequest Checked, byte[] Body, JsonSerializerOptions JsonOptions, DeviceVerifier Verifier)
{
    /// <summary>The body as JSON (an empty body reads as <c>{}</c>); malformed JSON spends the nonce before it is refused.</summary>
    public async Task<T> ReadJsonAsync<T>() where T : new()
    {
        try
        {
            return Body.Length == 0 ? new T() : JsonSerializer.Deserialize<T>(Body, JsonOptions) ?? new T();
        }
        catch (JsonException)
        {
            await Verifier.SpendAsync(Checked);
            throw;
        }
    }

    public static async ValueTask<DeviceReportRequest?> BindAsync(HttpContext context)
    {
        var (signed, body) = await DeviceRequest.SignedAsync(context);
        var services = context.RequestServices;
        var verifier = services.GetRequiredService<DeviceVerifier>();
        if (body.Length > 0)
        {
            try
            {
                RequestGate.RequireJson(context.Request);
            }
            catch (BinderyException)
            {
                await verifier.SpendAsync(signed);
                throw;
            }
        }
        return new DeviceReportRequest(signed, body, services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions, verifier);
    }
}
