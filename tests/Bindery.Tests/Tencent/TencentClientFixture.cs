using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// One server whose deployment default is the documented <c>Response</c> envelope, with two home-mode user domains:
/// <see cref="Client"/> chose the client envelope through the admin API (<c>tencentEnvelope: "client"</c>),
/// <see cref="Documented"/> keeps the default.
/// </summary>
public sealed class TencentClientFixture : IAsyncLifetime
{
    public BinderyApp App { get; } = new();

    public Tenant Client { get; private set; } = null!;

    public Tenant Documented { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = await Tenant.CreateAsync(App, homeMode: true);
        Documented = await Tenant.CreateAsync(App, homeMode: true);
        using var admin = App.CreateAdminClient();
        using var response = await admin.PatchAsJsonAsync($"/admin/v1/user-domains/{Client.DomainId}", new { tencentEnvelope = "client" });
        var envelope = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, envelope.ToString());
        Assert.Equal("client", envelope.GetProperty("data").GetProperty("tencentEnvelope").GetString());
    }

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }

    public DeviceClient DeviceClient(Tenant.Device device) => new(App.CreateClient(), device);

    /// <summary>A token-bindable device of a fresh multi-user product of <paramref name="tenant"/>.</summary>
    public static async Task<Tenant.Device> DeviceAsync(Tenant tenant)
    {
        var product = await tenant.CreateProductAsync(1);
        return await tenant.CreateDeviceAsync(product.Pk);
    }

    public async Task<ClientApi> UserAsync(Tenant tenant) =>
        new(App.CreateClient(), (await tenant.CreateUserAsync()).Token);
}

/// <summary>
/// An app as the official clients send and read: Android's common parameters, a trailing-slash path by default,
/// and answers read the way Android/iOS read them (<c>code == 0</c>, then the fields in <c>data</c>).
/// </summary>
public sealed class ClientApi(HttpClient http, string accessToken)
{
    public const string AndroidTokenApi = "/api/exploreropen/tokenapi/";

    public HttpClient Http { get; } = http;

    public string AccessToken { get; } = accessToken;

    /// <summary>Posts the body (Action unless null, AccessToken, RequestId, Android's extra common parameters); returns the root object.</summary>
    public async Task<JsonElement> CallAsync(string? action, Dictionary<string, object?>? parameters = null, string path = AndroidTokenApi)
    {
        var body = new Dictionary<string, object?>(parameters ?? [])
        {
            ["AccessToken"] = AccessToken,
            ["Platform"] = "android",
            ["Agent"] = "android",
            ["lang"] = "en-US",
        };
        if (action is not null)
        {
            body.TryAdd("Action", action);
        }
        body.TryAdd("RequestId", Guid.NewGuid().ToString());
        using var response = await Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"HTTP {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts <c>code == 0</c> and returns <c>data</c> (which always carries the RequestId).</summary>
    public async Task<JsonElement> OkAsync(string? action, Dictionary<string, object?>? parameters = null, string path = AndroidTokenApi)
    {
        var root = await CallAsync(action, parameters, path);
        return Data(root);
    }

    public static JsonElement Data(JsonElement root)
    {
        Assert.True(root.TryGetProperty("code", out var code) && code.GetInt32() == 0, $"expected code 0, got {root}");
        Assert.Equal("", root.GetProperty("msg").GetString());
        var data = root.GetProperty("data");
        Assert.False(string.IsNullOrEmpty(data.GetProperty("RequestId").GetString()));
        return data;
    }

    /// <summary>Asserts <c>code == -1000</c> and returns <c>data.Error.Code</c>, as Android's checkRespTokenValid reads it.</summary>
    public static string ErrorCode(JsonElement root)
    {
        Assert.True(root.TryGetProperty("code", out var code) && code.GetInt32() == -1000, $"expected code -1000, got {root}");
        var data = root.GetProperty("data");
        Assert.False(string.IsNullOrEmpty(data.GetProperty("RequestId").GetString()));
        var error = data.GetProperty("Error");
        Assert.Equal(root.GetProperty("msg").GetString(), error.GetProperty("Message").GetString());
        return error.GetProperty("Code").GetString()!;
    }

    public async Task<string> ErrorAsync(string? action, Dictionary<string, object?>? parameters = null, string path = AndroidTokenApi) =>
        ErrorCode(await CallAsync(action, parameters, path));

    /// <summary>The object holding an action's fields in either envelope (for setting up, not for asserting placement).</summary>
    public static JsonElement Fields(JsonElement root)
    {
        if (root.TryGetProperty("Response", out var response))
        {
            Assert.False(response.TryGetProperty("Error", out _), root.ToString());
            return response.GetProperty("Data");
        }
        var data = Data(root);
        return data.TryGetProperty("Data", out var wrapped) ? wrapped : data;
    }

    public async Task<JsonElement> FieldsAsync(string action, Dictionary<string, object?>? parameters = null) =>
        Fields(await CallAsync(action, parameters));

    public async Task<string> FamilyAsync(string name = "Home") =>
        (await FieldsAsync("AppCreateFamily", new() { ["Name"] = name })).GetProperty("FamilyId").GetString()!;

    public async Task<string> RoomAsync(string familyId, string name = "Kitchen") =>
        (await FieldsAsync("AppCreateRoom", new() { ["FamilyId"] = familyId, ["Name"] = name })).GetProperty("RoomId").GetString()!;

    /// <summary>A token the device has reported (state 2), ready to bind.</summary>
    public async Task<string> ReportedTokenAsync(DeviceClient device, Dictionary<string, object?>? parameters = null)
    {
        var token = (await FieldsAsync("AppCreateDeviceBindToken", parameters)).GetProperty("Token").GetString()!;
        await device.ReportTokenOkAsync(token);
        return token;
    }

    /// <summary>Android's wifiBindDevice: Token, FamilyId, ProductId, DeviceName and no RoomId.</summary>
    public static Dictionary<string, object?> AndroidBind(string token, Tenant.Device device, string familyId) => new()
    {
        ["Token"] = token,
        ["FamilyId"] = familyId,
        ["ProductId"] = device.Pk,
        ["DeviceName"] = device.Dk,
    };

    /// <summary>A device bound into <paramref name="familyId"/> by token.</summary>
    public async Task BindAsync(TencentClientFixture fx, Tenant.Device device, string familyId)
    {
        var token = await ReportedTokenAsync(fx.DeviceClient(device));
        Fields(await CallAsync("AppTokenBindDeviceFamily", AndroidBind(token, device, familyId)));
    }
}
