using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bindery.StandIn;
using Bindery.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bindery.Tests.StandIn;

/// <summary>
/// A server in stand-in mode on real Kestrel (loopback, free port: virtual devices call the device API over HTTP)
/// with its MQTT broker on a free loopback port, a known stand-in key, and the stand-in clock as its clock.
/// </summary>
public sealed class StandInApp : BinderyApp
{
    public const string Key = "test-stand-in-key-0123456789";

    public StandInApp()
        : base(new Dictionary<string, string?>
        {
            ["Bindery:StandIn:Enabled"] = "true",
            ["Bindery:StandIn:Key"] = Key,
            ["Bindery:StandIn:PrintAddress"] = "false",
            ["Mqtt:Enabled"] = "true",
            ["Mqtt:BindAddress"] = "127.0.0.1",
            ["Mqtt:Port"] = "0",
        })
    {
        UseKestrel(0);
        StartServer();
    }

    /// <summary>The server's clock: the stand-in's (the base class's shiftable clock is not used here).</summary>
    public StandInClock StandInClock => Services.GetRequiredService<StandInClock>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(sp => sp.GetRequiredService<StandInClock>())));
    }

    public HttpClient CreateStandInClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add(StandInKey.HeaderName, Key);
        return client;
    }
}

/// <summary>The fixture the stand-in tests load, and the calls they make.</summary>
public static class StandInFixtureFile
{
    public const string Domain = "C.DM.standin";
    public const string PlugPk = "si-plug";
    public const string LightPk = "SILIGHT001";
    public const string Password = "correct horse battery staple";
    public static readonly string PlugDk1 = Bindery.Registry.DeviceKeys.ImeiFromBody("86990000000001");
    public static readonly string PlugDk2 = Bindery.Registry.DeviceKeys.ImeiFromBody("86990000000002");
    public static readonly string UnknownDk = Bindery.Registry.DeviceKeys.ImeiFromBody("86990000000003");
    public const string LightDk = "light_one";
    public const string LightSecret = "AAECAwQFBgcICQoLDA0ODw==";

    /// <summary>
    /// A home-mode domain; a multi-user plug (SN, Wi-Fi) with two listed devices and <paramref name="generated"/>
    /// generated ones; a Tencent-style light (Wi-Fi, token) with one device; alice with a family and a room; bob,
    /// holding the plug's second device from the start.
    /// </summary>
    public static object Fixture(int generated = 3) => new
    {
        userDomains = new[] { new { id = Domain, secret = "stand-in-domain-secret-0001", homeMode = true } },
        apps = new[] { new { userDomain = Domain, name = "CI app", appKey = "akStandInCi0000000000001", appSecret = "StandInAppSecret00000000000000000000001" } },
        products = new object[]
        {
            new
            {
                pk = PlugPk, name = "Stand-in plug", bindingMode = 1, userCap = 5, methods = new[] { "SN", "WIFI" },
                devices = new[] { new { dk = PlugDk1, sn = "SI-PLUG-1" }, new { dk = PlugDk2, sn = "SI-PLUG-2" } },
                generateDevices = generated,
            },
            new
            {
                pk = LightPk, name = "Stand-in light", bindingMode = 1, userCap = 5, methods = new[] { "WIFI", "TOKEN" }, deviceKeyFormat = "tencent",
                devices = new[] { new { dk = LightDk, sn = "SI-LIGHT-1", secret = LightSecret } },
            },
        },
        users = new[] { new { username = "alice", password = Password }, new { username = "bob", password = Password } },
        families = new[] { new { owner = "alice", name = "Home", rooms = new[] { "Kitchen" } }, new { owner = "bob", name = "Flat", rooms = Array.Empty<string>() } },
        bindings = new[] { new { user = "bob", pk = PlugPk, dk = PlugDk2, family = "Flat" } },
    };

    public static async Task<JsonElement> PostAsync(HttpClient client, string url, object? body = null)
    {
        using var response = body is null ? await client.PostAsync(url, null) : await client.PostAsJsonAsync(url, body);
        return await response.ReadEnvelopeAsync();
    }

    public static async Task<JsonElement> OkAsync(HttpClient client, string url, object? body = null)
    {
        var envelope = await PostAsync(client, url, body);
        Assert.True(envelope.Code() == 200, $"{url}: {envelope}");
        return envelope.Data();
    }

    public static async Task<JsonElement> GetAsync(HttpClient client, string url) => await (await client.GetAsync(url)).ReadEnvelopeAsync();

    /// <summary>Logs a fixture user in through the app API; a client carrying the access token.</summary>
    public static async Task<HttpClient> LoginAsync(BinderyApp app, string username)
    {
        var anonymous = app.CreateClient();
        var login = await OkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = Domain, username, password = Password });
        var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", login.GetProperty("accessToken").GetProperty("token").GetString());
        return client;
    }

    /// <summary>The (pk, dk) pairs of the caller's device list.</summary>
    public static async Task<List<(string Pk, string Dk)>> DevicesAsync(HttpClient user)
    {
        var envelope = await GetAsync(user, "/v2/binding/enduserapi/userDeviceList?page=1&pageSize=100");
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data().GetProperty("list").EnumerateArray()
            .Select(d => (d.GetProperty("productKey").GetString()!, d.GetProperty("deviceKey").GetString()!)).ToList();
    }

    public static HttpStatusCode Status(HttpResponseMessage response) => response.StatusCode;
}
