using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Homes;
using Bindery.Tencent;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// The client envelope <c>{"code":0,"msg":"","data":{…}}</c> the official Tencent apps parse (real-clients.md T1–T3),
/// beside the documented <c>{"Response":…}</c> form, for every served action.
/// </summary>
public sealed class TencentClientEnvelopeTests(TencentClientFixture fx) : IClassFixture<TencentClientFixture>
{
    /// <summary>
    /// Where the clients read each action's answer (real-clients.md T3), pinned here rather than read from the
    /// server's table: the field each test looks for, and whether it sits directly in <c>data</c> (flat) or in
    /// <c>data.Data</c>. Null field: the action answers nothing the clients read beyond <c>code</c>.
    /// </summary>
    private static readonly Dictionary<string, (string? Field, bool Flat)> Placement = new()
    {
        ["AppCreateDeviceBindToken"] = ("Token", true),
        ["AppGetDeviceBindTokenState"] = ("State", true),
        ["AppTokenBindDeviceFamily"] = (null, true),
        ["AppCreateFamily"] = ("FamilyId", false),
        ["AppGetFamilyList"] = ("FamilyList", true),
        ["AppDescribeFamily"] = ("FamilyId", false),
        ["AppModifyFamily"] = (null, true),
        ["AppDeleteFamily"] = (null, true),
        ["AppCreateRoom"] = ("RoomId", false),
        ["AppGetRoomList"] = ("Roomlist", true),
        ["AppModifyRoom"] = (null, true),
        ["AppDeleteRoom"] = (null, true),
        ["AppGetFamilyDeviceList"] = ("DeviceList", true),
        ["AppModifyFamilyDeviceRoom"] = (null, true),
        ["AppDeleteDeviceInFamily"] = (null, true),
        ["AppSendShareFamilyInvite"] = (null, true),
        ["AppCreateShareFamilyToken"] = ("ShareToken", true),
        ["AppJoinFamily"] = ("FamilyId", true),
        ["AppExitFamily"] = (null, true),
        ["AppDeleteFamilyMember"] = (null, true),
        ["AppGetFamilyMemberList"] = ("MemberList", true),
        ["AppModifyFamilyMemberRole"] = (null, true),
        ["AppTransferFamilyOwner"] = (null, true),
        ["AppGetUser"] = ("UserID", false),
        ["AppLogoutUser"] = (null, true),
        ["AppUpdateUser"] = (null, true),
        ["AppUserResetPassword"] = (null, true),
        ["AppCreateShareDeviceToken"] = ("ShareDeviceToken", true),
        ["AppDescribeShareDeviceToken"] = ("ShareDeviceTokenInfo", true),
        ["AppBindUserShareDevice"] = ("Status", true),
        ["AppListUserShareDevices"] = ("ShareDevices", true),
        ["AppRemoveUserShareDevice"] = ("Status", true),
        ["AppListShareDeviceUsers"] = ("Users", true),
        ["AppRemoveShareDeviceUser"] = ("Status", true),
        ["AppSendShareDeviceInvite"] = ("Status", true),
        ["AppBindSubDeviceInFamily"] = ("AppDeviceInfo", true),
        ["AppGetGatewayBindDeviceList"] = ("DeviceList", true),
        ["AppSigBindDeviceInFamily"] = ("AppDeviceInfo", true),
        ["AppSecureAddDeviceInFamily"] = ("AppDeviceInfo", true),
    };

    public static TheoryData<string> Actions => [.. TencentActions.Names];

    [Fact]
    public void Every_served_action_has_a_shape_and_a_pinned_placement()
    {
        Assert.Equal(TencentActions.Names.Order(), TencentActions.Shapes.Keys.Order());
        Assert.Equal(TencentActions.Names.Order(), Placement.Keys.Order());
        foreach (var (action, (_, flat)) in Placement)
        {
            Assert.Equal(flat ? TencentShape.Flat : TencentShape.Wrapped, TencentActions.Shapes[action]);
        }
    }

