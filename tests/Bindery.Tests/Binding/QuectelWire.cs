using System.Text.Json;
using System.Text.Json.Serialization;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>
/// The answers of the <c>/v2/binding/enduserapi</c> calls around the bind, parsed as the Quectel app SDK's beans do
/// (the Acceleronix sample's <c>bean/UserDeviceList.java</c>, Gson): the SDK's field names, numbers strict (a JSON
/// boolean or string where the bean has an <c>int</c> throws, as it makes Gson throw), members the bean does not
/// know skipped, every constructor parameter required.
/// </summary>
public static class QuectelWire
{

    public sealed record Envelope<T>(int Code, string Msg, string ExtMsg, T Data);

    /// <summary>PageHelper's PageInfo as the sample's <c>UserDeviceList.DataBean</c> reads it.</summary>
    public sealed record PageBean<T>(
        int Total, List<T> List, int PageNum, int PageSize, int Size, int Pages,
        bool IsFirstPage, bool IsLastPage, bool HasPreviousPage, bool HasNextPage);

    /// <summary>
    /// <c>UserDeviceList.DataBean.ListBean</c>'s fields (plus the documented <c>bindingType</c>, <c>deviceBindTimeTs</c>,
    /// <c>fid</c>, <c>frid</c>, <c>logoImage</c>), with the bean's types.
    /// </summary>
    public sealed record DeviceBean(
        string DeviceKey, string ProductKey, string DeviceName, string DeviceBindTime, long DeviceBindTimeTs,
        string ProductName, string Uid, int DeviceType, string? OwnerUid, string? ShareCode, string? AuthKey,
        int Verified, int Status, int CapabilitiesBitmask, int BindingType, string? Fid, string? Frid, string LogoImage);

    public sealed record UnbindBean(int BindingSum);

    public sealed record PreCheckBean(bool ActiveBluetooth, int BindingMode, string ProductLogo, string ProductName);

    public static async Task<Envelope<T>> ReadAsync<T>(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            try
            {
                return JsonSerializer.Deserialize<Envelope<T>>(text, SdkBeans.Strict)!;
            }
            catch (JsonException e)
            {
                Assert.Fail($"the SDK's bean parse throws on {text}: {e.Message}");
                throw;
            }
        }
    }

    /// <summary>Parses the envelope strictly and asserts success.</summary>
    public static async Task<T> OkAsync<T>(HttpResponseMessage response)
    {
        var envelope = await ReadAsync<JsonElement>(response);
        Assert.True(envelope.Code == 200, $"answered {envelope.Code} {envelope.Msg} {envelope.ExtMsg}");
        return envelope.Data.Deserialize<T>(SdkBeans.Strict)!;
    }

    public static async Task<int> CodeAsync(HttpResponseMessage response) => (await ReadAsync<JsonElement>(response)).Code;

    // The SDK's requests, replayed as the SDK sends them: every parameter in the query string.
    private const string Base = BindingApi.Base;

    public static Task<HttpResponseMessage> Unbind(HttpClient client, string pk, string dk, params (string Name, object? Value)[] extra) =>
        client.DeleteAsync($"{Base}/unbundlingDeviceDk?{BindingApi.Query([("pk", pk), ("dk", dk), .. extra])}");

    public static Task<HttpResponseMessage> PreCheck(HttpClient client, string pk, params (string Name, object? Value)[] extra) =>
        client.GetAsync($"{Base}/getDeviceInfoByBinding?{BindingApi.Query([("pk", pk), .. extra])}");

    public static Task<HttpResponseMessage> List(HttpClient client, params (string Name, object? Value)[] query) =>
        client.GetAsync($"{Base}/userDeviceList?{BindingApi.Query(query)}");

    public static Task<HttpResponseMessage> DeviceInfo(HttpClient client, params (string Name, object? Value)[] query) =>
        client.GetAsync($"{Base}/deviceInfo?{BindingApi.Query(query)}");

    public static Task<HttpResponseMessage> Rename(HttpClient client, string pk, string dk, string? deviceName) =>
        client.PutAsync($"{Base}/setDeviceInfo?{BindingApi.Query(("pk", pk), ("dk", dk), ("deviceName", deviceName))}", null);

    public static Task<HttpResponseMessage> ShareByUid(HttpClient client, string pk, string dk, params (string Name, object? Value)[] recipient) =>
        client.PostAsync($"{Base}/shareByUid?{BindingApi.Query([("pk", pk), ("dk", dk), .. recipient])}", null);

    public static Task<HttpResponseMessage> AcceptShare(HttpClient client, string? shareCode, string? deviceName = null) =>
        client.PostAsync($"{Base}/shareDevice?{BindingApi.Query(("shareCode", shareCode), ("deviceName", deviceName))}", null);

    /// <summary>The user's whole list (one page of 100), strictly parsed.</summary>
    public static async Task<List<DeviceBean>> DevicesAsync(Tenant.User user) =>
        (await OkAsync<PageBean<DeviceBean>>(await List(user.Client, ("page", 1), ("pageSize", 100)))).List;
}
