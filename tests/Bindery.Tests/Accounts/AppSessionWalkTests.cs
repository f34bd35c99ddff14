using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bindery.Infrastructure;
using Bindery.Tencent;
using Bindery.Tests.Support;
using static Bindery.Tests.Accounts.QuecSdk;

namespace Bindery.Tests.Accounts;

/// <summary>
/// A whole session of an app built on the Quectel app SDK, in the order a user lives it, every request in the shape
/// the SDK sends (forms where it posts forms, JSON where the documents say JSON), every answer parsed strictly into
/// the SDK's beans: register, log in, create a family and a room, bind a Wi-Fi device, list it, rename it, move it
/// into the room, unbind it, log out, and find the refresh token dead after the logout.
/// </summary>
public sealed class AppSessionWalkTests(AppAccountsApp app) : IClassFixture<AppAccountsApp>
{
    private const string Password = "a long passphrase 4 the app";

    // The beans: property names and types as the app's parser declares them (an int is never a boolean).
    private sealed record Added(string Fid, string FamilyName, int MemberRole);

    private sealed record Room(string Frid, string RoomName);

    private sealed record WifiBound(string AuthKey, int BindingMode, string ProductLogo, string ProductName);

    private sealed record Page<T>(List<T> List, long Total, int PageNum, int PageSize, int Pages);

    private sealed record DeviceBean(string ProductKey, string DeviceKey, string DeviceName, int BindingType, int DeviceType,
        int Verified, string Fid, string? Frid, int CapabilitiesBitmask, string DeviceBindTime, long DeviceBindTimeTs);

    private sealed record RoomDevice(string ProductKey, string DeviceKey, string DeviceName, string Frid);

    private sealed record Unbound(int BindingSum);

    private static async Task<T> DataAsync<T>(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        Assert.True(document.RootElement.GetProperty("code").GetInt32() == Envelope.SuccessCode, $"{response.RequestMessage?.RequestUri?.AbsolutePath} answered {body}");
        return document.RootElement.GetProperty("data").Deserialize<T>(SdkBeans.Strict) ?? throw new InvalidOperationException("data is null");
    }

