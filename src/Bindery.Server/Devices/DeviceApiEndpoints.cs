using Bindery.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Bindery.Devices;

/// <summary>The device API under <c>/device/v1</c>: HMAC-authenticated reports (docs/device-api.md).</summary>
public static class DeviceApiEndpoints
{
    public sealed class BindingCodeBody
    {
        public string? BindingCode { get; set; }

        public int? Lifetime { get; set; }
    }

    public sealed class BindingSecretBody
    {
        public string? BindingSecret { get; set; }
    }

    public sealed class AuthKeyBody
    {
        public string? AuthKey { get; set; }
    }

    public sealed class PairingWindowBody
    {
        public int? Seconds { get; set; }
    }

    public sealed record SecretReported(long ReportedAt);

    public static IServiceCollection AddDeviceApi(this IServiceCollection services)
    {
        services.AddSingleton<DeviceAuthenticator>();
        services.AddSingleton<DeviceReports>();
        return services;
    }

    public static IEndpointRouteBuilder MapDeviceApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/device/v1").WithTags("Device API").WithErrorEnvelope(ErrorEnvelopes.Device);
        group.MapPost("/binding-code", ReportCodeAsync);
        group.MapPost("/binding-secret", ReportSecretAsync);
        group.MapPost("/reset", ResetAsync);
        group.MapPost("/auth-key/verify", VerifyAuthKeyAsync);
        group.MapPost("/pairing-window", OpenPairingWindowAsync);
        group.MapGet("/binding-state", StateAsync);
        return app;
    }

    private static async Task<Ok<QuectelEnvelope<DeviceReports.CodeReport>>> ReportCodeAsync(HttpContext http, DeviceAuthenticator auth, DeviceReports reports)
    {
        var request = await auth.AuthenticateAsync(http);
        var body = request.ReadJson<BindingCodeBody>();
        return Envelope.OkResult(await reports.ReportBindingCodeAsync(request.Device, body.BindingCode, body.Lifetime));
    }

    private static async Task<Ok<QuectelEnvelope<SecretReported>>> ReportSecretAsync(HttpContext http, DeviceAuthenticator auth, DeviceReports reports)
    {
        var request = await auth.AuthenticateAsync(http);
        var body = request.ReadJson<BindingSecretBody>();
        return Envelope.OkResult(new SecretReported(await reports.ReportBindingSecretAsync(request.Device, body.BindingSecret)));
    }

    private static async Task<Ok<QuectelEnvelope<DeviceReports.ResetResult>>> ResetAsync(HttpContext http, DeviceAuthenticator auth, DeviceReports reports)
    {
        var request = await auth.AuthenticateAsync(http);
        return Envelope.OkResult(await reports.ResetAsync(request.Device));
    }

    private static async Task<Ok<QuectelEnvelope<DeviceReports.AuthKeyCheck>>> VerifyAuthKeyAsync(HttpContext http, DeviceAuthenticator auth, DeviceReports reports)
    {
        var request = await auth.AuthenticateAsync(http);
        var body = request.ReadJson<AuthKeyBody>();
        return Envelope.OkResult(await reports.VerifyAuthKeyAsync(request.Device, body.AuthKey));
    }

    private static async Task<Ok<QuectelEnvelope<DeviceReports.PairingWindow>>> OpenPairingWindowAsync(HttpContext http, DeviceAuthenticator auth, DeviceReports reports)
    {
        var request = await auth.AuthenticateAsync(http);
        var body = request.ReadJson<PairingWindowBody>();
        return Envelope.OkResult(await reports.OpenPairingWindowAsync(request.Device, body.Seconds));
    }

    private static async Task<Ok<QuectelEnvelope<DeviceReports.BindingState>>> StateAsync(HttpContext http, DeviceAuthenticator auth, DeviceReports reports)
    {
        var request = await auth.AuthenticateAsync(http);
        return Envelope.OkResult(await reports.StateAsync(request.Device));
    }
}
