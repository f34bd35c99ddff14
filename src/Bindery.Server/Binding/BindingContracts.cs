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

public sealed record UnbindData(
    [property: JsonPropertyName("pk")] string Pk,
    [property: JsonPropertyName("dk")] string Dk,
    [property: JsonPropertyName("wasShare")] bool WasShare);

public sealed record ShareData(
    [property: JsonPropertyName("shareId")] string ShareId,
    [property: JsonPropertyName("pk")] string Pk,
    [property: JsonPropertyName("dk")] string Dk);
