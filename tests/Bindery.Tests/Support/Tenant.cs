using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Registry;

namespace Bindery.Tests.Support;

/// <summary>
/// Builds test data through the public HTTP API only (admin API for the registry, account and family APIs for
/// users), so every integration test also exercises those APIs. This file is the executable contract of
/// docs/admin-api.md and docs/accounts-and-homes.md.
/// </summary>
public sealed class Tenant
{
    private static long _deviceCounter = Random.Shared.NextInt64(1_000_000, 9_000_000) * 1000;
    private readonly BinderyApp _app;
    private readonly HttpClient _admin;

    private Tenant(BinderyApp app, HttpClient admin, string domainId, string domainSecret, bool homeMode)
    {
        _app = app;
        _admin = admin;
        DomainId = domainId;
        DomainSecret = domainSecret;
        HomeMode = homeMode;
    }

    public string DomainId { get; }

    public string DomainSecret { get; }

    public bool HomeMode { get; }

    public sealed record Product(string Pk, string Ps, string Name, string LogoUrl, string ModuleType, int BindingMode, int UserCap);

    public sealed record Device(string Pk, string Dk, string Sn, string DeviceSecret);

    public sealed record User(string Uid, string Username, string Password, string Token, HttpClient Client);

    /// <summary>POST /admin/v1/user-domains {homeMode} → data {id, secret, homeMode}.</summary>
    public static async Task<Tenant> CreateAsync(BinderyApp app, bool homeMode = false)
    {
        var admin = app.CreateAdminClient();
        var data = await PostOkAsync(admin, "/admin/v1/user-domains", new { homeMode });
        return new Tenant(app, admin, data.GetProperty("id").GetString()!, data.GetProperty("secret").GetString()!, homeMode);
    }

    /// <summary>POST /admin/v1/products → data {pk, ps, name, logoUrl, moduleType, bindingMode, userCap, methods, userDomains, snPairingRequired, deviceKeyFormat}.</summary>
    public async Task<Product> CreateProductAsync(int bindingMode, int userCap = 5, string[]? methods = null, string[]? userDomains = null,
        bool snPairingRequired = false, string? deviceKeyFormat = null)
    {
        var data = await PostOkAsync(_admin, "/admin/v1/products", new
        {
            deviceKeyFormat,
            name = $"Test product mode {bindingMode}",
            logoUrl = "https://example.invalid/logo.png",
            moduleType = "EC200U",
            bindingMode,
            userCap,
            methods = methods ?? ["SN", "WIFI", "BT", "TOKEN"],
            userDomains = userDomains ?? [DomainId],
            snPairingRequired,
        });
        return new Product(
            data.GetProperty("pk").GetString()!, data.GetProperty("ps").GetString()!, data.GetProperty("name").GetString()!,
            data.GetProperty("logoUrl").GetString()!, data.GetProperty("moduleType").GetString()!,
            data.GetProperty("bindingMode").GetInt32(), data.GetProperty("userCap").GetInt32());
    }

    /// <summary>
    /// POST /admin/v1/products/{pk}/devices {dk, sn, dataCenter?} → data {pk, dk, sn, deviceSecret, moduleType, dataCenter}.
    /// The dk is <paramref name="dk"/> when given (e.g. a Tencent device name), else a fresh IMEI, or a fresh MAC address
    /// starting with the letters "AB" when <paramref name="mac"/>.
    /// </summary>
    public async Task<Device> CreateDeviceAsync(string pk, string? dataCenter = null, bool mac = false, string? dk = null)
    {
        var n = Interlocked.Increment(ref _deviceCounter);
        dk ??= mac ? "AB" + (n % 10_000_000_000).ToString("D10") : DeviceKeys.ImeiFromBody("86" + n.ToString("D12"));
        var sn = "SN" + n.ToString("D12");
        var data = await PostOkAsync(_admin, $"/admin/v1/products/{pk}/devices", new { dk, sn, dataCenter });
        return new Device(pk, data.GetProperty("dk").GetString()!, data.GetProperty("sn").GetString()!, data.GetProperty("deviceSecret").GetString()!);
    }

    /// <summary>
    /// POST /v2/enduser/enduserapi/register {userDomain, username, password} → data {uid};
    /// POST /v2/enduser/enduserapi/login {userDomain, username, password} → data {uid, accessToken {token, expirationTime}}.
    /// </summary>
    public async Task<User> CreateUserAsync(string? username = null)
    {
        username ??= "user" + Guid.NewGuid().ToString("N")[..10];
        const string password = "correct horse battery staple";
        var anonymous = _app.CreateClient();
        var registered = await PostOkAsync(anonymous, "/v2/enduser/enduserapi/register", new { userDomain = DomainId, username, password });
        var login = await PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = DomainId, username, password });
        var token = login.GetProperty("accessToken").GetProperty("token").GetString()!;
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        return new User(registered.GetProperty("uid").GetString()!, username, password, token, client);
    }

    /// <summary>POST /v2/family/enduserapi/addFamily {familyName} → data {fid}.</summary>
    public static async Task<string> CreateFamilyAsync(User owner, string name = "Home") =>
        (await PostOkAsync(owner.Client, "/v2/family/enduserapi/addFamily", new { familyName = name })).GetProperty("fid").GetString()!;

    /// <summary>POST /v2/family/enduserapi/addFamilyRoom?fid&amp;roomName → data {frid, roomName}.</summary>
    public static async Task<string> CreateRoomAsync(User owner, string fid, string name = "Living room")
    {
        var url = $"/v2/family/enduserapi/addFamilyRoom?fid={Uri.EscapeDataString(fid)}&roomName={Uri.EscapeDataString(name)}";
        var envelope = await (await owner.Client.PostAsync(url, null)).ReadEnvelopeAsync();
        Assert.True(envelope.Code() == 200, $"POST {url} answered {envelope}");
        return envelope.Data().GetProperty("frid").GetString()!;
    }

    /// <summary>
    /// The owner (or an admin) invites <paramref name="member"/> by uid as <paramref name="role"/> (2 admin, 3 regular
    /// member) with <c>inviteFamilyMember</c>, and the member accepts with <c>familyMemberInviteHandle</c>.
    /// </summary>
    public static async Task AddMemberAsync(User owner, string fid, User member, int role)
    {
        var invalidTime = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        await PostOkAsync(owner.Client, $"/v2/family/enduserapi/inviteFamilyMember?fid={fid}&uid={member.Uid}&memberRole={role}&invalidTime={invalidTime}", new { });
        await PostOkAsync(member.Client, $"/v2/family/enduserapi/familyMemberInviteHandle?fid={fid}&decide=1", new { });
    }

    /// <summary>Posts JSON, asserts envelope code 200 and returns <c>data</c>.</summary>
    public static async Task<JsonElement> PostOkAsync(HttpClient client, string url, object body)
    {
        var response = await client.PostAsJsonAsync(url, body);
        var envelope = await response.ReadEnvelopeAsync();
        Assert.True(envelope.Code() == 200, $"POST {url} answered {envelope}");
        return envelope.Data();
    }
}
