using System.Text.Json.Serialization;

namespace Bindery.Binding;

/// <summary>Body of POST /v2/binding/enduserapi/v2/deviceBindingByWifi (seed 001).</summary>
public sealed record WifiBindingBody(
    string? BindingCode,
    int? CapabilitiesBitmask,
    string? DeviceKey,
    string? DeviceName,
    string? Fid,
    string? Frid,
    bool? IsCommonDevice,
    bool? IsMatter,
    MatterInfoBody? MatterInfo,
    string? ProductKey);

/// <summary>Matter V2 device data of a Wi-Fi binding; stored on the binding as JSON.</summary>
public sealed record MatterInfoBody(
    [property: JsonPropertyName("catList")] IReadOnlyList<MatterCat>? CatList,
    [property: JsonPropertyName("discriminator")] int? Discriminator,
    [property: JsonPropertyName("extra")] string? Extra,
    [property: JsonPropertyName("fabricId")] ulong? FabricId,
    [property: JsonPropertyName("matterProductId")] int? MatterProductId,
    [property: JsonPropertyName("matterVendorId")] int? MatterVendorId,
    [property: JsonPropertyName("matterVersion")] string? MatterVersion,
    [property: JsonPropertyName("nodeId")] ulong? NodeId);

public sealed record MatterCat(
    [property: JsonPropertyName("cat")] long? Cat,
    [property: JsonPropertyName("privilege")] string? Privilege);

/// <summary>Body of POST /v2/binding/enduserapi/deviceBindingByPureBt (seed 002).</summary>
public sealed record PureBtBindingBody(
    string? BindingCode,
    int? CapabilitiesBitmask,
    string? DeviceName,
    string? Dk,
    string? EncryptedBindingCode,
    string? EncryptedNewBindingSecret,
    string? EncryptedOldBindingSecret,
    string? Fid,
    string? Frid,
    bool? IsCommonDevice,
    string? Pk,
    string? Pwd,
    string? Random,
    string? Signature);

/// <summary>Data of a bind-by-SN answer (seed 000).</summary>
public sealed record SnBindingData(
    [property: JsonPropertyName("authKey")] string AuthKey,
    [property: JsonPropertyName("dk")] string Dk,
    [property: JsonPropertyName("moduleType")] string ModuleType,
    [property: JsonPropertyName("pk")] string Pk);

/// <summary>Data of a Wi-Fi binding answer (seed 001).</summary>
public sealed record WifiBindingData(
    [property: JsonPropertyName("authKey")] string AuthKey,
    [property: JsonPropertyName("bindingMode")] int BindingMode,
    [property: JsonPropertyName("productLogo")] string ProductLogo,
    [property: JsonPropertyName("productName")] string ProductName);

/// <summary>
/// Data of a pure-BT binding answer (seed 002): <c>verified</c> as the seed has it, plus the binding's
/// <c>authKey</c>, which the seed's shape has no field for but every binding hands out once.
/// </summary>
public sealed record PureBtBindingData(
    [property: JsonPropertyName("verified")] string Verified,
    [property: JsonPropertyName("authKey")] string AuthKey);

/// <summary>
/// Data of <c>DELETE unbundlingDeviceDk</c>: how many users still hold a binding of the device after this unbind,
/// unverified (SN, the platform's "pseudo-binding") ones included; shares are not bindings and are not counted.
/// </summary>
public sealed record UnbindData(
    [property: JsonPropertyName("bindingSum")] int BindingSum);

/// <summary>Data of <c>GET getDeviceInfoByBinding</c> (the real cloud's <c>BindingDeviceInfo</c>).</summary>
public sealed record BindingPreCheckData(
    [property: JsonPropertyName("activeBluetooth")] bool ActiveBluetooth,
    [property: JsonPropertyName("bindingMode")] int BindingMode,
    [property: JsonPropertyName("productLogo")] string ProductLogo,
    [property: JsonPropertyName("productName")] string ProductName);

