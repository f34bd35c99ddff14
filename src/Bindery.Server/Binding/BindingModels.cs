using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Registry;

namespace Bindery.Binding;

/// <summary>Which device a bind request names: by device key, or (bind by SN) by serial number.</summary>
public abstract record DeviceTarget
{
    private DeviceTarget()
    {
    }

    /// <summary>
    /// A device key: in a request, as sent (trimmed); inside the binding core, once the product is read, as stored
    /// (normalised by the product's format with <see cref="Registry.DeviceKeyFormats.Resolve"/>).
    /// </summary>
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

    /// <summary>The product exists but does not enable the request's binding method.</summary>
    public ErrorDef MethodNotEnabled { get; init; } = Errors.MethodNotAllowedForProduct;

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

    /// <summary>Exactly one flag: the method this request binds by.</summary>
    public required BindingMethods Method { get; init; }

    /// <summary>What the request offers as proof that the user holds the device; checked with the device row locked.</summary>
    public required IPossessionProof Proof { get; init; }

    /// <summary>Defaults to the product name when null or blank.</summary>
    public string? DeviceName { get; init; }

    /// <summary>1–15, or null when not given.</summary>
    public int? Capabilities { get; init; }

    public string? Fid { get; init; }

    public string? Frid { get; init; }

    public bool IsCommonDevice { get; init; } = true;

    /// <summary>
    /// True for dialects whose bind calls always name a family (Tencent): the user domain's homeMode decides the
    /// fid rules, whatever the user chose with enabledFamilyMode. False: the user's effective mode decides
    /// (HomeService.ReadFamilyModeAsync).
    /// </summary>
    public bool DomainHomeModeOnly { get; init; }

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

public static class BindingMethodWireNames
{
    /// <summary>The name of a single method as stored in bindings.method and shown as bindingType.</summary>
    public static string WireName(this BindingMethods method) => BindingMethodNames.ToNames(method) switch
    {
        [var single] => single,
        _ => throw new ArgumentOutOfRangeException(nameof(method), "exactly one binding method"),
    };
}

/// <summary>
/// One unbind request (docs/binding.md, "Unbind"): the caller gives up their binding of the device (or leaves their
/// share of it). <see cref="IsInit"/> also resets the device's binding state — its reported bindingCode and
/// bindingSecret and any open pairing window are void, so the next binding needs fresh proof from the device — which
/// only a holder whose device it is to reset may ask (<see cref="BindingCore.UnbindAsync"/>).
/// </summary>
public sealed record UnbindRequest
{
    public required AppUser User { get; init; }

    public required string? Pk { get; init; }

    public required string? Dk { get; init; }

    public bool IsInit { get; init; }

    /// <summary>Raw <c>pureBtResetCredentials</c> and <c>random</c>: a pure-BT device's proof that the app is at it (<see cref="PureBtResetProof"/>).</summary>
    public string? PureBtResetCredentials { get; init; }

    public string? Random { get; init; }
}
