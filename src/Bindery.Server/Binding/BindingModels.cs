using Bindery.Accounts;
using Bindery.Infrastructure;

namespace Bindery.Binding;

/// <summary>How a product lets users share one device (products.binding_mode).</summary>
public enum BindingMode
{
    /// <summary>Any number of users up to the product's user cap; nobody displaces anybody.</summary>
    MultiUser = 1,

    /// <summary>One holder; others are refused (5412) until the holder unbinds or the device is factory reset.</summary>
    Owner = 2,

    /// <summary>One holder; a new binding that proves possession replaces the previous holder at once.</summary>
    Rotation = 3,
}

/// <summary>The ways to bind, as stored in bindings.method and as bits of products.methods.</summary>
public enum BindingMethod
{
    Sn = 1,
    Wifi = 2,
    Bt = 4,
    Token = 8,
}

public static class BindingMethodNames
{
    /// <summary>The name stored in bindings.method and shown as bindingType (SHARE is a share, not a binding).</summary>
    public static string Name(this BindingMethod method) => method switch
    {
        BindingMethod.Sn => "SN",
        BindingMethod.Wifi => "WIFI",
        BindingMethod.Bt => "BT",
        BindingMethod.Token => "TOKEN",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>The method names enabled in a products.methods bitmask.</summary>
    public static IReadOnlyList<string> NamesOf(int bitmask) =>
        Enum.GetValues<BindingMethod>().Where(m => (bitmask & (int)m) != 0).Select(m => m.Name()).ToArray();
}

/// <summary>Which device a bind request names: by device key, or (bind by SN) by serial number.</summary>
public abstract record DeviceTarget
{
    private DeviceTarget()
    {
    }

    /// <summary>A device key already normalised with <see cref="Registry.DeviceKeys.Normalize"/>.</summary>
    public sealed record ByDk(string Dk) : DeviceTarget;

    public sealed record BySn(string Sn) : DeviceTarget;
}

/// <summary>
/// The errors that differ between dialects for the same situation. The core throws these; the defaults are the
/// Quectel-style <c>/v2</c> codes, and another dialect passes its own map.
/// </summary>
public sealed record BindingErrorMap
{
    public static readonly BindingErrorMap Quectel = new();

    public ErrorDef ProductNotFound { get; init; } = Errors.ProductOrDeviceNotFound;

    public ErrorDef DeviceNotFound { get; init; } = Errors.ProductOrDeviceNotFound;

    /// <summary>The family does not exist or the user is not a member (never told apart).</summary>
    public ErrorDef FamilyNotAccessible { get; init; } = Errors.NoPermission;

    public ErrorDef RoomNotFound { get; init; } = Errors.RoomNotExist;

    /// <summary>The device is already in the requested family through another member's binding.</summary>
    public ErrorDef AlreadyInFamily { get; init; } = Errors.DeviceAlreadyBound;
}

/// <summary>One bind request, whatever the dialect and method. Fields are validated by <see cref="BindingCore.BindDeviceAsync"/>.</summary>
public sealed record BindRequest
{
    public required AppUser User { get; init; }

    public required string Pk { get; init; }

    public required DeviceTarget Device { get; init; }

    public required BindingMethod Method { get; init; }

    /// <summary>What the request offers as proof that the user holds the device; checked with the device row locked.</summary>
    public required IPossessionProof Proof { get; init; }

    /// <summary>Defaults to the product name when null or blank.</summary>
    public string? DeviceName { get; init; }

    /// <summary>1–15, or null when not given.</summary>
    public int? Capabilities { get; init; }

    public string? Fid { get; init; }

    public string? Frid { get; init; }

    public bool IsCommonDevice { get; init; } = true;

    /// <summary>Matter commissioning data (JSON) stored on the binding.</summary>
    public string? MatterInfoJson { get; init; }

    public BindingErrorMap Errors { get; init; } = BindingErrorMap.Quectel;
}

/// <summary>A binding just made. <see cref="AuthKey"/> exists only here: the store keeps its SHA-256.</summary>
public sealed record BindResult(
    string BindingId,
    string AuthKey,
    string Pk,
    string Dk,
    string ModuleType,
    string ProductName,
    string ProductLogo,
    BindingMode Mode,
    bool Verified,
    string? DisplacedUserId);
