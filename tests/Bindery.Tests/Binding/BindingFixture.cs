using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>One server per test class, with a plain user domain and a home-mode one; tests make their own products and devices.</summary>
public class BindingFixture : IAsyncLifetime
{
    public BindingFixture()
        : this(null)
    {
    }

    /// <summary>A server with some settings of its own (e.g. low limits a test wants to reach).</summary>
    protected BindingFixture(IDictionary<string, string?>? settings) => App = new BinderyApp(settings);

    public BinderyApp App { get; }

    public Tenant Tenant { get; private set; } = null!;

    public Tenant HomeTenant { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Tenant = await Tenant.CreateAsync(App);
        HomeTenant = await Tenant.CreateAsync(App, homeMode: true);
    }

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }

    public DeviceClient DeviceClient(Tenant.Device device) => new(App.CreateClient(), device);
}

/// <summary>The app side of the /v2/binding/enduserapi endpoints; each call returns the whole envelope.</summary>
public static class BindingApi
{
    public const string Base = "/v2/binding/enduserapi";

    /// <summary>The device reports a fresh code and <paramref name="user"/> binds with it over Wi-Fi; the authKey and the code it consumed.</summary>
    public static async Task<(string AuthKey, string Code)> BindWifiOkAsync(DeviceClient side, Tenant.User user, Tenant.Device device)
    {
        var code = await side.ReportNewCodeAsync();
        var envelope = await BindWifiAsync(user.Client, WifiBody(device, code));
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return (envelope.Data().GetProperty("authKey").GetString()!, code);
    }

    /// <summary><paramref name="user"/> binds by the device's serial number; the authKey.</summary>
    public static async Task<string> BindSnOkAsync(Tenant.User user, Tenant.Device device)
    {
        var envelope = await BindSnAsync(user.Client, device.Pk, device.Sn);
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data().GetProperty("authKey").GetString()!;
    }

    public static string Query(params (string Name, object? Value)[] parameters) =>
        string.Join('&', parameters.Where(p => p.Value is not null).Select(p =>
            $"{p.Name}={Uri.EscapeDataString(p.Value is bool b ? (b ? "true" : "false") : Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)!)}"));

    public static async Task<JsonElement> BindSnAsync(HttpClient client, string? pk, string? sn, params (string Name, object? Value)[] extra)
    {
        var query = Query([("pk", pk), ("sn", sn), .. extra]);
        return await (await client.PostAsync($"{Base}/bindDeviceSn?{query}", null)).ReadEnvelopeAsync();
    }

    public static async Task<JsonElement> BindWifiAsync(HttpClient client, object body) =>
        await (await client.PostAsJsonAsync($"{Base}/v2/deviceBindingByWifi", body)).ReadEnvelopeAsync();

    public static async Task<JsonElement> BindPureBtAsync(HttpClient client, object body) =>
        await (await client.PostAsJsonAsync($"{Base}/deviceBindingByPureBt", body)).ReadEnvelopeAsync();

    /// <summary>DELETE unbundlingDeviceDk?pk&amp;dk[&amp;isInit&amp;pureBtResetCredentials&amp;random] → data {bindingSum}.</summary>
    public static async Task<JsonElement> UnbindAsync(HttpClient client, string pk, string dk, params (string Name, object? Value)[] extra) =>
        await (await client.DeleteAsync($"{Base}/unbundlingDeviceDk?{Query([("pk", pk), ("dk", dk), .. extra])}")).ReadEnvelopeAsync();

    public static async Task<JsonElement> ListAsync(HttpClient client, int page = 1, int pageSize = 10) =>
        await (await client.GetAsync($"{Base}/userDeviceList?{Query(("page", page), ("pageSize", pageSize))}")).ReadEnvelopeAsync();

    /// <summary>POST shareByUid?pk&amp;dk&amp;username (or shareUid/email/phone) → data "share_dv_…" (the share code).</summary>
    public static async Task<JsonElement> ShareAsync(HttpClient client, string pk, string dk, string username) =>
        await ShareByAsync(client, pk, dk, ("username", username));

    public static async Task<JsonElement> ShareByAsync(HttpClient client, string pk, string dk, params (string Name, object? Value)[] recipient) =>
        await (await client.PostAsync($"{Base}/shareByUid?{Query([("pk", pk), ("dk", dk), .. recipient])}", null)).ReadEnvelopeAsync();

    /// <summary>POST shareDevice?shareCode[&amp;deviceName]: the addressed recipient accepts → data {}.</summary>
    public static async Task<JsonElement> AcceptShareAsync(HttpClient client, string shareCode, string? deviceName = null) =>
        await (await client.PostAsync($"{Base}/shareDevice?{Query(("shareCode", shareCode), ("deviceName", deviceName))}", null)).ReadEnvelopeAsync();

    public static Dictionary<string, object?> WifiBody(Tenant.Device device, string? code) => new()
    {
        ["productKey"] = device.Pk,
        ["deviceKey"] = device.Dk,
        ["bindingCode"] = code,
    };

    /// <summary>
    /// Binds over Wi-Fi with a freshly reported code (and a bindingSecret, which products that also bind over
    /// Bluetooth require) and returns the data, asserting success.
    /// </summary>
    public static async Task<JsonElement> BindWifiOkAsync(BindingFixture fixture, Tenant.User user, Tenant.Device device)
    {
        var deviceSide = fixture.DeviceClient(device);
        await deviceSide.ReportBindingSecretAsync(DeviceClient.NewSecret());
        var code = await deviceSide.ReportNewCodeAsync();
        var envelope = await BindWifiAsync(user.Client, WifiBody(device, code));
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data();
    }
}