    [Theory]
    [MemberData(nameof(Actions))]
    public async Task Every_action_answers_in_both_envelopes_with_its_fields_where_the_clients_read_them(string action)
    {
        var (field, flat) = Placement[action];

        var client = await fx.UserAsync(fx.Client);
        var root = await client.CallAsync(action, await ParametersAsync(action, client, fx.Client));
        var data = ClientApi.Data(root);
        Assert.False(root.TryGetProperty("Response", out _));
        if (field is not null)
        {
            var holder = flat ? data : data.GetProperty("Data");
            Assert.True(holder.TryGetProperty(field, out _), $"{action}: no {field} in {root}");
            if (flat)
            {
                Assert.False(data.TryGetProperty("Data", out _), $"{action} must not be wrapped: {root}");
            }
            else
            {
                Assert.False(data.TryGetProperty(field, out _), $"{action} must be wrapped: {root}");
            }
        }

        var documented = await fx.UserAsync(fx.Documented);
        root = await documented.CallAsync(action, await ParametersAsync(action, documented, fx.Documented));
        Assert.False(root.TryGetProperty("code", out _));
        var response = root.GetProperty("Response");
        Assert.False(response.TryGetProperty("Error", out _), root.ToString());
        Assert.False(string.IsNullOrEmpty(response.GetProperty("RequestId").GetString()));
        var fields = response.GetProperty("Data");
        Assert.False(string.IsNullOrEmpty(fields.GetProperty("RequestId").GetString()));
        if (field is not null)
        {
            Assert.True(fields.TryGetProperty(field, out _), $"{action}: no Response.Data.{field} in {root}");
        }
    }

