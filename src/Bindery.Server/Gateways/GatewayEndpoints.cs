using System.Text.Json.Serialization;
using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Devices;
using Bindery.Infrastructure;
using Bindery.Observability;
using Bindery.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.Gateways;

/// <summary>
/// Gateway sub-devices (docs/binding.md, "Gateway sub-devices"): the gateway's reports on the device API, and the
/// Quectel-style app endpoints (the Tencent actions are rows of <see cref="Tencent.TencentActions"/>, run by
/// <see cref="GatewayTencentActions"/>; the MQTT topic is <see cref="GatewayMqtt"/>).
/// </summary>
public static class GatewayEndpoints
{
    public const string SubDevicesPath = "/sub-devices";
    public const string SubDevicesRemovePath = "/sub-devices/remove";

    public static IServiceCollection AddGateways(this IServiceCollection services)
    {
        services.AddSingleton<GatewayReports>();
        services.AddSingleton<SubDeviceBindings>();
        services.AddSingleton<GatewayTencentActions>();
        services.AddSingleton<GatewayMqtt>();
        return services;
    }

    public static IEndpointRouteBuilder MapGateways(this IEndpointRouteBuilder app)
    {
        var device = app.MapGroup(DeviceApiRoutes.Prefix).WithTags("Device API").WithErrorEnvelope(ErrorEnvelopes.Device).WithErrors(ErrorSets.Device);
        device.MapPost(SubDevicesPath, PairAsync).WithSummary("Gateway: report sub-devices it has paired, each with the sub-device's signature")
            .WithErrors(Errors.InvalidParameter, Errors.InvalidParameterValue);
        device.MapPost(SubDevicesRemovePath, RemoveAsync).WithSummary("Gateway: remove sub-devices it had paired (their bindings through it end)")
            .WithErrors(Errors.InvalidParameter, Errors.InvalidParameterValue);
        device.MapGet(SubDevicesPath, ListOwnAsync).WithSummary("Gateway: the sub-devices it has paired");

        var app2 = app.MapGroup("/v2/binding/enduserapi").WithTags("Binding").WithErrorEnvelope(ErrorEnvelopes.Quectel);
        app2.MapPost("/bindGatewaySubDevice", BindAsync).WithSummary("Bind a sub-device through the gateway it is paired with (Bindery extension)")
            .CountsBind(CountedOperations.Methods.SubDevice)
            .WithErrors(ErrorSets.Bind).WithErrors(Errors.DeviceVerificationFailed);
        app2.MapGet("/getGatewayDeviceChildList", ChildListAsync).WithSummary("List the sub-devices paired with a gateway the caller holds, paged")
            .WithErrors(Errors.ProductKeyMissing, Errors.DeviceKeyMissing, Errors.DkFormat, Errors.NoPermission, Errors.InvalidParameterValue);
        return app;
    }

    // ---- device side ---------------------------------------------------------------------------------------------

    /// <summary>Body of the gateway's reports: the sub-devices, each with its proof when pairing.</summary>
    public sealed class ReportBody
    {
        public List<ClaimBody>? Devices { get; set; }

        public List<GatewayReports.Claim> Claims() =>
            (Devices ?? []).Select(d => new GatewayReports.Claim(d.Pk, d.Dk, d.Random, d.Timestamp, d.SignMethod, d.Signature)).ToList();
    }

    public sealed class ClaimBody
    {
        public string? Pk { get; set; }

        public string? Dk { get; set; }

        public long? Random { get; set; }

        public long? Timestamp { get; set; }

        public string? SignMethod { get; set; }

        public string? Signature { get; set; }
    }

    private static async Task<Ok<QuectelEnvelope<GatewayReports.Outcomes>>> PairAsync(DeviceRequest request, GatewayReports reports) =>
        Envelope.OkResult(await reports.PairAsync(request.Device, request.ReadJson<ReportBody>().Claims()));

    private static async Task<Ok<QuectelEnvelope<GatewayReports.Outcomes>>> RemoveAsync(DeviceRequest request, GatewayReports reports) =>
        Envelope.OkResult(await reports.RemoveAsync(request.Device, request.ReadJson<ReportBody>().Claims()));

    private static async Task<Ok<QuectelEnvelope<GatewayReports.SubDeviceList>>> ListOwnAsync(DeviceRequest request, GatewayReports reports) =>
        Envelope.OkResult(await reports.ListAsync(request.Device));

    // ---- app side (Quectel-style) ------------------------------------------------------------------------------

    /// <summary>One sub-device of <c>getGatewayDeviceChildList</c>, with the real <c>QbDevice</c> fields Bindery can fill.</summary>
    public sealed record ChildItem(
        [property: JsonPropertyName("productKey")] string ProductKey,
        [property: JsonPropertyName("deviceKey")] string DeviceKey,
        [property: JsonPropertyName("deviceName")] string DeviceName,
        [property: JsonPropertyName("productName")] string ProductName,
        [property: JsonPropertyName("productIcon")] string ProductIcon,
        [property: JsonPropertyName("accessType")] string AccessType,
        [property: JsonPropertyName("gatewayType")] int GatewayType,
        [property: JsonPropertyName("isCurrent")] int IsCurrent,
        [property: JsonPropertyName("bindStatus")] int BindStatus,
        [property: JsonPropertyName("createTimeTs")] long CreateTimeTs);

    private static async Task<Ok<QuectelEnvelope<BindResultData>>> BindAsync(
        AppUser user, SubDeviceBindings bindings,
        [FromQuery] string? gatewayPk, [FromQuery] string? gatewayDk, [FromQuery] string? pk, [FromQuery] string? dk,
        [FromQuery] string? deviceName, [FromQuery] string? fid, [FromQuery] string? frid, [FromQuery] bool? isCommonDevice)
    {
        var result = await bindings.BindSubDeviceAsync(user, gatewayPk, gatewayDk, pk, dk, fid, frid, deviceName, isCommonDevice ?? true,
            fidFromGateway: false, BindingErrorMap.Quectel, domainHomeModeOnly: false);
        return Envelope.OkResult(new BindResultData(result.AuthKey, result.Pk, result.Dk, (int)result.Mode, result.ProductName, result.ProductLogo));
    }

    public sealed record BindResultData(
        [property: JsonPropertyName("authKey")] string AuthKey,
        [property: JsonPropertyName("pk")] string Pk,
        [property: JsonPropertyName("dk")] string Dk,
        [property: JsonPropertyName("bindingMode")] int BindingMode,
        [property: JsonPropertyName("productName")] string ProductName,
        [property: JsonPropertyName("productLogo")] string ProductLogo);

    private static async Task<Ok<QuectelEnvelope<PageInfo<ChildItem>>>> ChildListAsync(
        AppUser user, SubDeviceBindings bindings, [FromQuery] string? pk, [FromQuery] string? dk, [FromQuery] int? gatewayType,
        [FromQuery] int? page, [FromQuery] int? pageSize)
    {
        var request = PageRequest.From(page, pageSize);
        var (children, total) = await bindings.ListAsync(user, pk, dk, null, (int)Math.Min(int.MaxValue, request.Offset), request.PageSize);
        var items = children.Select(c => new ChildItem(c.Pk, c.Dk, c.DeviceName ?? c.ProductName, c.ProductName, c.ProductLogo, "2", 2, 1,
            c.Bound ? 1 : 0, c.ReportedAt)).ToList();
        return Envelope.OkResult(PageInfo.Of<ChildItem>(items, total, request));
    }
}
