namespace Bindery.Registry;

/// <summary>How many users a device of the product may have (column <c>products.binding_mode</c>).</summary>
public enum BindingMode
{
    /// <summary>Several users, up to the product's user cap.</summary>
    MultiUser = 1,

    /// <summary>One owner; others are refused until the owner unbinds (5412).</summary>
    Owner = 2,

    /// <summary>One holder; a new binding with proof of possession replaces the previous one.</summary>
    Rotation = 3,
}

/// <summary>Binding methods a product allows (column <c>products.methods</c>, a bitmask).</summary>
[Flags]
public enum BindingMethods
{
    None = 0,
    Sn = 1,
    Wifi = 2,
    Bt = 4,
    Token = 8,

    /// <summary>A signature the device computed with its secret (Tencent AppSigBindDeviceInFamily).</summary>
    Sig = 16,

    /// <summary>A QR code's DeviceSignature (Tencent AppSecureAddDeviceInFamily): unverified, like an SN.</summary>
    Qr = 32,

    /// <summary>Quectel bindDeviceDk, with the bindingCode the device reported.</summary>
    Dk = 64,

    /// <summary>A gateway's sub-device, bound through its gateway (src/Bindery.Server/Gateways, docs/binding.md).</summary>
    SubDevice = 128,
}

/// <summary>The wire names of <see cref="BindingMethods"/>: <c>SN</c>, <c>WIFI</c>, <c>BT</c>, <c>TOKEN</c>.</summary>
public static class BindingMethodNames
{
    private static readonly (string Name, BindingMethods Flag)[] Names =
    [
        ("SN", BindingMethods.Sn),
        ("WIFI", BindingMethods.Wifi),
        ("BT", BindingMethods.Bt),
        ("TOKEN", BindingMethods.Token),
        ("SIG", BindingMethods.Sig),
        ("QR", BindingMethods.Qr),
        ("DK", BindingMethods.Dk),
        ("SUB_DEVICE", BindingMethods.SubDevice),
    ];

    public static BindingMethods? Parse(string? name)
    {
        foreach (var (candidate, flag) in Names)
        {
            if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
            {
                return flag;
            }
        }
        return null;
    }

    public static IReadOnlyList<string> ToNames(BindingMethods methods) =>
        Names.Where(n => methods.HasFlag(n.Flag)).Select(n => n.Name).ToArray();
}

// Rows as stored (Dapper maps snake_case columns onto these).

public sealed class UserDomainRow
{
    public string Id { get; set; } = "";
    public string Secret { get; set; } = "";
    public bool HomeMode { get; set; }
    public long CreatedAt { get; set; }

    /// <summary><c>"response"</c> or <c>"client"</c>; null = the deployment's <c>Tencent:Envelope</c>.</summary>
    public string? TencentEnvelope { get; set; }
}

/// <summary>A products row. The binding core extends it with what the caller's user domain may do.</summary>
public class ProductRow
{
    public string Pk { get; set; } = "";
    public string Ps { get; set; } = "";
    public string Name { get; set; } = "";
    public string LogoUrl { get; set; } = "";
    public string ModuleType { get; set; } = "";
    public int BindingMode { get; set; }
    public int UserCap { get; set; }
    public int Methods { get; set; }
    public bool SnPairingRequired { get; set; }
    public string DeviceKeyFormat { get; set; } = DeviceKeyFormatNames.ImeiOrMac;
    public long CreatedAt { get; set; }

    public BindingMode Mode => (BindingMode)BindingMode;

    /// <summary>The product's device-key format; an unknown stored name reads as the default.</summary>
    public DeviceKeyFormat KeyFormat => DeviceKeyFormatNames.Parse(DeviceKeyFormat) ?? Bindery.Registry.DeviceKeyFormat.ImeiOrMac;

    public BindingMethods AllowedMethods => (BindingMethods)Methods;

    public bool Enables(BindingMethods method) => (Methods & (int)method) != 0;
}

/// <summary>A devices row. The binding core extends it with the binding-state columns it decides on.</summary>
public class DeviceRow
{
    public string Pk { get; set; } = "";
    public string Dk { get; set; } = "";
    public string Sn { get; set; } = "";
    public string DeviceSecret { get; set; } = "";
    public string ModuleType { get; set; } = "";
    public string DataCenter { get; set; } = "";
    public long CreatedAt { get; set; }
}

// Inputs: every field nullable so that a missing one is reported by name rather than by the JSON binder.

public sealed record UserDomainInput(string? Id, bool? HomeMode, string? Secret, string? TencentEnvelope = null);

/// <summary>TencentEnvelope <c>"default"</c> clears the domain's choice (back to the deployment's).</summary>
public sealed record UserDomainPatch(bool? HomeMode, string? Secret, bool? RotateSecret, string? TencentEnvelope = null);

public sealed record ProductInput(
    string? Pk,
    string? Ps,
    string? Name,
    string? LogoUrl,
    string? ModuleType,
    int? BindingMode,
    int? UserCap,
    IReadOnlyList<string>? Methods,
    IReadOnlyList<string>? UserDomains,
    bool? SnPairingRequired = null,
    string? DeviceKeyFormat = null);

public sealed record ProductPatch(
    string? Ps,
    string? Name,
    string? LogoUrl,
    string? ModuleType,
    int? BindingMode,
    int? UserCap,
    IReadOnlyList<string>? Methods,
    IReadOnlyList<string>? UserDomains,
    bool? SnPairingRequired = null,
    string? DeviceKeyFormat = null);

public sealed record DeviceInput(string? Dk, string? Sn, string? DeviceSecret = null, string? ModuleType = null, string? DataCenter = null);

/// <summary>One line of a bulk import: the device it describes, or why the line could not be read.</summary>
public sealed record DeviceImportRow(long Line, DeviceInput? Device, string? ParseError = null);

// What the admin API answers with (inside the envelope's data).

public sealed record DataCenterView(string DataCenter);

/// <summary>TencentEnvelope null: the domain follows the deployment's <c>Tencent:Envelope</c>.</summary>
public sealed record UserDomainView(string Id, string Secret, bool HomeMode, string? TencentEnvelope = null)
{
    public static UserDomainView From(UserDomainRow row) => new(row.Id, row.Secret, row.HomeMode, row.TencentEnvelope);
}

public sealed record ProductView(
    string Pk,
    string Ps,
    string Name,
    string LogoUrl,
    string ModuleType,
    int BindingMode,
    int UserCap,
    IReadOnlyList<string> Methods,
    IReadOnlyList<string> UserDomains,
    bool SnPairingRequired,
    string DeviceKeyFormat)
{
    public static ProductView From(ProductRow row, IReadOnlyList<string> userDomains) =>
        new(row.Pk, row.Ps, row.Name, row.LogoUrl, row.ModuleType, row.BindingMode, row.UserCap,
            BindingMethodNames.ToNames(row.AllowedMethods), userDomains, row.SnPairingRequired,
            DeviceKeyFormatNames.ToName(row.KeyFormat));
}

public sealed record DeviceView(string Pk, string Dk, string Sn, string DeviceSecret, string ModuleType, string DataCenter)
{
    public static DeviceView From(DeviceRow row) => new(row.Pk, row.Dk, row.Sn, row.DeviceSecret, row.ModuleType, row.DataCenter);
}

public sealed record Page<T>(long Total, int Offset, int Limit, IReadOnlyList<T> Items);

public sealed record DeletedDevice(string Pk, string Dk, int RemovedBindings);

public sealed record ImportLineError(long Line, int Code, string Message);

public sealed record ImportResult(int Imported, int Skipped, IReadOnlyList<ImportLineError> Errors);