    /// <summary>A successful request of <paramref name="action"/> in the shapes the apps send, set up for a fresh user.</summary>
    private async Task<Dictionary<string, object?>> ParametersAsync(string action, ClientApi api, Tenant tenant)
    {
        switch (action)
        {
            case "AppCreateDeviceBindToken":
            case "AppGetUser":
            case "AppLogoutUser":
                return [];
            case "AppUpdateUser":
                return new() { ["NickName"] = "Ming", ["Avatar"] = "https://example.com/ming.png" };
            case "AppUserResetPassword":
                // Tenant.CreateUserAsync's users all have this password.
                return new() { ["Password"] = "correct horse battery staple", ["NewPassword"] = "a brand new passphrase" };
            case "AppGetDeviceBindTokenState":
                return new() { ["Token"] = (await api.FieldsAsync("AppCreateDeviceBindToken")).GetProperty("Token").GetString() };
            case "AppCreateFamily":
                return new() { ["Name"] = "Home", ["Address"] = "" };
            case "AppGetFamilyList":
                await api.FamilyAsync();
                return new() { ["Offset"] = 0, ["Limit"] = 999 };
        }
        var familyId = await api.FamilyAsync();
        switch (action)
        {
            case "AppDescribeFamily":
            case "AppDeleteFamily":
                return new() { ["FamilyId"] = familyId };
            case "AppModifyFamily":
                return new() { ["FamilyId"] = familyId, ["Name"] = "Renamed" };
            case "AppCreateRoom":
                return new() { ["FamilyId"] = familyId, ["Name"] = "Kitchen" };
            case "AppGetRoomList":
                await api.RoomAsync(familyId);
                return new() { ["FamilyId"] = familyId, ["Offset"] = 0, ["Limit"] = 999 };
            case "AppModifyRoom":
                return new() { ["FamilyId"] = familyId, ["RoomId"] = await api.RoomAsync(familyId), ["Name"] = "Hall" };
            case "AppDeleteRoom":
                return new() { ["FamilyId"] = familyId, ["RoomId"] = await api.RoomAsync(familyId) };
            case "AppGetFamilyMemberList":
                return new() { ["FamilyId"] = familyId, ["Offset"] = 0, ["Limit"] = 999 };
            case "AppCreateShareFamilyToken":
                return new() { ["FamilyId"] = familyId };
            case "AppSendShareFamilyInvite":
                return new() { ["FamilyId"] = familyId, ["ToUserID"] = await UserIdAsync(await fx.UserAsync(tenant)) };
            case "AppJoinFamily":
                return new() { ["ShareToken"] = await FamilyShareTokenAsync(await fx.UserAsync(tenant)) };
            case "AppExitFamily":
                var host = await fx.UserAsync(tenant);
                var joined = (await api.FieldsAsync("AppJoinFamily", new() { ["ShareToken"] = await FamilyShareTokenAsync(host) })).GetProperty("FamilyId").GetString();
                return new() { ["FamilyId"] = joined };
            case "AppDeleteFamilyMember":
            case "AppModifyFamilyMemberRole":
            case "AppTransferFamilyOwner":
                var guest = await fx.UserAsync(tenant);
                var token = (await api.FieldsAsync("AppCreateShareFamilyToken", new() { ["FamilyId"] = familyId })).GetProperty("ShareToken").GetString();
                await guest.FieldsAsync("AppJoinFamily", new() { ["ShareToken"] = token });
                return new() { ["FamilyId"] = familyId, ["MemberID"] = await UserIdAsync(guest), ["Role"] = 1 };
        }
        if (action is "AppSigBindDeviceInFamily" or "AppSecureAddDeviceInFamily")
        {
            return await SignedFreshDeviceAsync(action, tenant, familyId);
        }
        var device = await TencentClientFixture.DeviceAsync(tenant);
        if (action == "AppTokenBindDeviceFamily")
        {
            return ClientApi.AndroidBind(await api.ReportedTokenAsync(fx.DeviceClient(device)), device, familyId);
        }
        await api.BindAsync(fx, device, familyId);
        if (action == "AppListUserShareDevices")
        {
            await SharedWithAsync(tenant, api, accept: true);
            return new() { ["Offset"] = 0, ["Limit"] = 50 };
        }
        return action switch
        {
            "AppGetFamilyDeviceList" => new() { ["FamilyId"] = familyId, ["Offset"] = 0, ["Limit"] = 999 },
            "AppModifyFamilyDeviceRoom" => new()
            {
                ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk, ["RoomId"] = await api.RoomAsync(familyId),
            },
            "AppDeleteDeviceInFamily" => new() { ["FamilyId"] = familyId, ["DeviceId"] = device.Pk + "/" + device.Dk },
            "AppCreateShareDeviceToken" => new() { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk },
            "AppDescribeShareDeviceToken" => new() { ["ShareDeviceToken"] = await ShareTokenAsync(api, familyId, device) },
            "AppListShareDeviceUsers" => new() { ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk, ["Offset"] = 0, ["Limit"] = 100 },
            "AppSendShareDeviceInvite" => new()
            {
                ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk, ["ToUserID"] = (await tenant.CreateUserAsync()).Uid,
            },
            "AppRemoveShareDeviceUser" => new()
            {
                ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk, ["RemoveUserID"] = await AcceptedShareAsync(tenant, api, familyId, device),
            },
            "AppBindUserShareDevice" => await SharedWithAsync(tenant, api, accept: false),
            "AppRemoveUserShareDevice" => await SharedWithAsync(tenant, api, accept: true),
            "AppGetGatewayBindDeviceList" => new() { ["GatewayProductId"] = device.Pk, ["GatewayDeviceName"] = device.Dk, ["Offset"] = 0, ["Limit"] = 50 },
            "AppBindSubDeviceInFamily" => await PairedSubDeviceAsync(tenant, device),
            _ => throw new InvalidOperationException($"no scenario for {action}: add one here and a placement above"),
        };
    }

    private static async Task<string> ShareTokenAsync(ClientApi owner, string familyId, Tenant.Device device) =>
        (await owner.FieldsAsync("AppCreateShareDeviceToken", new() { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk }))
            .GetProperty("ShareDeviceToken").GetString()!;

    /// <summary>A new user of <paramref name="tenant"/> accepts a share of <paramref name="owner"/>'s device; returns their uid.</summary>
    private async Task<string> AcceptedShareAsync(Tenant tenant, ClientApi owner, string familyId, Tenant.Device device)
    {
        var recipient = await tenant.CreateUserAsync();
        var token = await ShareTokenAsync(owner, familyId, device);
        ClientApi.Fields(await new ClientApi(fx.App.CreateClient(), recipient.Token).CallAsync("AppBindUserShareDevice",
            new() { ["ShareDeviceToken"] = token, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk }));
        return recipient.Uid;
    }