    /// <summary>A call whose success answers no data (<c>data: null</c>).</summary>
    private static async Task OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("code").GetInt32() == Envelope.SuccessCode, $"{response.RequestMessage?.RequestUri?.AbsolutePath} answered {body}");
    }

    private static FormUrlEncodedContent Form(params (string Name, string? Value)[] fields) =>
        new(fields.Where(f => f.Value is not null).Select(f => new KeyValuePair<string, string>(f.Name, f.Value!)));

    [Fact]
    public async Task An_app_user_lives_a_whole_session_from_registration_to_logout()
    {
        var tenant = await Tenant.CreateAsync(app, homeMode: true);
        var product = await tenant.CreateProductAsync(bindingMode: 2, methods: ["WIFI"]);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        using var anonymous = app.CreateClient();
        var email = $"walk{Guid.NewGuid().ToString("N")[..8]}@example.com";

        // Register: the code is mailed (captured here), the password goes encrypted under a fresh random.
        await OkAsync(await anonymous.PostAsync("/v2/mail/enduserapi/v2/sendEmail",
            Form(("email", email), ("emailType", "1"), ("userDomain", tenant.DomainId))));
        var code = app.Codes.Last(email, VerificationCodes.Register);
        var random = NewRandom();
        await DataAsync<Registered>(await anonymous.PostAsJsonAsync("/v2/enduser/enduserapi/v2/emailPwdRegister",
            new { email, pwd = EncryptPwd(Password, random), random, code, userDomain = tenant.DomainId }));

        // Log in as the SDK does: a form body, AES password, SHA-256 signature with the user domain's secret.
        var login = await DataAsync<LoginToken>(await anonymous.PostAsync("/v2/enduser/enduserapi/emailPwdLogin",
            Form(EmailLogin(tenant.DomainId, tenant.DomainSecret, email, Password))));
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", login.AccessToken.Token);

        // A family (JSON, as documented) and a room in it (query parameters posted as a form).
        var family = await DataAsync<Added>(await client.PostAsJsonAsync("/v2/family/enduserapi/addFamily", new { familyName = "Flat" }));
        Assert.Equal(1, family.MemberRole);
        var room = await DataAsync<Room>(await client.PostAsync("/v2/family/enduserapi/addFamilyRoom",
            Form(("fid", family.Fid), ("roomName", "Kitchen"))));

        // The device reports its binding code; the app binds it over Wi-Fi into the family (seed 001's body).
        var code16 = await new DeviceClient(app.CreateClient(), device).ReportNewCodeAsync();
        var bound = await DataAsync<WifiBound>(await client.PostAsJsonAsync("/v2/binding/enduserapi/v2/deviceBindingByWifi", new
        {
            productKey = device.Pk, deviceKey = device.Dk, bindingCode = code16, deviceName = "", fid = family.Fid, frid = "",
            capabilitiesBitmask = 0, isCommonDevice = true,
        }));
        Assert.Equal(2, bound.BindingMode);

        // The device list, in the SDK's bean: ints are ints.
        var list = await DataAsync<Page<DeviceBean>>(await client.GetAsync("/v2/binding/enduserapi/userDeviceList?page=1&pageSize=10"));
        var listed = Assert.Single(list.List);
        Assert.Equal((device.Pk, device.Dk, 2, 1, 1, family.Fid), (listed.ProductKey, listed.DeviceKey, listed.BindingType, listed.DeviceType, listed.Verified, listed.Fid));
        Assert.Equal((1L, 1, 1), (list.Total, list.PageNum, list.Pages));

        // Rename it, then move it into the kitchen.
        await OkAsync(await client.PutAsync("/v2/binding/enduserapi/setDeviceInfo",
            Form(("pk", device.Pk), ("dk", device.Dk), ("deviceName", "Kettle"))));
        Assert.Equal("Kettle", Assert.Single((await DataAsync<Page<DeviceBean>>(await client.GetAsync("/v2/binding/enduserapi/userDeviceList"))).List).DeviceName);
        await DataAsync<JsonElement>(await client.PostAsJsonAsync("/v2/family/enduserapi/addDeviceInFamilyRoom",
            new[] { new { pk = device.Pk, dk = device.Dk, oldFrid = "", newFrid = room.Frid } }));
        var inKitchen = await DataAsync<Page<RoomDevice>>(await client.GetAsync($"/v2/family/enduserapi/getFamilyRoomDeviceList?frid={room.Frid}"));
        Assert.Equal(("Kettle", room.Frid), (Assert.Single(inKitchen.List).DeviceName, inKitchen.List[0].Frid));

        // Unbind it: nobody holds it any more, and it is gone from every list.
        var unbound = await DataAsync<Unbound>(await client.DeleteAsync($"/v2/binding/enduserapi/unbundlingDeviceDk?pk={device.Pk}&dk={device.Dk}"));
        Assert.Equal(0, unbound.BindingSum);
        Assert.Empty((await DataAsync<Page<DeviceBean>>(await client.GetAsync("/v2/binding/enduserapi/userDeviceList"))).List);
        Assert.Empty((await DataAsync<Page<RoomDevice>>(await client.GetAsync($"/v2/family/enduserapi/getFamilyRoomDeviceList?frid={room.Frid}"))).List);

        // Log out: the access token is dead at once, and so is the refresh token that came with it.
        await OkAsync(await client.DeleteAsync("/v2/enduser/enduserapi/userLogout"));
        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(await client.GetAsync("/v2/enduser/enduserapi/userInfo")));
        Assert.Equal(Errors.TokenVerificationFailed.Code, await CodeAsync(await anonymous.PutAsync("/v2/enduser/enduserapi/refreshToken",
            Form(("refreshToken", login.RefreshToken.Token)))));
    }
}
