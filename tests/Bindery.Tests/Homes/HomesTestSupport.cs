using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>Shortcuts for the family API.</summary>
public static class Family
{
    public const string Api = "/v2/family/enduserapi/";


    public static Task<JsonElement> PostAsync(Tenant.User user, string action, object body) => Seed.PostAsync(user.Client, Api + action, body);

    public static Task<JsonElement> PostOkAsync(Tenant.User user, string action, object body) => Tenant.PostOkAsync(user.Client, Api + action, body);

    public static Task<JsonElement> GetAsync(Tenant.User user, string actionAndQuery) => Seed.GetAsync(user.Client, Api + actionAndQuery);

    public static async Task<JsonElement[]> ListAsync(Tenant.User user, string actionAndQuery) => (await Seed.GetOkAsync(user.Client, Api + actionAndQuery)).Items();

    /// <summary>Any method, JSON body (or none), the whole envelope back.</summary>
    public static async Task<JsonElement> SendAsync(Tenant.User user, HttpMethod method, string actionAndQuery, object? body = null)
    {
        using var request = new HttpRequestMessage(method, Api + actionAndQuery);
        if (body is not null)
        {
            request.Content = body as HttpContent ?? JsonContent.Create(body);
        }
        return await (await user.Client.SendAsync(request)).ReadEnvelopeAsync();
    }

    public static async Task<JsonElement> SendOkAsync(Tenant.User user, HttpMethod method, string actionAndQuery, object? body = null)
    {
        var envelope = await SendAsync(user, method, actionAndQuery, body);
        Assert.True(envelope.Code() == 200, $"{method} {actionAndQuery} answered {envelope}");
        return envelope.Data();
    }

    /// <summary><c>action?name=value&amp;…</c> with the values escaped; null values are left out.</summary>
    public static string Q(string action, params (string Name, object? Value)[] parameters) =>
        action + "?" + string.Join("&", parameters.Where(p => p.Value is not null)
            .Select(p => $"{p.Name}={Uri.EscapeDataString(Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)!)}"));

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The data of an answer parsed strictly into <typeparamref name="T"/>.</summary>
    public static T Parse<T>(JsonElement data) => data.Deserialize<T>(SdkBeans.Strict) ?? throw new InvalidOperationException("data is null");

    public static async Task<Page<T>> PageAsync<T>(Tenant.User user, string actionAndQuery) =>
        Parse<Page<T>>(await Seed.GetOkAsync(user.Client, Api + actionAndQuery));

    public static Task<Page<FamilyDeviceItem>> DevicesAsync(Tenant.User user, string actionAndQuery) => PageAsync<FamilyDeviceItem>(user, actionAndQuery);

    /// <summary>A domain with an owner, an admin, a regular member and a stranger, and the owner's family.</summary>
    public static async Task<Household> HouseholdAsync(BinderyApp app, bool homeMode = true)
    {
        var domain = await Seed.UserDomainAsync(app, homeMode);
        var owner = await Seed.UserAsync(app, domain);
        var admin = await Seed.UserAsync(app, domain);
        var member = await Seed.UserAsync(app, domain);
        var stranger = await Seed.UserAsync(app, domain);
        var fid = await Tenant.CreateFamilyAsync(owner);
        await Tenant.AddMemberAsync(owner, fid, admin, 2);
        await Tenant.AddMemberAsync(owner, fid, member, 3);
        return new Household(domain, fid, owner, admin, member, stranger);
    }
}

public sealed record Household(string Domain, string Fid, Tenant.User Owner, Tenant.User Admin, Tenant.User Member, Tenant.User Stranger);

/// <summary>The PageHelper <c>PageInfo</c> fields the SDK reads.</summary>
public sealed record Page<T>(List<T> List, long Total, int PageNum, int PageSize, int Size, int Pages);

public sealed record FamilyItem(string Fid, string FamilyName, string FamilyLocation, string FamilyCoordinates, int MemberRole, long AddTime, long AddTimeTs);

public sealed record RoomItem(string Frid, string RoomName, int RoomSort, int DeviceCount);

public sealed record MemberItem(string Uid, string MemberName, int MemberRole, string AcceptTime, long AcceptTimeTs);

/// <summary>A "Query Family Device List" item with the fields Bindery answers, typed as the real API types them.</summary>
public sealed record FamilyDeviceItem(
    string ProductKey, string DeviceKey, string DeviceName, int BindingType, int DeviceType, string Fid, string Frid, string RoomName,
    bool IsCommonUsed, string DeviceBindTime, long DeviceBindTimeTs, int CapabilitiesBitmask, string ProductName, string LogoImage);

public sealed record BatchFailure(int Code, string Msg);

public sealed record Batch(List<JsonElement> SuccessList, List<BatchFailure> FailureList);

public sealed record FamilyModeConfig(bool EnabledFamilyMode, bool EnabledAutoSwitch);
