using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Console.Browser;

/// <summary>
/// Test data on a real server process, through its public HTTP APIs (the in-memory <see cref="Tenant"/> needs a
/// <see cref="BinderyApp"/>): a user domain, a product and devices through the admin API, users through the account
/// API, and a Wi-Fi binding through the app API with a code the device reported through the device API.
/// </summary>
public sealed class RealServerTenant(ServerProcess server, HttpClient admin, string domainId)
{
    public string DomainId { get; } = domainId;

    public static async Task<RealServerTenant> CreateAsync(ServerProcess server)
    {
        var admin = server.CreateAdminClient(BinderyApp.AdminKeyValue);
        var data = await Tenant.PostOkAsync(admin, "/admin/v1/user-domains", new { homeMode = false });
        return new RealServerTenant(server, admin, data.GetProperty("id").GetString()!);
    }

    /// <summary>A multi-user product offered to this tenant's domain, binding over Wi-Fi and by SN.</summary>
    public async Task<string> CreateProductAsync(string name = "Console test plug")
    {
        var data = await Tenant.PostOkAsync(admin, "/admin/v1/products", new
        {
            name, logoUrl = "https://example.invalid/plug.png", moduleType = "EC200U",
            bindingMode = 1, userCap = 5, methods = new[] { "WIFI", "SN" }, userDomains = new[] { DomainId },
        });
        return data.GetProperty("pk").GetString()!;
    }

    public async Task<Tenant.Device> CreateDeviceAsync(string pk)
    {
        var (dk, sn) = ConsoleSamples.DevicesCsv(1).Devices[0];
        var data = await Tenant.PostOkAsync(admin, $"/admin/v1/products/{pk}/devices", new { dk, sn });
        return new Tenant.Device(pk, data.GetProperty("dk").GetString()!, data.GetProperty("sn").GetString()!, data.GetProperty("deviceSecret").GetString()!);
    }

    /// <summary>Registers and logs in an app user of this tenant's domain.</summary>
    public async Task<Tenant.User> CreateUserAsync()
    {
        var username = "browser" + Guid.NewGuid().ToString("N")[..10];
        const string password = "correct horse battery staple";
        using var anonymous = server.CreateClient();
        var registered = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/register", new { userDomain = DomainId, username, password });
        var login = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = DomainId, username, password });
        var token = login.GetProperty("accessToken").GetProperty("token").GetString()!;
        var client = server.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        return new Tenant.User(registered.GetProperty("uid").GetString()!, username, password, token, client);
    }

    /// <summary>The device reports a fresh binding code and <paramref name="user"/> binds with it over Wi-Fi (the app API).</summary>
    public async Task BindOverWifiAsync(Tenant.User user, Tenant.Device device)
    {
        var side = new DeviceClient(server.CreateClient(), device);
        var (authKey, _) = await BindingApi.BindWifiOkAsync(side, user, device);
        Assert.False(string.IsNullOrEmpty(authKey));
    }
}
