using System.Text.Json.Serialization;
using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Observability;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.Binding;

/// <summary>Data of <c>bindDeviceDk</c> (the real cloud's <c>AuthKey</c>).</summary>
public sealed record DkBindingData([property: JsonPropertyName("authKey")] string AuthKey);

/// <summary>
/// Quectel <c>POST /v2/binding/enduserapi/bindDeviceDk</c> (PK/DK binding, bindingType 3; docs/binding.md, "Bind by
/// DK"). A dk (an IMEI or a MAC) is printed on the label like a serial number, so knowing it proves nothing: Bindery
/// requires the bindingCode the device reported (query <c>bindingCode</c>), checked, consumed and guess-limited
/// exactly as for a Wi-Fi binding. The binding is then verified; there is no unproven DK binding.
/// </summary>
public static class DkBinding
{
    public static async Task<Ok<QuectelEnvelope<DkBindingData>>> BindAsync(
        AppUser user, BindingCore core,
        [FromQuery] string? pk, [FromQuery] string? dk, [FromQuery] string? bindingCode, [FromQuery] int? capabilitiesBitmask,
        [FromQuery] string? fid, [FromQuery] string? frid, [FromQuery] bool? isCommonDevice, [FromQuery] string? name,
        [FromQuery] string? deviceName)
    {
        Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        BindingCore.RequireDk(dk);
        if (string.IsNullOrEmpty(bindingCode))
        {
            throw new BinderyException(Errors.BindingCodeMissing, "bindDeviceDk needs the bindingCode the device reported: a dk alone proves nothing");
        }
        if (!BindingCodes.IsWellFormed(bindingCode))
        {
            throw new BinderyException(Errors.BindingCodeFormat, $"bindingCode is {BindingCodes.MinLength}-{BindingCodes.MaxLength} characters of [A-Za-z0-9]");
        }
        var result = await core.BindDeviceAsync(new BindRequest
        {
            User = user,
            Pk = pk!,
            Device = new DeviceTarget.ByDk(dk!),
            Method = BindingMethods.Dk,
            Proof = new WifiBindingProof(bindingCode),
            // The real API calls it name; deviceName (as bindDeviceSn) is taken too.
            DeviceName = string.IsNullOrWhiteSpace(name) ? deviceName : name,
            Capabilities = capabilitiesBitmask is 0 ? null : capabilitiesBitmask,
            Fid = fid,
            Frid = frid,
            IsCommonDevice = isCommonDevice ?? true,
        });
        return Envelope.OkResult(new DkBindingData(result.AuthKey));
    }
}

/// <summary>Body of <c>POST /admin/v1/products/{pk}/devices/{dk}/qr-signature</c>.</summary>
public sealed record QrSignatureInput(long? ExpiresInSeconds);

/// <summary>What a device maker prints: the signature, and the QR code's text that carries it.</summary>
public sealed record QrSignatureView(string Pk, string Dk, long ExpiresAt, string DeviceSignature, string QrPayload);

/// <summary>
/// The admin API's QR issuing route (docs/admin-api.md, "QR codes for secure add"): a <see cref="QrDeviceSignature"/>
/// for one registered device of a product that enables QR binding, signed with that device's secret.
/// </summary>
public static class QrSignatureEndpoints
{
    public const long DefaultLifetimeSeconds = 10L * 366 * 24 * 3600;
    public const long MinLifetimeSeconds = 60;
    public const long MaxLifetimeSeconds = 20L * 366 * 24 * 3600;

    private sealed class DeviceSecretRow
    {
        public string Dk { get; set; } = "";

        public string DeviceSecret { get; set; } = "";

        public int Methods { get; set; }
    }

    public static IEndpointRouteBuilder MapQrSignatures(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/v1/products")
            .AddEndpointFilter(AdminKey.RequireAsync)
            .WithTags("Admin")
            .WithErrorEnvelope(ErrorEnvelopes.Admin)
            .WithErrors(ErrorSets.Admin);
        admin.MapPost("/{pk}/devices/{dk}/qr-signature", IssueAsync)
            .WithSummary("Issue a QR code's DeviceSignature for one device (Tencent-style secure add)")
            .WithErrors(Errors.NotFound, Errors.MethodNotAllowedForProduct, Errors.InvalidParameterValue, Errors.DkFormat);
        return app;
    }

    private static async Task<Ok<QuectelEnvelope<QrSignatureView>>> IssueAsync(string pk, string dk, [FromBody] QrSignatureInput? body,
        IDatabase db, TimeProvider clock)
    {
        var lifetime = body?.ExpiresInSeconds ?? DefaultLifetimeSeconds;
        if (lifetime is < MinLifetimeSeconds or > MaxLifetimeSeconds)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"expiresInSeconds is {MinLifetimeSeconds} to {MaxLifetimeSeconds}");
        }
        var row = await db.ReadAsync(async connection =>
        {
            var format = DeviceKeyFormatNames.Parse(await Dapper.SqlMapper.QuerySingleOrDefaultAsync<string>(connection,
                "SELECT device_key_format FROM products WHERE pk = @Pk", new { Pk = pk })) ?? DeviceKeyFormat.ImeiOrMac;
            var stored = DeviceKeys.Normalize(dk, format) ?? throw new BinderyException(Errors.DkFormat, DeviceKeys.Describe(format));
            return await Dapper.SqlMapper.QuerySingleOrDefaultAsync<DeviceSecretRow>(connection,
                "SELECT d.dk, d.device_secret, p.methods FROM devices d JOIN products p ON p.pk = d.pk WHERE d.pk = @Pk AND d.dk = @Dk",
                new { Pk = pk, Dk = stored });
        }) ?? throw new BinderyException(Errors.NotFound, "no such device of this product");
        if ((row.Methods & (int)BindingMethods.Qr) == 0)
        {
            throw new BinderyException(Errors.MethodNotAllowedForProduct, "enable the QR method for the product first");
        }
        var expiresAt = clock.GetUtcNow().ToUnixTimeSeconds() + lifetime;
        var signature = QrDeviceSignature.Issue(row.DeviceSecret, pk, row.Dk, expiresAt);
        return Envelope.OkResult(new QrSignatureView(pk, row.Dk, expiresAt, signature, QrDeviceSignature.QrPayload(pk, row.Dk, signature)));
    }
}