    /// <summary>
    /// Another user shares a device of theirs with <paramref name="recipient"/> (accepted when told); returns the
    /// AppBindUserShareDevice parameters of that share (ProductId, DeviceName, ShareDeviceToken).
    /// </summary>
    private async Task<Dictionary<string, object?>> SharedWithAsync(Tenant tenant, ClientApi recipient, bool accept)
    {
        var owner = new ClientApi(fx.App.CreateClient(), (await tenant.CreateUserAsync()).Token);
        var familyId = await owner.FamilyAsync();
        var device = await TencentClientFixture.DeviceAsync(tenant);
        await owner.BindAsync(fx, device, familyId);
        var parameters = new Dictionary<string, object?>
        {
            ["ShareDeviceToken"] = await ShareTokenAsync(owner, familyId, device), ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk,
        };
        if (accept)
        {
            ClientApi.Fields(await recipient.CallAsync("AppBindUserShareDevice", parameters));
            parameters.Remove("ShareDeviceToken");
        }
        return parameters;
    }

    /// <summary>A new device of a SIG+QR product and what the app relays for it: the device's signature, or its label's QR signature.</summary>
    private static async Task<Dictionary<string, object?>> SignedFreshDeviceAsync(string action, Tenant tenant, string familyId)
    {
        var product = await tenant.CreateProductAsync(1, methods: ["SIG", "QR"]);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (action == "AppSecureAddDeviceInFamily")
        {
            return new()
            {
                ["FamilyId"] = familyId, ["RoomId"] = "0",
                ["DeviceSignature"] = Bindery.Protocol.QrDeviceSignature.Issue(device.DeviceSecret, device.Pk, device.Dk, now + 3600),
            };
        }
        return new()
        {
            ["FamilyId"] = familyId, ["RoomId"] = "0", ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk,
            ["DeviceTimestamp"] = now, ["ConnId"] = "abcde", ["SignMethod"] = "hmacsha1", ["BindType"] = "wifi_sign",
            ["Signature"] = Bindery.Protocol.TencentBindSignature.Sign(device.DeviceSecret, device.Pk, device.Dk, now, "abcde", "hmacsha1"),
        };
    }

    /// <summary>A sub-device the bound <paramref name="gateway"/> paired (signed); the AppBindSubDeviceInFamily parameters.</summary>
    private async Task<Dictionary<string, object?>> PairedSubDeviceAsync(Tenant tenant, Tenant.Device gateway)
    {
        var product = await tenant.CreateProductAsync(1, methods: ["SUB_DEVICE"]);
        var sub = await tenant.CreateDeviceAsync(product.Pk);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await fx.DeviceClient(gateway).OkAsync(HttpMethod.Post, "/device/v1/sub-devices", new
        {
            devices = new[] { new { pk = sub.Pk, dk = sub.Dk, random = 7L, timestamp = now, signMethod = "hmacsha256",
                signature = Bindery.Protocol.SubDeviceSignature.Compute(sub.DeviceSecret, sub.Pk, sub.Dk, 7, now) } },
        });
        return new() { ["GatewayProductId"] = gateway.Pk, ["GatewayDeviceName"] = gateway.Dk, ["ProductId"] = sub.Pk, ["DeviceName"] = sub.Dk };
    }

    private static async Task<string> UserIdAsync(ClientApi api) => (await api.FieldsAsync("AppGetUser")).GetProperty("UserID").GetString()!;

    /// <summary>A family share token of a fresh family of <paramref name="host"/>.</summary>
    private static async Task<string> FamilyShareTokenAsync(ClientApi host) =>
        (await host.FieldsAsync("AppCreateShareFamilyToken", new() { ["FamilyId"] = await host.FamilyAsync() })).GetProperty("ShareToken").GetString()!;

