using Bindery.Infrastructure;
using Bindery.Observability;
using Bindery.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Bindery.Devices;

/// <summary>
/// The device API under <c>/device/v1</c> (docs/device-api.md): the HTTP adapter over <see cref="DeviceReports"/>.
/// Each handler takes a <see cref="DeviceRequest"/>, which authenticates the signed request before the handler runs.
/// </summary>
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

    public sealed class BindTokenBody
    {
        public string? Token { get; set; }
    }

    public static IServiceCollection AddDeviceApi(this IServiceCollection services)
    {
        services.AddSingleton<DeviceVerifier>();
        services.AddSingleton<DeviceReports>();
        services.AddSingleton<DeviceActivity>();
        return services;
    }

    public static IEndpointRouteBuilder MapDeviceApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/device/v1").WithTags("Device API").WithErrorEnvelope(ErrorEnvelopes.Device).WithErrors(ErrorSets.Device);
        group.MapPost(DeviceApiRoutes.Relative(DeviceApiRoutes.BindingCode), ReportCodeAsync).WithSummary("Device: report a fresh bindingCode (Wi-Fi binding)").CountsDeviceReport(DeviceReportKinds.Code);
        group.MapPost(DeviceApiRoutes.Relative(DeviceApiRoutes.BindingSecret), ReportSecretAsync).WithSummary("Device: report its bindingSecret (pure-Bluetooth binding)").CountsDeviceReport(DeviceReportKinds.Secret);
        group.MapPost(DeviceApiRoutes.Relative(DeviceApiRoutes.Reset), ResetAsync).WithSummary("Device: factory reset, ending its bindings").CountsDeviceReport(DeviceReportKinds.Reset);
        group.MapPost(DeviceApiRoutes.Relative(DeviceApiRoutes.AuthKeyVerify), VerifyAuthKeyAsync).WithSummary("Device: check an authKey an app presented").CountsDeviceReport(DeviceReportKinds.AuthKey);
        group.MapPost(DeviceApiRoutes.Relative(DeviceApiRoutes.PairingWindow), OpenPairingWindowAsync).WithSummary("Device: open an SN pairing window (button pressed)").CountsDeviceReport(DeviceReportKinds.PairingWindow);
        group.MapPost(DeviceApiRoutes.Relative(DeviceApiRoutes.BindToken), ReportBindTokenAsync).WithSummary("Device: report the Tencent bind token the app gave it").CountsDeviceReport(DeviceReportKinds.Token);
        group.MapGet(DeviceApiRoutes.Relative(DeviceApiRoutes.BindingState), StateAsync).WithSummary("Device: its binding state").CountsDeviceReport(DeviceReportKinds.State);
        return app;
    }

    // The nonce is spent in the report's own write (DeviceReportRequest).
    private static async Task<Ok<QuectelEnvelope<DeviceReports.CodeReport>>> ReportCodeAsync(DeviceReportRequest request, DeviceReports reports)
    {
        var body = await request.ReadJsonAsync<BindingCodeBody>();
        return Envelope.OkResult(await reports.ReportBindingCodeAsync(request, body.BindingCode, body.Lifetime));
    }

    private static async Task<Ok<QuectelEnvelope<DeviceReports.SecretReported>>> ReportSecretAsync(DeviceRequest request, DeviceReports reports) =>
        Envelope.OkResult(await reports.ReportBindingSecretAsync(request.Device, request.ReadJson<BindingSecretBody>().BindingSecret));

    private static async Task<Ok<QuectelEnvelope<DeviceReports.ResetResult>>> ResetAsync(DeviceRequest request, DeviceReports reports) =>
        Envelope.OkResult(await reports.ResetAsync(request.Device));

    private static async Task<Ok<QuectelEnvelope<DeviceReports.AuthKeyCheck>>> VerifyAuthKeyAsync(DeviceRequest request, DeviceReports reports) =>
        Envelope.OkResult(await reports.VerifyAuthKeyAsync(request.Device, request.ReadJson<AuthKeyBody>().AuthKey));

    private static async Task<Ok<QuectelEnvelope<DeviceReports.PairingWindow>>> OpenPairingWindowAsync(DeviceRequest request, DeviceReports reports) =>
        Envelope.OkResult(await reports.OpenPairingWindowAsync(request.Device, request.ReadJson<PairingWindowBody>().Seconds));

    private static async Task<Ok<QuectelEnvelope<DeviceReports.TokenReported>>> ReportBindTokenAsync(DeviceRequest request, DeviceReports reports) =>
        Envelope.OkResult(await reports.ReportBindTokenAsync(request.Device, request.ReadJson<BindTokenBody>().Token));

    private static async Task<Ok<QuectelEnvelope<DeviceReports.BindingState>>> StateAsync(DeviceRequest request, DeviceReports reports) =>
        Envelope.OkResult(await reports.StateAsync(request.Device));
}
