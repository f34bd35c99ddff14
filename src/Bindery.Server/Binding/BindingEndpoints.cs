using System.Text.Json;
using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Observability;
using Bindery.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.Binding;

/// <summary>
/// The Quectel-style <c>/v2/binding/enduserapi</c> adapter: reads the seed's wire shapes, authenticates the
/// user, hands one <see cref="BindRequest"/> to <see cref="BindingCore"/> and writes the seed's answer.
/// </summary>
public static class BindingEndpoints
{
    public static IServiceCollection AddBinding(this IServiceCollection services)
    {
        services.AddOptions<BindingOptions>().BindConfiguration("Binding");
        services.AddSingleton<GuessLimiter>();
        services.AddSingleton<GuessPruning>();
        services.AddHostedService(sp => sp.GetRequiredService<GuessPruning>());
        services.AddSingleton<BindingCore>();
        services.AddSingleton<UserDevices>();
        services.AddSingleton<BindingEventPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<BindingEventPruner>());
        return services;
    }

    public static IEndpointRouteBuilder MapBinding(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2/binding/enduserapi").WithTags("Binding").WithErrorEnvelope(ErrorEnvelopes.Quectel);
        group.MapPost("/bindDeviceSn", BindBySnAsync).WithSummary("Bind a device by its serial number (SN)").CountsBind(CountedOperations.Methods.Sn)
            .WithErrors(ErrorSets.Bind).WithErrors(Errors.SnMissing, Errors.SnInvalid);
        group.MapPost("/v2/deviceBindingByWifi", BindByWifiAsync).WithSummary("Bind a Wi-Fi device with the bindingCode it reported").CountsBind(CountedOperations.Methods.Wifi)
            .WithErrors(ErrorSets.Bind).WithErrors(Errors.BindingCodeMissing, Errors.BindingCodeFormat, Errors.BindingCodeNotReported, Errors.BindingCodeExpired,
                Errors.BindingCodeVerificationFailed, Errors.MatterDiscriminatorMissing, Errors.MatterProductIdMissing, Errors.MatterVersionMissing,
                Errors.MatterVendorMissing, Errors.MatterFabricIdMissing, Errors.MatterNodeIdMissing);
        group.MapPost("/deviceBindingByPureBt", BindByPureBtAsync).WithSummary("Bind a pure-Bluetooth device with its signed or encrypted proof").CountsBind(CountedOperations.Methods.PureBt)
            .WithErrors(ErrorSets.Bind).WithErrors(Errors.BindingCodeMissing, Errors.BindingCodeFormat, Errors.PwdFormat, Errors.BindingSecretNotReported);
        group.MapPost("/bindDeviceDk", DkBinding.BindAsync).WithSummary("Bind a device by pk and dk, with the bindingCode it reported (PK/DK binding)").CountsBind(CountedOperations.Methods.Dk)
            .WithErrors(ErrorSets.Bind).WithErrors(Errors.BindingCodeMissing, Errors.BindingCodeFormat, Errors.BindingCodeNotReported, Errors.BindingCodeExpired,
                Errors.BindingCodeVerificationFailed, Errors.BindingSecretNotReported);
        group.MapDelete("/unbundlingDeviceDk", UnbindAsync).WithSummary("Unbind the caller's binding of a device (isInit also resets the device's binding state)").CountsUnbind()
            .WithErrors(Errors.ProductKeyMissing, Errors.DeviceKeyMissing, Errors.DkFormat, Errors.DeviceNotBound, Errors.NoPermission, Errors.DeviceVerificationFailed, Errors.InvalidParameterValue);
        group.MapGet("/getDeviceInfoByBinding", PreCheckAsync).WithSummary("Pre-check before binding: may this user bind the device, and how")
            .WithErrors(Errors.ProductKeyMissing, Errors.DeviceKeyMissing, Errors.DkFormat, Errors.ProductOrDeviceNotFound, Errors.DomainNotAuthorizedForProduct, Errors.WrongDataCenter);
        group.MapGet("/userDeviceList", ListAsync).WithSummary("List the caller's devices (bound and shared), paged").WithErrors(Errors.InvalidParameterValue);
        group.MapGet("/deviceInfo", DeviceInfoAsync).WithSummary("One device of the caller's, by pk and dk or by share code")
            .WithErrors(Errors.DeviceQueryKeysMissing, Errors.DeviceNotBound, Errors.ShareCodeInvalid, Errors.DkFormat);
        group.MapPut("/setDeviceInfo", RenameAsync).WithSummary("Rename the caller's device")
            .WithErrors(Errors.ProductKeyMissing, Errors.DeviceKeyMissing, Errors.DeviceNameMissing, Errors.DeviceNameTooLong, Errors.DeviceNotBound);
        return app;
    }

    private static async Task<Ok<QuectelEnvelope<SnBindingData>>> BindBySnAsync(
        AppUser user, BindingCore core,
        [FromQuery] string? pk, [FromQuery] string? sn, [FromQuery] int? capabilitiesBitmask, [FromQuery] string? deviceName,
        [FromQuery] string? fid, [FromQuery] string? frid, [FromQuery] bool? isCommonDevice)
    {
        var result = await core.BindDeviceAsync(new BindRequest
        {
            User = user,
            Pk = pk!,
            Device = new DeviceTarget.BySn(sn!),
            Method = BindingMethods.Sn,
            Proof = SerialNumberProof.Instance,
            DeviceName = deviceName,
            Capabilities = Capabilities(capabilitiesBitmask),
            Fid = fid,
            Frid = frid,
            IsCommonDevice = isCommonDevice ?? true,
        });
        return Envelope.OkResult(new SnBindingData(result.AuthKey, result.Dk, result.ModuleType, result.Pk));
    }

    private static async Task<Ok<QuectelEnvelope<WifiBindingData>>> BindByWifiAsync(
        AppUser user, BindingCore core, [FromBody] WifiBindingBody body)
    {
        Validate.Required(body.ProductKey, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "productKey");
        BindingCore.RequireDk(body.DeviceKey);
        if (string.IsNullOrEmpty(body.BindingCode))
        {
            throw new BinderyException(Errors.BindingCodeMissing);
        }
        if (!BindingCodes.IsWellFormed(body.BindingCode))
        {
            throw new BinderyException(Errors.BindingCodeFormat, $"bindingCode is {BindingCodes.MinLength}-{BindingCodes.MaxLength} characters of [A-Za-z0-9]");
        }
        var matterJson = body.IsMatter == true ? MatterJson(body.MatterInfo) : null;
        var result = await core.BindDeviceAsync(new BindRequest
        {
            User = user,
            Pk = body.ProductKey!,
            Device = new DeviceTarget.ByDk(body.DeviceKey!),
            Method = BindingMethods.Wifi,
            Proof = new WifiBindingProof(body.BindingCode),
            DeviceName = body.DeviceName,
            Capabilities = Capabilities(body.CapabilitiesBitmask),
            Fid = body.Fid,
            Frid = body.Frid,
            IsCommonDevice = body.IsCommonDevice ?? true,
            MatterInfoJson = matterJson,
        });
        return Envelope.OkResult(new WifiBindingData(result.AuthKey, (int)result.Mode, result.ProductLogo, result.ProductName));
    }

    private static async Task<Ok<QuectelEnvelope<PureBtBindingData>>> BindByPureBtAsync(
        AppUser user, BindingCore core, [FromBody] PureBtBindingBody body)
    {
        Validate.Required(body.Pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        BindingCore.RequireDk(body.Dk);
        var proof = PureBtProof.Create(new PureBtFields(body.Pk!, body.Dk!, body.BindingCode, body.EncryptedBindingCode, body.Pwd,
            body.Random, body.Signature, body.EncryptedNewBindingSecret, body.EncryptedOldBindingSecret));
        var result = await core.BindDeviceAsync(new BindRequest
        {
            User = user,
            Pk = body.Pk!,
            Device = new DeviceTarget.ByDk(body.Dk!),
            Method = BindingMethods.Bt,
            Proof = proof,
            DeviceName = body.DeviceName,
            Capabilities = Capabilities(body.CapabilitiesBitmask),
            Fid = body.Fid,
            Frid = body.Frid,
            IsCommonDevice = body.IsCommonDevice ?? true,
        });
        return Envelope.OkResult(new PureBtBindingData(result.Verified ? "1" : "0", result.AuthKey));
    }

    private static async Task<Ok<QuectelEnvelope<UnbindData>>> UnbindAsync(
        AppUser user, BindingCore core, [FromQuery] string? pk, [FromQuery] string? dk, [FromQuery] bool? isInit,
        [FromQuery] string? pureBtResetCredentials, [FromQuery] string? random)
    {
        var result = await core.UnbindAsync(new UnbindRequest
        {
            User = user,
            Pk = pk,
            Dk = dk,
            IsInit = isInit ?? false,
            PureBtResetCredentials = pureBtResetCredentials,
            Random = random,
        });
        return Envelope.OkResult(new UnbindData(result.BindingSum));
    }

    private static async Task<Ok<QuectelEnvelope<BindingPreCheckData>>> PreCheckAsync(
        AppUser user, UserDevices devices, [FromQuery] string? pk, [FromQuery] string? dk, [FromQuery] string? fid,
        [FromQuery] bool? checkExistInCloud) =>
        Envelope.OkResult(await devices.PreCheckAsync(user, pk, dk, fid, checkExistInCloud));

    private static async Task<Ok<QuectelEnvelope<PageInfo<DeviceDetails>>>> ListAsync(
        AppUser user, UserDevices devices, [FromQuery] int? page, [FromQuery] int? pageSize,
        [FromQuery] string? deviceName, [FromQuery] string? dk, [FromQuery] string? pkList) =>
        Envelope.OkResult(await devices.ListAsync(user, new UserDevices.ListFilter(deviceName, dk, pkList), PageRequest.From(page, pageSize)));

    private static async Task<Ok<QuectelEnvelope<DeviceDetails>>> DeviceInfoAsync(
        AppUser user, UserDevices devices, [FromQuery] string? pk, [FromQuery] string? dk, [FromQuery] string? shareCode) =>
        Envelope.OkResult(await devices.DeviceInfoAsync(user, pk, dk, shareCode));

    private static async Task<Ok<QuectelEnvelope<NoData>>> RenameAsync(
        AppUser user, UserDevices devices, [FromQuery] string? pk, [FromQuery] string? dk, [FromQuery] string? deviceName)
    {
        await devices.RenameAsync(user, pk, dk, deviceName);
        return Envelope.OkResult(new NoData());
    }

    /// <summary>0 is what apps send for "not given" (the seed's example value); other values must be 1–15.</summary>
    private static int? Capabilities(int? bitmask) => bitmask is 0 ? null : bitmask;

    private static readonly string[] Privileges = ["View", "Operate", "Administer"];

    /// <summary>Checks a Matter device's commissioning data (5879–5885) and returns it as the JSON stored on the binding.</summary>
    private static string MatterJson(MatterInfoBody? info)
    {
        if (info?.Discriminator is null)
        {
            throw new BinderyException(Errors.MatterDiscriminatorMissing);
        }
        if (info.MatterProductId is null)
        {
            throw new BinderyException(Errors.MatterProductIdMissing);
        }
        if (string.IsNullOrWhiteSpace(info.MatterVersion))
        {
            throw new BinderyException(Errors.MatterVersionMissing);
        }
        if (info.MatterVendorId is null)
        {
            throw new BinderyException(Errors.MatterVendorMissing);
        }
        if (info.FabricId is null)
        {
            throw new BinderyException(Errors.MatterFabricIdMissing);
        }
        if (info.NodeId is null)
        {
            throw new BinderyException(Errors.MatterNodeIdMissing);
        }
        if (info.Discriminator is < 0 or > 4095)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "discriminator is 0-4095 (12 bits)");
        }
        if (info.MatterProductId is < 0 or > 65535 || info.MatterVendorId is < 0 or > 65535)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "matterProductId and matterVendorId are 0-65535");
        }
        Validate.Bounded(info.MatterVersion, 32, "matterVersion");
        Validate.Bounded(info.Extra, 1024, "extra");
        if (info.CatList is { Count: > 32 })
        {
            throw new BinderyException(Errors.InvalidParameterValue, "catList holds at most 32 entries");
        }
        if (info.CatList?.Any(c => c is null || (c.Privilege is not null && !Privileges.Contains(c.Privilege))) == true)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "catList privilege is View, Operate or Administer");
        }
        return JsonSerializer.Serialize(info);
    }
}
