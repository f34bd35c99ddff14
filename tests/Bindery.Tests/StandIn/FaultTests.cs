using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.StandIn;

/// <summary>
/// Stand-in faults (docs/stand-in.md, "Faults"): a rule makes matching requests of the app APIs and the device API
/// answer a catalogued error in exactly the envelope of their dialect, wait, or lose their connection — once, N
/// times or with a seeded probability — before the endpoint runs, so nothing is written.
/// </summary>
public sealed class FaultTests(StandInTrafficFixture fx) : IClassFixture<StandInTrafficFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static JsonObject QuectelBody(ErrorDef error, string extMsg = "") =>
        new JsonObject { ["code"] = error.Code, ["msg"] = error.English, ["extMsg"] = extMsg, ["data"] = null };

    private static JsonObject TencentResponseBody(ErrorDef error, string requestId, string? detail = null) => new JsonObject
    {
        ["Response"] = new JsonObject
        {
            ["Error"] = new JsonObject { ["Code"] = error.TencentCode, ["Message"] = error.English + (detail is null ? "" : ": " + detail) },
            ["RequestId"] = requestId,
        },
    };

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    private static void AssertJsonEqual(JsonNode expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\n     got {actual.ToJsonString()}");

    [Fact]
    public async Task A_quectel_fault_answers_the_catalogued_v2_envelope_once_and_writes_nothing()
    {
        var product = await fx.Plain.CreateProductAsync(bindingMode: 1);
        var device = await fx.Plain.CreateDeviceAsync(product.Pk);
        var user = await fx.Plain.CreateUserAsync();
        var rule = await fx.AddFaultAsync(new { dialect = "quectel", path = "/v2/binding/enduserapi/bindDeviceSn", error = nameof(Errors.DeviceAlreadyBound), times = 1 });
        Assert.Equal(Errors.DeviceAlreadyBound.Code, rule.GetProperty("code").GetInt32());

        var response = await user.Client.PostAsync($"{BindingApi.Base}/bindDeviceSn?{BindingApi.Query(("pk", device.Pk), ("sn", device.Sn))}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertJsonEqual(QuectelBody(Errors.DeviceAlreadyBound), await BodyAsync(response));
        Assert.Equal(0, (await BindingApi.ListAsync(user.Client)).Data().GetProperty("list").GetArrayLength());

        // Once: the next bind is the real one, and succeeds (the faulted request wrote nothing, spent nothing).
        await BindingApi.BindSnOkAsync(user, device);
        Assert.Equal(1, (await BindingApi.ListAsync(user.Client)).Data().GetProperty("list").GetArrayLength());
    }

    [Fact]
    public async Task A_fault_can_name_its_error_by_code_and_carry_a_detail()
    {
        var user = await fx.Tenant.CreateUserAsync();
        await fx.AddFaultAsync(new { path = "/v2/binding/enduserapi/userDeviceList", error = Errors.StorageUnavailable.Code.ToString(System.Globalization.CultureInfo.InvariantCulture), detail = "injected by the test" });

        var response = await user.Client.GetAsync($"{BindingApi.Base}/userDeviceList");
        // A 5xx keeps its status in the /v2 envelope, exactly like the real refusal.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        AssertJsonEqual(QuectelBody(Errors.StorageUnavailable, "injected by the test"), await BodyAsync(response));
    }

    [Fact]
    public async Task A_tencent_fault_answers_the_string_code_and_echoes_the_requests_RequestId()
    {
        var user = await fx.Tenant.CreateUserAsync();
        var api = new TencentApi(fx.App.CreateClient(), user.Token);
        await fx.AddFaultAsync(new { dialect = "tencent", action = "AppTokenBindDeviceFamily", error = nameof(Errors.DeviceAlreadyBound) });

        var requestId = Guid.NewGuid().ToString();
        var response = await api.Http.PostAsJsonAsync(TencentApi.TokenApi, new Dictionary<string, object?>
        {
            ["Action"] = "AppTokenBindDeviceFamily", ["RequestId"] = requestId, ["AccessToken"] = user.Token,
            ["Token"] = "0123456789abcdef0123456789abcdef", ["ProductId"] = "P", ["DeviceName"] = "D", ["FamilyId"] = "f", ["RoomId"] = "0",
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertJsonEqual(TencentResponseBody(Errors.DeviceAlreadyBound, requestId), await BodyAsync(response));

        // The same action on the iOS path form matches too; another action does not.
        var iosResponse = await api.Http.PostAsJsonAsync(TencentApi.TokenApi + "/AppTokenBindDeviceFamily", new { RequestId = "r-ios", AccessToken = user.Token });
        AssertJsonEqual(TencentResponseBody(Errors.DeviceAlreadyBound, "r-ios"), await BodyAsync(iosResponse));
        Assert.False((await api.CallAsync("AppGetFamilyList", new() { ["Offset"] = 0, ["Limit"] = 10 })).TryGetProperty("Error", out _));
    }

    [Fact]
    public async Task A_tencent_fault_answers_in_the_client_envelope_for_a_domain_whose_apps_read_it()
    {
        var tenant = await Tenant.CreateAsync(fx.App, homeMode: true);
        using var admin = fx.App.CreateAdminClient();
        (await admin.PatchAsJsonAsync($"/admin/v1/user-domains/{tenant.DomainId}", new { tencentEnvelope = "client" })).EnsureSuccessStatusCode();
        var user = await tenant.CreateUserAsync();
        await fx.AddFaultAsync(new { dialect = "tencent", action = "AppGetFamilyList", userId = user.Uid, error = nameof(Errors.TokenVerificationFailed), times = 1 });

        using var http = fx.App.CreateClient();
        var response = await http.PostAsJsonAsync(TencentApi.TokenApi, new { Action = "AppGetFamilyList", RequestId = "r-client", AccessToken = user.Token });
        var message = Errors.TokenVerificationFailed.English;
        AssertJsonEqual(new JsonObject
        {
            ["code"] = -1000,
            ["msg"] = message,
            ["data"] = new JsonObject
            {
                ["Error"] = new JsonObject { ["Code"] = Errors.TokenVerificationFailed.TencentCode, ["Message"] = message },
                ["RequestId"] = "r-client",
            },
        }, await BodyAsync(response));
    }

    [Fact]
    public async Task A_device_api_fault_answers_the_device_envelope_with_its_status_and_spends_no_nonce()
    {
        var product = await fx.Tenant.CreateProductAsync(bindingMode: 1);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var side = new DeviceClient(fx.App.CreateClient(), device);
        await fx.AddFaultAsync(new { dialect = "device", pk = device.Pk, dk = device.Dk, path = "/device/v1/binding-code", error = nameof(Errors.DeviceAuthFailed), times = 1 });

        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var nonce = DeviceClient.NewNonce();
        var body = new { bindingCode = DeviceClient.NewCode(), lifetime = 600 };
        var faulted = await side.SendAsync(HttpMethod.Post, "/device/v1/binding-code", body, timestamp, nonce);
        Assert.Equal(HttpStatusCode.Unauthorized, faulted.StatusCode);
        AssertJsonEqual(QuectelBody(Errors.DeviceAuthFailed), await BodyAsync(faulted));
        Assert.Equal("none", (await side.StateAsync()).GetProperty("bindingCode").GetString());

        // The very same signed request again: the nonce was never spent, the code never stored.
        var replay = await side.SendAsync(HttpMethod.Post, "/device/v1/binding-code", body, timestamp, nonce);
        Assert.Equal(200, (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_rule_matches_only_its_user_and_its_device()
    {
        var product = await fx.Plain.CreateProductAsync(bindingMode: 1);
        var (a, b) = (await fx.Plain.CreateDeviceAsync(product.Pk), await fx.Plain.CreateDeviceAsync(product.Pk));
        var (alice, bob) = (await fx.Plain.CreateUserAsync(), await fx.Plain.CreateUserAsync());
        await fx.AddFaultAsync(new { userId = alice.Uid, dk = a.Dk, error = nameof(Errors.UserCapReached) });

        async Task<int> PreCheckAsync(Tenant.User user, Tenant.Device device) =>
            (await (await user.Client.GetAsync($"{BindingApi.Base}/getDeviceInfoByBinding?{BindingApi.Query(("pk", device.Pk), ("dk", device.Dk))}")).ReadEnvelopeAsync()).Code();

        Assert.Equal(Errors.UserCapReached.Code, await PreCheckAsync(alice, a));
        Assert.NotEqual(Errors.UserCapReached.Code, await PreCheckAsync(alice, b));
        Assert.NotEqual(Errors.UserCapReached.Code, await PreCheckAsync(bob, a));
        // A session that is not one names no user: no match either.
        using var stranger = fx.App.CreateClient();
        stranger.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "not-a-token");
        Assert.NotEqual(Errors.UserCapReached.Code, (await (await stranger.GetAsync($"{BindingApi.Base}/getDeviceInfoByBinding?{BindingApi.Query(("pk", a.Pk), ("dk", a.Dk))}")).ReadEnvelopeAsync()).Code());
        Assert.Equal(Errors.UserCapReached.Code, await PreCheckAsync(alice, a));
    }

    [Fact]
    public async Task A_rule_fires_N_times_then_stays_listed_with_its_counts()
    {
        var user = await fx.Tenant.CreateUserAsync();
        var id = (await fx.AddFaultAsync(new { path = "/v2/binding/enduserapi/userDeviceList", error = nameof(Errors.NoPermission), times = 2 })).GetProperty("id").GetString();

        var codes = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            codes.Add((await BindingApi.ListAsync(user.Client)).Code());
        }
        Assert.Equal([Errors.NoPermission.Code, Errors.NoPermission.Code, 200, 200], codes);
        var listed = Assert.Single(await fx.FaultsAsync());
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal(2, listed.GetProperty("fired").GetInt32());
        Assert.Equal(0, listed.GetProperty("remaining").GetInt32());
        Assert.Equal(2, listed.GetProperty("times").GetInt32());
    }

    [Fact]
    public async Task A_probability_with_a_seed_fires_the_same_requests_every_run()
    {
        var user = await fx.Tenant.CreateUserAsync();
        async Task<string> RunAsync()
        {
            await fx.ResetAsync();
            await fx.AddFaultAsync(new { path = "/v2/binding/enduserapi/userDeviceList", error = nameof(Errors.NoPermission), probability = 0.5, seed = 1234 });
            var pattern = new System.Text.StringBuilder();
            for (var i = 0; i < 24; i++)
            {
                pattern.Append((await BindingApi.ListAsync(user.Client)).Code() == Errors.NoPermission.Code ? 'F' : '.');
            }
            return pattern.ToString();
        }

        var first = await RunAsync();
        var second = await RunAsync();
        Assert.Equal(first, second);
        Assert.Contains('F', first);
        Assert.Contains('.', first);
        var listed = Assert.Single(await fx.FaultsAsync());
        Assert.Equal(24, listed.GetProperty("matched").GetInt32());
        Assert.Equal(first.Count(c => c == 'F'), listed.GetProperty("fired").GetInt32());
    }

    [Fact]
    public async Task Latency_delays_the_answer_and_the_request_then_runs_normally()
    {
        var user = await fx.Tenant.CreateUserAsync();
        await fx.AddFaultAsync(new { path = "/v2/binding/enduserapi/userDeviceList", latencyMs = 400, times = 1 });

        var watch = Stopwatch.StartNew();
        var envelope = await BindingApi.ListAsync(user.Client);
        watch.Stop();
        Assert.Equal(200, envelope.Code());
        Assert.True(watch.ElapsedMilliseconds >= 390, $"answered after {watch.ElapsedMilliseconds} ms");
        var entry = Assert.Single(await fx.JournalAsync("path=/v2/binding/enduserapi/userDeviceList"));
        Assert.Equal("f", entry.GetProperty("fault").GetString()![..1]);
        Assert.True(entry.GetProperty("durationMs").GetInt64() >= 390);
    }

    [Fact]
    public async Task Drop_aborts_the_connection_without_an_answer()
    {
        var product = await fx.Plain.CreateProductAsync(bindingMode: 1);
        var device = await fx.Plain.CreateDeviceAsync(product.Pk);
        var user = await fx.Plain.CreateUserAsync();
        await fx.AddFaultAsync(new { path = "/v2/binding/enduserapi/bindDeviceSn", drop = true, times = 1 });

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var response = await user.Client.PostAsync($"{BindingApi.Base}/bindDeviceSn?{BindingApi.Query(("pk", device.Pk), ("sn", device.Sn))}", null);
            await response.Content.ReadAsStringAsync();
        });
        Assert.Equal(0, (await BindingApi.ListAsync(user.Client)).Data().GetProperty("list").GetArrayLength());
        var entry = Assert.Single(await fx.JournalAsync("path=/v2/binding/enduserapi/bindDeviceSn"));
        Assert.Equal(0, entry.GetProperty("status").GetInt32());
        await BindingApi.BindSnOkAsync(user, device);
    }

    [Fact]
    public async Task Rules_are_listed_removed_one_by_one_and_cleared()
    {
        var first = (await fx.AddFaultAsync(new { action = "AppGetFamilyList", error = nameof(Errors.NoPermission) })).GetProperty("id").GetString()!;
        await fx.AddFaultAsync(new { dialect = "device", latencyMs = 10 });
        Assert.Equal(2, (await fx.FaultsAsync()).Length);

        Assert.Equal(HttpStatusCode.OK, (await fx.StandIn.DeleteAsync($"/stand-in/v1/faults/{first}")).StatusCode);
        var left = Assert.Single(await fx.FaultsAsync());
        Assert.Equal("device", left.GetProperty("dialect").GetString());
        var missing = await fx.StandIn.DeleteAsync($"/stand-in/v1/faults/{first}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(Errors.NotFound.Code, (await missing.ReadEnvelopeAsync()).Code());

        var cleared = await (await fx.StandIn.DeleteAsync("/stand-in/v1/faults")).ReadEnvelopeAsync();
        Assert.Equal(1, cleared.Data().GetProperty("cleared").GetInt32());
        Assert.Empty(await fx.FaultsAsync());
    }

    [Theory]
    [InlineData("""{"error":"NoSuchError"}""")]
    [InlineData("""{"error":"123456"}""")]
    [InlineData("""{"dialect":"soap","error":"NoPermission"}""")]
    [InlineData("""{"error":"NoPermission","drop":true}""")]
    [InlineData("""{"error":"NoPermission","times":0}""")]
    [InlineData("""{"error":"NoPermission","probability":1.5}""")]
    [InlineData("""{"latencyMs":-1}""")]
    [InlineData("""{"latencyMs":600000}""")]
    [InlineData("""{"path":"no-slash","error":"NoPermission"}""")]
    public async Task A_rule_that_names_no_catalogued_error_or_a_bad_value_is_refused(string rule)
    {
        var response = await fx.StandIn.PostAsync("/stand-in/v1/faults", new StringContent(rule, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Errors.InvalidParameterValue.Code, (await response.ReadEnvelopeAsync()).Code());
        Assert.Empty(await fx.FaultsAsync());
    }

    [Fact]
    public async Task A_rule_without_an_effect_is_refused()
    {
        var response = await fx.StandIn.PostAsJsonAsync("/stand-in/v1/faults", new { path = "/v2/x" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Errors.InvalidParameter.Code, (await response.ReadEnvelopeAsync()).Code());
    }

    [Fact]
    public async Task The_fault_routes_need_the_stand_in_key()
    {
        using var anonymous = fx.App.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/stand-in/v1/faults", new { error = nameof(Errors.NoPermission) });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(Errors.StandInKeyInvalid.Code, (await response.ReadEnvelopeAsync()).Code());
        Assert.Empty(await fx.FaultsAsync());
    }
}

/// <summary>With the stand-in mode off, the faults and journal routes do not exist.</summary>
public sealed class StandInTrafficOffTests
{
    [Fact]
    public async Task Faults_and_journal_answer_404_when_the_mode_is_off()
    {
        using var app = new BinderyApp();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-StandIn-Key", StandInTrafficFixture.Key);
        foreach (var (method, path) in new[]
        {
            ("GET", "/stand-in/v1/faults"), ("POST", "/stand-in/v1/faults"), ("DELETE", "/stand-in/v1/faults"), ("DELETE", "/stand-in/v1/faults/f1"),
            ("GET", "/stand-in/v1/journal"), ("DELETE", "/stand-in/v1/journal"),
        })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "POST")
            {
                request.Content = JsonContent.Create(new { error = nameof(Errors.NoPermission) });
            }
            var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path} answered {(int)response.StatusCode}");
        }
    }
}
