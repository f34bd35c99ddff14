using System.Text.Json;
using Bindery.Storage;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Sharing;

/// <summary>
/// A server with low sharing limits (so tests can reach them) and the default guessing limits; one per test class.
/// Times on the Quectel wire are Unix milliseconds of the server's (shiftable) clock.
/// </summary>
public sealed class SharingFixture() : BindingFixture(new Dictionary<string, string?>
{
    ["Sharing:MaxSharesPerDevice"] = SharingFixture.SharesPerDevice.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Sharing:MaxOpenCodesPerDevice"] = SharingFixture.OpenCodesPerDevice.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Sharing:MaxSharedDevicesPerUser"] = SharingFixture.SharedDevicesPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture),
    // The race tests register many users in one user domain.
    ["Bindery:Accounts:RegistrationsPerUserDomain"] = "1000",
})
{
    public const int SharesPerDevice = 6;
    public const int OpenCodesPerDevice = 3;
    public const int SharedDevicesPerUser = 3;
}

/// <summary>The app side of the Quectel-style sharing endpoints; each call returns the whole envelope.</summary>
public static class ShareApi
{
    private const string Base = BindingApi.Base;

    private static string Q(params (string Name, object? Value)[] parameters) => BindingApi.Query(parameters);

    /// <summary>POST shareInfo?pk&amp;dk&amp;acceptingExpireAt[&amp;sharingExpireAt&amp;coverMark] → data: the full code.</summary>
    public static async Task<JsonElement> ShareInfoAsync(HttpClient client, string? pk, string? dk, long? acceptingExpireAt,
        long? sharingExpireAt = null, int? coverMark = null) =>
        await (await client.PostAsync($"{Base}/shareInfo?{Q(("pk", pk), ("dk", dk), ("acceptingExpireAt", acceptingExpireAt), ("sharingExpireAt", sharingExpireAt), ("coverMark", coverMark))}", null)).ReadEnvelopeAsync();

    /// <summary>POST shareByUid?pk&amp;dk&amp;… → data: the handle.</summary>
    public static async Task<JsonElement> ShareByUidAsync(HttpClient client, string pk, string dk, params (string Name, object? Value)[] rest) =>
        await (await client.PostAsync($"{Base}/shareByUid?{Q([("pk", pk), ("dk", dk), .. rest])}", null)).ReadEnvelopeAsync();

    /// <summary>POST shareDevice?shareCode[&amp;deviceName] → data {pk, dk, shareCode, ownerUid, authKey, …}.</summary>
    public static async Task<JsonElement> AcceptAsync(HttpClient client, string? shareCode, string? deviceName = null) =>
        await (await client.PostAsync($"{Base}/shareDevice?{Q(("shareCode", shareCode), ("deviceName", deviceName))}", null)).ReadEnvelopeAsync();

    public static async Task<JsonElement> UsersAsync(HttpClient client, string? pk, string? dk) =>
        await (await client.GetAsync($"{Base}/deviceShareUserList?{Q(("pk", pk), ("dk", dk))}")).ReadEnvelopeAsync();

    public static async Task<JsonElement> RevokeAsync(HttpClient client, string? shareCode) =>
        await (await client.DeleteAsync($"{Base}/ownerUserUnshareDevice?{Q(("shareCode", shareCode))}")).ReadEnvelopeAsync();

    public static async Task<JsonElement> LeaveAsync(HttpClient client, string? shareCode) =>
        await (await client.DeleteAsync($"{Base}/shareUserUnshareDevice?{Q(("shareCode", shareCode))}")).ReadEnvelopeAsync();

    public static async Task<JsonElement> SetTimeAsync(HttpClient client, string? shareCode, long? sharingExpireAt) =>
        await (await client.PutAsync($"{Base}/setShareTime?{Q(("shareCode", shareCode), ("sharingExpireAt", sharingExpireAt))}", null)).ReadEnvelopeAsync();

