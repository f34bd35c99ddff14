using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bindery.Protocol;

/// <summary>
/// What the demo seeder created, as written to <c>&lt;data dir&gt;/demo-tenant.json</c> (mode 600). The device
/// simulator (src/Bindery.Cli, through this library) and docs/quickstart.sh read it, so a newcomer never types a secret.
/// </summary>
public sealed record DemoTenant(
    [property: JsonPropertyName("userDomain")] DemoUserDomain UserDomain,
    [property: JsonPropertyName("products")] IReadOnlyList<DemoProduct> Products,
    [property: JsonPropertyName("users")] IReadOnlyList<DemoUser> Users)
{
    public const string FileName = "demo-tenant.json";

    // A file that lacks a field, or holds null where the model does not allow it, is refused as a JsonException when
    // read, instead of surfacing later as a NullReferenceException in whoever uses it.
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    public static string PathIn(string dataDir) => Path.Combine(dataDir, FileName);

    /// <summary>The product holding device <paramref name="dk"/> (and of key <paramref name="pk"/> when given), with the device.</summary>
    public (DemoProduct Product, DemoDevice Device)? FindDevice(string? pk, string dk)
    {
        var matches = Products
            .Where(p => pk is null || p.Pk == pk)
            .SelectMany(p => p.Devices.Where(d => string.Equals(d.Dk, dk, StringComparison.OrdinalIgnoreCase) || d.Sn == dk).Select(d => (p, d)))
            .ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    public DemoUser? FindUser(string username) =>
        Users.FirstOrDefault(u => string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase));

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static DemoTenant FromJson(string json) =>
        JsonSerializer.Deserialize<DemoTenant>(json, Json) ?? throw new JsonException("the demo tenant file is empty");

    /// <summary>Writes the file readable and writable by the owner only, from the moment it exists.</summary>
    public async Task SaveAsync(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var stream = new FileStream(path, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(ToJson());
            await writer.WriteLineAsync();
        }
        if (!OperatingSystem.IsWindows())
        {
            // A file left over from an earlier data dir keeps its mode on FileMode.Create; tighten it too.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public static async Task<DemoTenant> LoadAsync(string path) => FromJson(await File.ReadAllTextAsync(path));
}

public sealed record DemoUserDomain(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("secret")] string Secret,
    [property: JsonPropertyName("homeMode")] bool HomeMode);

public sealed record DemoProduct(
    [property: JsonPropertyName("pk")] string Pk,
    [property: JsonPropertyName("ps")] string Ps,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("logoUrl")] string LogoUrl,
    [property: JsonPropertyName("bindingMode")] int BindingMode,
    [property: JsonPropertyName("userCap")] int UserCap,
    [property: JsonPropertyName("methods")] IReadOnlyList<string> Methods,
    [property: JsonPropertyName("devices")] IReadOnlyList<DemoDevice> Devices);

public sealed record DemoDevice(
    [property: JsonPropertyName("dk")] string Dk,
    [property: JsonPropertyName("sn")] string Sn,
    [property: JsonPropertyName("deviceSecret")] string DeviceSecret);

/// <summary>A demo app user with the family (fid) and room (frid) to bind into: the user domain runs in home mode.</summary>
public sealed record DemoUser(
    [property: JsonPropertyName("username")] string Username,
    [property: JsonPropertyName("password")] string Password,
    [property: JsonPropertyName("uid")] string Uid,
    [property: JsonPropertyName("fid")] string Fid,
    [property: JsonPropertyName("familyName")] string FamilyName,
    [property: JsonPropertyName("frid")] string? Frid,
    [property: JsonPropertyName("roomName")] string? RoomName);
