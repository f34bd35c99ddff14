using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bindery.StandIn;

/// <summary>
/// A tenant to load (docs/stand-in.md, "Fixtures"): user domains, Tencent-style apps, products with their devices,
/// users with their passwords, families with their rooms, and optionally bindings. JSON, field names in camelCase
/// (case-insensitive). Every secret may be given (so an app's CI can build with it) or left out (then generated and
/// answered by the load).
/// </summary>
public sealed record StandInFixture
{
    public List<FixtureUserDomain>? UserDomains { get; init; }

    public List<FixtureApp>? Apps { get; init; }

    public List<FixtureProduct>? Products { get; init; }

    /// <summary>Devices listed flat (each names its pk), besides those listed under their product.</summary>
    public List<FixtureDevice>? Devices { get; init; }

    public List<FixtureUser>? Users { get; init; }

    public List<FixtureFamily>? Families { get; init; }

    public List<FixtureBinding>? Bindings { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 16,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads a fixture; a <see cref="JsonException"/> names what is wrong (path and line).</summary>
    public static StandInFixture Parse(string json) =>
        JsonSerializer.Deserialize<StandInFixture>(json, Json) ?? throw new JsonException("the fixture is null");
}

public sealed record FixtureUserDomain(string? Id, string? Secret, bool? HomeMode, string? TencentEnvelope = null);

/// <summary>A Tencent-style app (AppKey/AppSecret of the pre-login signatures) whose users log into <see cref="UserDomain"/>.</summary>
public sealed record FixtureApp(string? UserDomain, string? Name, string? AppKey, string? AppSecret);

public sealed record FixtureProduct
{
    public string? Pk { get; init; }

    public string? Ps { get; init; }

    public string? Name { get; init; }

    public string? LogoUrl { get; init; }

    public string? ModuleType { get; init; }

    /// <summary>1 multi-user, 2 owner, 3 rotation (docs/binding.md).</summary>
    public int? BindingMode { get; init; }

    public int? UserCap { get; init; }

    /// <summary>SN, WIFI, BT, TOKEN; all four when left out.</summary>
    public List<string>? Methods { get; init; }

    /// <summary>Every user domain of the fixture when left out.</summary>
    public List<string>? UserDomains { get; init; }

    public bool? SnPairingRequired { get; init; }

    /// <summary>imei-or-mac (default), tencent, … (docs/admin-api.md).</summary>
    public string? DeviceKeyFormat { get; init; }

    public List<FixtureDevice>? Devices { get; init; }

    /// <summary>
    /// This many more devices, generated: dk an IMEI (or <c>dev_0001</c>… for the tencent key format), sn
    /// <c>{pk}-0001</c>…, a fresh device secret each (answered by the load).
    /// </summary>
    public int? GenerateDevices { get; init; }
}

public sealed record FixtureDevice(string? Pk, string? Dk, string? Sn, string? Secret, string? ModuleType = null);

public sealed record FixtureUser(string? UserDomain, string? Username, string? Password);

/// <summary>A family of <see cref="Owner"/> (a username of the fixture) with its rooms.</summary>
public sealed record FixtureFamily(string? Owner, string? UserDomain, string? Name, List<string>? Rooms);

/// <summary>
/// A binding present from the start: <see cref="User"/> (a username) holds the device, optionally in one of their
/// families (by name) and room (by name). Made by the binding core, as proven.
/// </summary>
public sealed record FixtureBinding(string? User, string? UserDomain, string? Pk, string? Dk, string? Family, string? Room, string? DeviceName);

/// <summary>What a load created, with the ids and every secret it generated (answered by the API, never logged).</summary>
public sealed record FixtureLoaded(
    IReadOnlyList<LoadedUserDomain> UserDomains,
    IReadOnlyList<LoadedApp> Apps,
    IReadOnlyList<LoadedProduct> Products,
    IReadOnlyList<LoadedUser> Users,
    IReadOnlyList<LoadedFamily> Families,
    int Bindings,
    long ElapsedMs);

public sealed record LoadedUserDomain(string Id, string Secret, bool HomeMode);

public sealed record LoadedApp(string AppKey, string AppSecret, string UserDomain, string Name);

public sealed record LoadedProduct(string Pk, string Ps, string Name, int BindingMode, IReadOnlyList<LoadedDevice> Devices);

public sealed record LoadedDevice(string Pk, string Dk, string Sn, string DeviceSecret);

public sealed record LoadedUser(string UserDomain, string Username, string Uid);

public sealed record LoadedFamily(string Fid, string Name, string OwnerUid, IReadOnlyList<LoadedRoom> Rooms);

public sealed record LoadedRoom(string Frid, string Name);