    public static async Task<JsonElement> RenameAsync(HttpClient client, string? shareCode, string? deviceName) =>
        await (await client.PutAsync($"{Base}/changeShareDeviceName?{Q(("shareCode", shareCode), ("deviceName", deviceName))}", null)).ReadEnvelopeAsync();

    /// <summary>The caller's whole device list (one page of 100).</summary>
    public static async Task<List<JsonElement>> DevicesAsync(HttpClient client) =>
        (await BindingApi.ListAsync(client, 1, 100)).Data().GetProperty("list").EnumerateArray().ToList();

    public static string Ok(JsonElement envelope)
    {
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data().ValueKind == JsonValueKind.String ? envelope.Data().GetString()! : envelope.Data().ToString();
    }
}

/// <summary>Shared steps of the sharing tests: a device bound with proof, a share accepted, the device's authKey check.</summary>
public sealed class ShareSteps(BindingFixture fx)
{
    public long Now => fx.App.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    public long In(TimeSpan span) => Now + (long)span.TotalMilliseconds;

    public IDatabase Db => fx.App.Services.GetRequiredService<IDatabase>();

    /// <summary>A multi-user device bound over Wi-Fi (with proof) by a fresh owner.</summary>
    public async Task<(Tenant.Device Device, Tenant.User Owner, string OwnerAuthKey)> OwnedDeviceAsync(int mode = 1)
    {
        var product = await fx.Tenant.CreateProductAsync(mode, userCap: 5, methods: ["SN", "WIFI"]);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var owner = await fx.Tenant.CreateUserAsync();
        var bound = await BindingApi.BindWifiOkAsync(fx, owner, device);
        return (device, owner, bound.GetProperty("authKey").GetString()!);
    }

    /// <summary>An open code for the device, acceptable for an hour.</summary>
    public async Task<string> CodeAsync(Tenant.User owner, Tenant.Device device, long? sharingExpireAt = null, int? coverMark = null) =>
        ShareApi.Ok(await ShareApi.ShareInfoAsync(owner.Client, device.Pk, device.Dk, In(TimeSpan.FromHours(1)), sharingExpireAt, coverMark));

    /// <summary>Accepts and returns the answer's data (asserting success).</summary>
    public static async Task<JsonElement> AcceptOkAsync(Tenant.User recipient, string code, string? deviceName = null)
    {
        var envelope = await ShareApi.AcceptAsync(recipient.Client, code, deviceName);
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return envelope.Data();
    }

    /// <summary>The device asks whether an authKey is live, signing with the server's clock (tests move it).</summary>
    public async Task<(bool Valid, string? BindingType)> VerifyAsync(Tenant.Device device, string authKey)
    {
        var response = await fx.DeviceClient(device).SendAsync(HttpMethod.Post, "/device/v1/auth-key/verify", new { authKey },
            timestamp: fx.App.Clock.GetUtcNow().ToUnixTimeSeconds());
        var envelope = await response.ReadEnvelopeAsync();
        Assert.True(envelope.Code() == 200, envelope.ToString());
        var data = envelope.Data();
        var type = data.GetProperty("bindingType");
        return (data.GetProperty("valid").GetBoolean(), type.ValueKind == JsonValueKind.String ? type.GetString() : null);
    }

    /// <summary>The device's share events in order: (kind, user, actor type, actor id).</summary>
    public async Task<List<(string Kind, string? UserId, string ActorType, string? ActorId)>> ShareEventsAsync(Tenant.Device device) =>
        (await Db.ReadAsync(c => c.QueryAsync<(string, string?, string, string?)>(
            "SELECT kind, user_id, actor_type, actor_id FROM binding_events WHERE pk = @Pk AND dk = @Dk AND method = 'SHARE' ORDER BY seq",
            new { device.Pk, device.Dk }))).ToList();

    /// <summary>Moves the server clock for the duration of a test step, then back.</summary>
    public async Task WithClockAdvancedAsync(TimeSpan by, Func<Task> step)
    {
        fx.App.Clock.Advance(by);
        try
        {
            await step();
        }
        finally
        {
            fx.App.Clock.Advance(-by);
        }
    }
}
