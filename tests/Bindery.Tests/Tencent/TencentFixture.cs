using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// One server per test class with a home-mode user domain and a per-family device limit of 2 (so the limit is cheap
/// to reach); tests make their own products, devices, users and families.
/// </summary>
public sealed class TencentFixture : IAsyncLifetime
{
    public const int FamilyDeviceLimit = 2;

    public BinderyApp App { get; } = new(new Dictionary<string, string?> { ["Bindery:FamilyDeviceLimit"] = FamilyDeviceLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public Tenant Tenant { get; private set; } = null!;

    public async Task InitializeAsync() => Tenant = await Tenant.CreateAsync(App, homeMode: true);

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }

    public DeviceClient DeviceClient(Tenant.Device device) => new(App.CreateClient(), device);

    /// <summary>A product (multi-user unless told) with every method, and one device of it.</summary>
    public async Task<(Tenant.Product Product, Tenant.Device Device, DeviceClient DeviceSide)> DeviceAsync(int mode = 1, string[]? methods = null)
    {
        var product = await Tenant.CreateProductAsync(mode, methods: methods);
        var device = await Tenant.CreateDeviceAsync(product.Pk);
        return (product, device, DeviceClient(device));
    }

    /// <summary>A user with a family of their own, created through the Tencent-style API.</summary>
    public async Task<(Tenant.User User, TencentApi Api, string FamilyId)> UserWithFamilyAsync()
    {
        var user = await Tenant.CreateUserAsync();
        var api = new TencentApi(App.CreateClient(), user.Token);
        var family = await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" });
        return (user, api, family.GetProperty("FamilyId").GetString()!);
    }
}

/// <summary>The app side of <c>POST /api/exploreropen/tokenapi</c>: one client, one user's AccessToken.</summary>
public sealed class TencentApi(HttpClient http, string accessToken)
{
    public const string TokenApi = "/api/exploreropen/tokenapi";
    public const string AppApi = "/api/exploreropen/appapi";

    public HttpClient Http { get; } = http;

    public string AccessToken { get; } = accessToken;

    /// <summary>Posts Action + RequestId + AccessToken + <paramref name="parameters"/>; returns the <c>Response</c> object.</summary>
    public async Task<JsonElement> CallAsync(string action, Dictionary<string, object?>? parameters = null, string path = TokenApi)
    {
        var body = new Dictionary<string, object?>(parameters ?? [])
        {
            ["Action"] = action,
            ["AccessToken"] = AccessToken,
        };
        body.TryAdd("RequestId", Guid.NewGuid().ToString());
        var response = await Http.PostAsJsonAsync(path, body);
        return await ReadResponseAsync(response);
    }

    /// <summary>Asserts success and returns <c>Response.Data</c>.</summary>
    public async Task<JsonElement> OkAsync(string action, Dictionary<string, object?>? parameters = null)
    {
        var response = await CallAsync(action, parameters);
        Assert.False(response.TryGetProperty("Error", out _), $"{action} answered {response}");
        return response.GetProperty("Data");
    }

    /// <summary>Asserts failure and returns <c>Response.Error.Code</c>.</summary>
    public async Task<string> ErrorAsync(string action, Dictionary<string, object?>? parameters = null)
    {
        var response = await CallAsync(action, parameters);
        return ErrorCode(response);
    }

    public static string ErrorCode(JsonElement response)
    {
        Assert.True(response.TryGetProperty("Error", out var error), $"expected an error, got {response}");
        return error.GetProperty("Code").GetString()!;
    }

    /// <summary>Reads the envelope: HTTP 200, a JSON object with a <c>Response</c> that always carries a RequestId.</summary>
    public static async Task<JsonElement> ReadResponseAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"HTTP {(int)response.StatusCode}: {text}");
        var root = JsonDocument.Parse(text).RootElement;
        var inner = root.GetProperty("Response");
        Assert.False(string.IsNullOrEmpty(inner.GetProperty("RequestId").GetString()));
        return inner;
    }

    public async Task<string> CreateTokenAsync(int? length = null)
    {
        var data = await OkAsync("AppCreateDeviceBindToken", length is null ? null : new() { ["TokenLength"] = length });
        return data.GetProperty("Token").GetString()!;
    }

    public static Dictionary<string, object?> BindParameters(string token, Tenant.Device device, string familyId, string roomId = "0") => new()
    {
        ["Token"] = token,
        ["ProductId"] = device.Pk,
        ["DeviceName"] = device.Dk,
        ["FamilyId"] = familyId,
        ["RoomId"] = roomId,
    };

    public Task<JsonElement> BindAsync(string token, Tenant.Device device, string familyId, string roomId = "0") =>
        CallAsync("AppTokenBindDeviceFamily", BindParameters(token, device, familyId, roomId));
}

public static class BindTokenDevice
{
    /// <summary>POST /device/v1/bind-token {token}; returns the device API envelope.</summary>
    public static async Task<JsonElement> ReportTokenAsync(this DeviceClient device, string token)
    {
        var response = await device.SendAsync(HttpMethod.Post, "/device/v1/bind-token", new { token });
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task ReportTokenOkAsync(this DeviceClient device, string token)
    {
        var envelope = await device.ReportTokenAsync(token);
        Assert.True(envelope.GetProperty("code").GetInt32() == 200, $"token report answered {envelope}");
    }
}
