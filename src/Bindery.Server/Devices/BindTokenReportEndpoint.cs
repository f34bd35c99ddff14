using Bindery.Infrastructure;
using Bindery.Tencent;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Bindery.Devices;

/// <summary>
/// <c>POST /device/v1/bind-token {token}</c>: the device reports the distribution-network token the app gave it
/// during provisioning (Tencent-style binding), authenticated like the rest of the device API.
/// </summary>
public static class BindTokenReportEndpoint
{
    public const string Path = "/device/v1/bind-token";

    public sealed class BindTokenBody
    {
        public string? Token { get; set; }
    }

    /// <summary>State 2 (reported by this device), when, and until when the app may bind with it (Unix ms).</summary>
    public sealed record TokenReported(int State, long ReportedAt, long ExpiresAt);

    public static IEndpointRouteBuilder MapBindTokenReport(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, ReportAsync).WithTags("Device API").WithErrorEnvelope(ErrorEnvelopes.Device);
        return app;
    }

    private static async Task<Ok<QuectelEnvelope<TokenReported>>> ReportAsync(HttpContext http, DeviceAuthenticator auth, BindTokens tokens)
    {
        var request = await auth.AuthenticateAsync(http);
        var body = request.ReadJson<BindTokenBody>();
        var reported = await tokens.ReportAsync(request.Device, body.Token);
        return Envelope.OkResult(new TokenReported(BindTokens.StateReported, reported.ReportedAt, reported.ExpiresAt));
    }
}