    [Fact]
    public async Task The_Android_provisioning_flow_succeeds_as_the_app_reads_it()
    {
        var api = await fx.UserAsync(fx.Client);
        var familyId = await api.FamilyAsync();
        var families = await api.OkAsync("AppGetFamilyList", new() { ["Offset"] = 0, ["Limit"] = 999 });
        var family = Assert.Single(families.GetProperty("FamilyList").EnumerateArray());
        Assert.Equal(familyId, family.GetProperty("FamilyId").GetString());
        Assert.Equal(1, family.GetProperty("Role").GetInt32());
        Assert.Equal(1, families.GetProperty("Total").GetInt32());

        var token = (await api.OkAsync("AppCreateDeviceBindToken")).GetProperty("Token").GetString()!;
        Assert.Equal(32, token.Length);
        Assert.Equal(1, (await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token })).GetProperty("State").GetInt32());
        var device = await TencentClientFixture.DeviceAsync(fx.Client);
        await fx.DeviceClient(device).ReportTokenOkAsync(token);
        Assert.Equal(2, (await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token })).GetProperty("State").GetInt32());

        await api.OkAsync("AppTokenBindDeviceFamily", ClientApi.AndroidBind(token, device, familyId));
        var devices = await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId, ["Offset"] = 0, ["Limit"] = 999 });
        var listed = Assert.Single(devices.GetProperty("DeviceList").EnumerateArray());
        Assert.Equal(device.Pk + "/" + device.Dk, listed.GetProperty("DeviceId").GetString());
        Assert.Equal("0", listed.GetProperty("RoomId").GetString());

        await api.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });
        Assert.Equal(0, (await api.OkAsync("AppGetFamilyDeviceList", new() { ["FamilyId"] = familyId, ["Limit"] = 999 })).GetProperty("Total").GetInt32());
    }

    [Fact]
    public async Task The_iOS_flow_posts_to_the_action_path_and_reads_the_room_list()
    {
        var api = await fx.UserAsync(fx.Client);
        var familyId = (await api.OkAsync(null, new() { ["Name"] = "Home" }, "/api/exploreropen/tokenapi/AppCreateFamily"))
            .GetProperty("Data").GetProperty("FamilyId").GetString()!;
        var roomId = (await api.OkAsync("AppCreateRoom", new() { ["FamilyId"] = familyId, ["Name"] = "Hall" }, "/api/exploreropen/tokenapi/AppCreateRoom"))
            .GetProperty("Data").GetProperty("RoomId").GetString()!;
        var rooms = await api.OkAsync(null, new() { ["FamilyId"] = familyId, ["Offset"] = 0, ["Limit"] = 0 }, "/api/exploreropen/tokenapi/AppGetRoomList");
        Assert.Equal(roomId, Assert.Single(rooms.GetProperty("RoomList").EnumerateArray()).GetProperty("RoomId").GetString());
        Assert.Equal(roomId, Assert.Single(rooms.GetProperty("Roomlist").EnumerateArray()).GetProperty("RoomId").GetString());

        var device = await TencentClientFixture.DeviceAsync(fx.Client);
        var token = (await api.OkAsync(null, null, "/api/exploreropen/tokenapi/AppCreateDeviceBindToken")).GetProperty("Token").GetString()!;
        await fx.DeviceClient(device).ReportTokenOkAsync(token);
        var bind = ClientApi.AndroidBind(token, device, familyId);
        bind["RoomId"] = roomId;
        await api.OkAsync(null, bind, "/api/exploreropen/tokenapi/AppTokenBindDeviceFamily");
        var devices = await api.OkAsync(null, new() { ["FamilyId"] = familyId, ["RoomId"] = roomId }, "/api/exploreropen/tokenapi/AppGetFamilyDeviceList");
        Assert.Single(devices.GetProperty("DeviceList").EnumerateArray());
    }

    public static TheoryData<string> Paths =>
    [
        "/api/exploreropen/tokenapi",
        "/api/exploreropen/tokenapi/",
        "/api/exploreropen/tokenapi/AppGetFamilyList",
        "/api/exploreropen/appapi",
        "/api/exploreropen/appapi/",
        "/api/exploreropen/appapi/AppGetFamilyList",
        "/api/studioapp",
        "/api/studioapp/",
        "/api/studioapp/AppGetFamilyList",
        "/api/studioapp/tokenapi",
        "/api/studioapp/tokenapi/",
        "/api/studioapp/tokenapi/AppGetFamilyList",
        "/api/studioapp/tokenapi?uin=100012345&cmd=AppDeleteFamily",
        "/api/exploreropen/tokenapi?uin=x&cmd=AppGetFamilyList",
        "/api/exploreropen/tokenapi/?action=AppDeleteFamily&Action=AppDeleteFamily",
    ];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Every_client_path_serves_the_actions_and_ignores_uin_and_cmd(string path)
    {
        var api = await fx.UserAsync(fx.Client);
        await api.FamilyAsync();
        var withBodyAction = await api.OkAsync("AppGetFamilyList", new() { ["Limit"] = 999 }, path);
        Assert.Equal(1, withBodyAction.GetProperty("Total").GetInt32());
        if (path.EndsWith("/AppGetFamilyList", StringComparison.Ordinal))
        {
            var pathOnly = await api.OkAsync(null, null, path);
            Assert.Single(pathOnly.GetProperty("FamilyList").EnumerateArray());
        }
    }

    [Fact]
    public async Task A_path_action_and_a_different_body_action_are_refused()
    {
        var api = await fx.UserAsync(fx.Client);
        var familyId = await api.FamilyAsync();
        foreach (var path in new[] { "/api/exploreropen/tokenapi/AppGetFamilyList", "/api/studioapp/AppGetFamilyList", "/api/studioapp/tokenapi/AppGetFamilyList" })
        {
            var root = await api.CallAsync("AppDeleteFamily", new() { ["FamilyId"] = familyId }, path);
            Assert.Equal("InvalidParameter", ClientApi.ErrorCode(root));
            Assert.Contains("Action", root.GetProperty("msg").GetString());
        }
        Assert.Single((await api.OkAsync("AppGetFamilyList")).GetProperty("FamilyList").EnumerateArray());
        Assert.Equal("InvalidParameter", await api.ErrorAsync(null));
    }

    [Fact]
    public async Task Refusals_after_the_caller_is_known_answer_in_the_client_envelope()
    {
        var api = await fx.UserAsync(fx.Client);
        var root = await api.CallAsync("AppGetDeviceBindTokenState", new() { ["Token"] = new string('a', 32), ["RequestId"] = "req-1" });
        Assert.Equal("InvalidParameterValue.TokenNotExist", ClientApi.ErrorCode(root));
        Assert.Equal("req-1", root.GetProperty("data").GetProperty("RequestId").GetString());
        Assert.Equal("InvalidParameterValue", await api.ErrorAsync("AppGetRoomList", new() { ["FamilyId"] = "f", ["Limit"] = -1 }));
        Assert.Equal("InvalidParameter", await api.ErrorAsync("AppGetFamilyList", new() { ["Limit"] = "999" }));
    }

    [Fact]
    public async Task A_bad_AccessToken_answers_in_the_deployment_default_which_the_apps_read_as_a_forced_logout()
    {
        // The caller is unknown, so their domain's choice is unknown: the deployment default answers.
        var anonymous = new ClientApi(fx.App.CreateClient(), "not-a-session");
        var documented = await anonymous.CallAsync("AppGetFamilyList");
        Assert.Equal("InvalidParameterValue.InvalidAccessToken",
            documented.GetProperty("Response").GetProperty("Error").GetProperty("Code").GetString());

        using var app = new BinderyApp(new Dictionary<string, string?> { ["Tencent:Envelope"] = "Client" });
        var stranger = new ClientApi(app.CreateClient(), "not-a-session");
        foreach (var path in new[] { ClientApi.AndroidTokenApi, "/api/exploreropen/tokenapi/AppGetFamilyList", "/api/studioapp/tokenapi" })
        {
            var root = await stranger.CallAsync("AppGetFamilyList", null, path);
            Assert.Equal(-1000, root.GetProperty("code").GetInt32());
            Assert.Equal("InvalidParameterValue.InvalidAccessToken", ClientApi.ErrorCode(root));
        }
        var missing = await new ClientApi(app.CreateClient(), "").CallAsync("AppGetFamilyList");
        Assert.Equal("InvalidParameterValue.InvalidAccessToken", ClientApi.ErrorCode(missing));

        // A domain that keeps the documented form is answered in it once known, even on a Client deployment.
        var tenant = await Tenant.CreateAsync(app, homeMode: true);
        using var admin = app.CreateAdminClient();
        (await admin.PatchAsJsonAsync($"/admin/v1/user-domains/{tenant.DomainId}", new { tencentEnvelope = "response" })).EnsureSuccessStatusCode();
        var user = new ClientApi(app.CreateClient(), (await tenant.CreateUserAsync()).Token);
        var answer = await user.CallAsync("AppCreateFamily", new() { ["Name"] = "Home" });
        Assert.False(string.IsNullOrEmpty(answer.GetProperty("Response").GetProperty("Data").GetProperty("FamilyId").GetString()));
    }

    [Fact]
    public async Task An_expired_login_of_a_client_domain_is_refused_in_the_client_envelope_so_the_app_logs_out()
    {
        using var app = new BinderyApp();
        var tenant = await Tenant.CreateAsync(app, homeMode: true);
        using var admin = app.CreateAdminClient();
        (await admin.PatchAsJsonAsync($"/admin/v1/user-domains/{tenant.DomainId}", new { tencentEnvelope = "client" })).EnsureSuccessStatusCode();
        var expiring = await tenant.CreateUserAsync();
        var loggedOut = await tenant.CreateUserAsync();
        using (var logout = await loggedOut.Client.DeleteAsync("/v2/enduser/enduserapi/userLogout"))
        {
            logout.EnsureSuccessStatusCode();
        }

        // A logged-out token is gone: it names no domain, so the deployment default (Response) answers.
        var gone = await new ClientApi(app.CreateClient(), loggedOut.Token).CallAsync("AppGetFamilyList");
        Assert.Equal("InvalidParameterValue.InvalidAccessToken", gone.GetProperty("Response").GetProperty("Error").GetProperty("Code").GetString());

        app.Clock.Advance(TimeSpan.FromDays(8));
        var expired = await new ClientApi(app.CreateClient(), expiring.Token).CallAsync("AppGetFamilyList", null, "/api/exploreropen/tokenapi/AppGetFamilyList");
        Assert.Equal("InvalidParameterValue.InvalidAccessToken", ClientApi.ErrorCode(expired));
    }

    [Fact]
    public async Task The_admin_API_sets_and_clears_a_domains_envelope()
    {
        using var admin = fx.App.CreateAdminClient();
        var created = await (await admin.PostAsJsonAsync("/admin/v1/user-domains", new { homeMode = true, tencentEnvelope = "CLIENT" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("data").GetProperty("id").GetString();
        Assert.Equal("client", created.GetProperty("data").GetProperty("tencentEnvelope").GetString());

        var read = await admin.GetFromJsonAsync<JsonElement>($"/admin/v1/user-domains/{id}");
        Assert.Equal("client", read.GetProperty("data").GetProperty("tencentEnvelope").GetString());

        var cleared = await (await admin.PatchAsJsonAsync($"/admin/v1/user-domains/{id}", new { tencentEnvelope = "default" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(cleared.GetProperty("data").TryGetProperty("tencentEnvelope", out var value) && value.ValueKind != JsonValueKind.Null);

        using var refused = await admin.PatchAsJsonAsync($"/admin/v1/user-domains/{id}", new { tencentEnvelope = "xml" });
        Assert.False(refused.IsSuccessStatusCode);
        var error = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("tencentEnvelope", error.GetProperty("msg").GetString() + error.GetProperty("extMsg").GetString());
    }

    [Fact]
    public void Family_roles_read_as_the_clients_read_them()
    {
        Assert.Equal(1, TencentActions.RoleOf(FamilyRole.Owner));
        Assert.Equal(1, TencentActions.RoleOf(FamilyRole.Admin));
        Assert.Equal(0, TencentActions.RoleOf(FamilyRole.Member));
    }
}