/// <summary>
/// One device of <c>userDeviceList</c> and the answer of <c>deviceInfo</c> (the real cloud's "Device Details"),
/// with the fields Bindery can fill, in the real names and types: every flag an <c>int</c>, never a boolean.
/// </summary>
public sealed record DeviceDetails
{
    [JsonPropertyName("productKey")]
    public required string ProductKey { get; init; }

    [JsonPropertyName("deviceKey")]
    public required string DeviceKey { get; init; }

    [JsonPropertyName("deviceName")]
    public required string DeviceName { get; init; }

    /// <summary>1 SN (and a QR secure add), 2 Wi-Fi (and the Tencent-style token and signature bindings), 3 PK/DK, 4 Bluetooth.</summary>
    [JsonPropertyName("bindingType")]
    public required int BindingType { get; init; }

    /// <summary>1 own binding, 2 shared with the caller.</summary>
    [JsonPropertyName("deviceType")]
    public required int DeviceType { get; init; }

    /// <summary>1 when the binding proved possession, 0 for an SN binding.</summary>
    [JsonPropertyName("verified")]
    public required int Verified { get; init; }

    /// <summary>1-15, or 0 when the binding gave none.</summary>
    [JsonPropertyName("capabilitiesBitmask")]
    public required int CapabilitiesBitmask { get; init; }

    /// <summary>The product's binding mode: 1 multi-user, 2 owner, 3 rotation.</summary>
    [JsonPropertyName("bindMode")]
    public required int BindMode { get; init; }

    /// <summary>Binding status: always 1 (normal); a binding that ends is gone.</summary>
    [JsonPropertyName("status")]
    public int Status { get; init; } = 1;

    /// <summary>1 when the Wi-Fi binding carried Matter commissioning data.</summary>
    [JsonPropertyName("isMatter")]
    public required int IsMatter { get; init; }

    /// <summary>UTC, <c>yyyy-MM-dd HH:mm:ss</c> (for a share: when it was accepted).</summary>
    [JsonPropertyName("deviceBindTime")]
    public required string DeviceBindTime { get; init; }

    /// <summary>The same instant in Unix milliseconds.</summary>
    [JsonPropertyName("deviceBindTimeTs")]
    public required long DeviceBindTimeTs { get; init; }

    [JsonPropertyName("fid")]
    public string? Fid { get; init; }

    [JsonPropertyName("frid")]
    public string? Frid { get; init; }

    /// <summary>The caller's uid (the user this entry belongs to).</summary>
    [JsonPropertyName("uid")]
    public required string Uid { get; init; }

    /// <summary>For a shared device, the uid of the user who shared it; null for an own device.</summary>
    [JsonPropertyName("ownerUid")]
    public string? OwnerUid { get; init; }

    /// <summary>For a shared device, the share code it was accepted by; null for an own device.</summary>
    [JsonPropertyName("shareCode")]
    public string? ShareCode { get; init; }

    /// <summary>For a shared device, when the recipient's use ends (UTC <c>yyyy-MM-dd HH:mm:ss</c>); null: no end, or an own device.</summary>
    [JsonPropertyName("sharingExpireAt")]
    public string? SharingExpireAt { get; init; }

    /// <summary>The same instant in Unix milliseconds (the real field's name).</summary>
    [JsonPropertyName("sharingExpireTimeTs")]
    public long? SharingExpireTimeTs { get; init; }

    /// <summary>
    /// Always null: Bindery keeps only the SHA-256 of an authKey, which the bind answer hands out once; it never
    /// shows anyone an authKey again (and never a sharer's authKey to a share's recipient).
    /// </summary>
    [JsonPropertyName("authKey")]
    public string? AuthKey { get; init; }

    [JsonPropertyName("productName")]
    public required string ProductName { get; init; }

    /// <summary>The product logo under the real cloud's name for it.</summary>
    [JsonPropertyName("logoImage")]
    public required string LogoImage { get; init; }

    /// <summary>The product logo again, under the name the bind answers use.</summary>
    [JsonPropertyName("productLogo")]
    public required string ProductLogo { get; init; }
}

/// <summary>The empty <c>data: {}</c> of an answer that has nothing to say (setDeviceInfo, shareDevice).</summary>
public sealed record NoData;
