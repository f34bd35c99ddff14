using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.StandIn;
using Bindery.Tests.Support;
using Microsoft.Extensions.Configuration;
using static Bindery.Tests.StandIn.StandInFixtureFile;

namespace Bindery.Tests.StandIn;

/// <summary>The mode's switch: off by default (every stand-in route is 404), refused on a production deployment.</summary>
public sealed class StandInSwitchTests
{
    [Fact]
    public async Task With_the_mode_off_every_stand_in_route_is_404()
    {
        using var app = new BinderyApp();
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(StandInKey.HeaderName, StandInApp.Key);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/stand-in/v1/clock")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/stand-in/v1/reset", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/stand-in/v1/clock/advance", JsonContent.Create(new { seconds = 60 }))).StatusCode);
    }

    [Fact]
    public void A_deployment_marked_production_refuses_the_mode_at_start()
    {
        using var app = new BinderyApp(new Dictionary<string, string?>
        {
            ["Bindery:StandIn:Enabled"] = "true",
            ["Bindery:Production"] = "true",
        });
        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        var refused = failure as StandInRefusedException ?? failure.InnerException as StandInRefusedException;
        Assert.True(refused is not null, failure.ToString());
        Assert.Contains("production", refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(null, null, null, false)]
    [InlineData(null, "Development", null, false)]
    [InlineData(null, "Production", null, true)]
    [InlineData(null, null, "production", true)]
    [InlineData("true", null, null, true)]
    [InlineData("false", "Staging", null, false)]
    public void Production_is_the_marker_or_an_environment_name_set_explicitly(string? marker, string? aspnetcore, string? dotnet, bool refused)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StandInGuard.ProductionSetting] = marker })
            .Build();
        var variables = new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = aspnetcore, ["DOTNET_ENVIRONMENT"] = dotnet };
        Assert.Equal(refused, StandInGuard.RefusalReason(configuration, name => variables.GetValueOrDefault(name)) is not null);
    }
}

/// <summary>The stand-in API's key, fixtures and reset, virtual devices and clock, on one stand-in server.</summary>
public sealed class StandInApiTests : IClassFixture<StandInApiTests.Server>, IAsyncLifetime
{
    private readonly Server _server;

    public StandInApiTests(Server server) => _server = server;

    public sealed class Server : IAsyncLifetime
    {
        public StandInApp App { get; } = new();

        public JsonElement Loaded { get; private set; }

        public async Task InitializeAsync() => Loaded = await OkAsync(App.CreateStandInClient(), "/stand-in/v1/fixture", Fixture());

        public Task DisposeAsync()
        {
            App.Dispose();
            return Task.CompletedTask;
        }
    }

    private StandInApp App => _server.App;

    private HttpClient StandIn => App.CreateStandInClient();

    // Every test starts from the fixture, as an app team's tests would.
    public async Task InitializeAsync() => await OkAsync(StandIn, "/stand-in/v1/reset");

    public Task DisposeAsync() => Task.CompletedTask;

    private string Fid(string name) => _server.Loaded.GetProperty("families").EnumerateArray()
        .Single(f => f.GetProperty("name").GetString() == name).GetProperty("fid").GetString()!;

    [Fact]
    public async Task The_stand_in_api_needs_its_key()
    {
        var anonymous = App.CreateClient();
        var missing = await anonymous.GetAsync("/stand-in/v1/clock");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(Errors.StandInKeyInvalid.Code, (await missing.ReadEnvelopeAsync()).Code());

        var wrong = App.CreateClient();
        wrong.DefaultRequestHeaders.Add(StandInKey.HeaderName, StandInApp.Key + "x");
        Assert.Equal(Errors.StandInKeyInvalid.Code, (await (await wrong.GetAsync("/stand-in/v1/clock")).ReadEnvelopeAsync()).Code());
        // Unknown stand-in routes are not told apart from known ones without the key.
        Assert.Equal(Errors.StandInKeyInvalid.Code, (await (await anonymous.GetAsync("/stand-in/v1/no-such-route")).ReadEnvelopeAsync()).Code());
        // Nor does the admin key open it.
        Assert.Equal(Errors.StandInKeyInvalid.Code, (await (await App.CreateAdminClient().PostAsync("/stand-in/v1/reset", null)).ReadEnvelopeAsync()).Code());

        Assert.Equal(200, (await GetAsync(StandIn, "/stand-in/v1/clock")).Code());
    }

    [Fact]
    public async Task The_fixture_tenant_is_there_with_its_given_secrets_and_its_binding()
    {
        var products = _server.Loaded.GetProperty("products").EnumerateArray().ToList();
        Assert.Equal(2 + 3, products.Single(p => p.GetProperty("pk").GetString() == PlugPk).GetProperty("devices").GetArrayLength());
        Assert.Equal(LightSecret, products.Single(p => p.GetProperty("pk").GetString() == LightPk).GetProperty("devices")[0].GetProperty("deviceSecret").GetString());
        Assert.Equal(1, _server.Loaded.GetProperty("bindings").GetInt32());

        var bob = await LoginAsync(App, "bob");
        Assert.Contains((PlugPk, PlugDk2), await DevicesAsync(bob));
        var alice = await LoginAsync(App, "alice");
        Assert.Empty(await DevicesAsync(alice));
    }

    [Fact]
    public async Task Reset_takes_the_store_back_to_the_fixture()
    {
        var alice = await LoginAsync(App, "alice");
        var code = (await OkAsync(StandIn, $"/stand-in/v1/devices/{PlugPk}/{PlugDk1}/binding-code")).GetProperty("bindingCode").GetString();
        var bound = await PostAsync(alice, "/v2/binding/enduserapi/v2/deviceBindingByWifi", new { productKey = PlugPk, deviceKey = PlugDk1, bindingCode = code, fid = Fid("Home") });
        Assert.True(bound.Code() == 200, bound.ToString());
        Assert.Contains((PlugPk, PlugDk1), await DevicesAsync(alice));
        var bob = await LoginAsync(App, "bob");
        var unbound = await (await bob.DeleteAsync($"/v2/binding/enduserapi/unbundlingDeviceDk?pk={PlugPk}&dk={PlugDk2}")).ReadEnvelopeAsync();
        Assert.True(unbound.Code() == 200, unbound.ToString());
        // The app also deletes a device of the fixture through the admin API.
        Assert.Equal(HttpStatusCode.OK, (await App.CreateAdminClient().DeleteAsync($"/admin/v1/products/{PlugPk}/devices/{PlugDk1}")).StatusCode);

        var reset = await OkAsync(StandIn, "/stand-in/v1/reset");
        Assert.True(reset.GetProperty("rows").GetInt32() > 0);

        // Alice's binding is gone, and so is her session: a token from before the reset is refused.
        Assert.Equal(Errors.TokenVerificationFailed.Code, (await GetAsync(alice, "/v2/binding/enduserapi/userDeviceList?page=1&pageSize=10")).Code());
        Assert.Empty(await DevicesAsync(await LoginAsync(App, "alice")));
        // Bob's fixture binding and the deleted device are back.
        Assert.Contains((PlugPk, PlugDk2), await DevicesAsync(await LoginAsync(App, "bob")));
        Assert.Equal(HttpStatusCode.OK, (await App.CreateAdminClient().GetAsync($"/admin/v1/products/{PlugPk}/devices/{PlugDk1}")).StatusCode);
        // The code the device reported before the reset is void.
        var stale = await PostAsync(await LoginAsync(App, "alice"), "/v2/binding/enduserapi/v2/deviceBindingByWifi", new { productKey = PlugPk, deviceKey = PlugDk1, bindingCode = code, fid = Fid("Home") });
        Assert.NotEqual(200, stale.Code());
    }

    [Fact]
    public async Task A_virtual_device_over_mqtt_hears_the_binding_the_app_made_with_its_code()
    {
        var connected = await OkAsync(StandIn, $"/stand-in/v1/devices/{LightPk}/{LightDk}/mqtt/connect");
        Assert.True(connected.GetProperty("connected").GetBoolean());
        var alice = await LoginAsync(App, "alice");
        var code = (await OkAsync(StandIn, $"/stand-in/v1/devices/{LightPk}/{LightDk}/binding-code", new { lifetime = 300 })).GetProperty("bindingCode").GetString();
        var bound = await PostAsync(alice, "/v2/binding/enduserapi/v2/deviceBindingByWifi", new { productKey = LightPk, deviceKey = LightDk, bindingCode = code, fid = Fid("Home") });
        Assert.True(bound.Code() == 200, bound.ToString());

        JsonElement state = default;
        for (var i = 0; i < 100; i++)
        {
            state = (await GetAsync(StandIn, $"/stand-in/v1/devices/{LightPk}/{LightDk}/mqtt")).Data();
            if (state.GetProperty("messages").GetArrayLength() > 0)
            {
                break;
            }
            await Task.Delay(50);
        }
        var message = Assert.Single(state.GetProperty("messages").EnumerateArray());
        Assert.Equal($"$thing/down/service/{LightPk}/{LightDk}", message.GetProperty("topic").GetString());
        Assert.Contains("bind_device", message.GetProperty("payload").GetRawText(), StringComparison.Ordinal);

        var deviceState = (await GetAsync(StandIn, $"/stand-in/v1/devices/{LightPk}/{LightDk}/state")).Data();
        Assert.Equal(1, deviceState.GetProperty("device").GetProperty("boundUsers").GetInt32());

        Assert.False((await OkAsync(StandIn, $"/stand-in/v1/devices/{LightPk}/{LightDk}/mqtt/disconnect")).GetProperty("connected").GetBoolean());
        var publish = await PostAsync(StandIn, $"/stand-in/v1/devices/{LightPk}/{LightDk}/mqtt/publish", new { payload = new { method = "report" } });
        Assert.Equal(Errors.StandInDeviceNotConnected.Code, publish.Code());
    }

    [Fact]
    public async Task A_virtual_device_reset_ends_the_binding_and_unknown_devices_are_named()
    {
        var bob = await LoginAsync(App, "bob");
        var reset = await OkAsync(StandIn, $"/stand-in/v1/devices/{PlugPk}/{PlugDk2}/reset");
        Assert.Equal(1, reset.GetProperty("device").GetProperty("bindingsRemoved").GetInt32());
        Assert.Empty(await DevicesAsync(bob));

        var secret = await OkAsync(StandIn, $"/stand-in/v1/devices/{PlugPk}/{PlugDk1}/binding-secret");
        Assert.Equal(24, secret.GetProperty("bindingSecret").GetString()!.Length);

        Assert.Equal(Errors.StandInDeviceNotFound.Code, (await PostAsync(StandIn, $"/stand-in/v1/devices/{PlugPk}/{UnknownDk}/binding-code")).Code());
        Assert.Equal(Errors.StandInDeviceNotFound.Code, (await PostAsync(StandIn, $"/stand-in/v1/devices/no-such-pk/{PlugDk1}/binding-code")).Code());
    }

    [Fact]
    public async Task Advancing_the_clock_expires_a_binding_code_and_an_app_session()
    {
        var alice = await LoginAsync(App, "alice");
        var code = (await OkAsync(StandIn, $"/stand-in/v1/devices/{PlugPk}/{PlugDk1}/binding-code", new { lifetime = 60 })).GetProperty("bindingCode").GetString();

        var advanced = await OkAsync(StandIn, "/stand-in/v1/clock/advance", new { by = "2m" });
        Assert.Equal(120_000, advanced.GetProperty("offsetMs").GetInt64());
        var expired = await PostAsync(alice, "/v2/binding/enduserapi/v2/deviceBindingByWifi", new { productKey = PlugPk, deviceKey = PlugDk1, bindingCode = code, fid = Fid("Home") });
        Assert.Equal(Errors.BindingCodeExpired.Code, expired.Code());

        Assert.Equal(200, (await GetAsync(alice, "/v2/enduser/enduserapi/userInfo")).Code());
        await OkAsync(StandIn, "/stand-in/v1/clock/advance", new { seconds = TimeSpan.FromDays(8).TotalSeconds });
        Assert.Equal(Errors.TokenVerificationFailed.Code, (await GetAsync(alice, "/v2/enduser/enduserapi/userInfo")).Code());

        Assert.Equal(Errors.StandInClockAdvanceInvalid.Code, (await PostAsync(StandIn, "/stand-in/v1/clock/advance", new { seconds = -5 })).Code());
        Assert.Equal(Errors.StandInClockAdvanceInvalid.Code, (await PostAsync(StandIn, "/stand-in/v1/clock/advance", new { by = "soon" })).Code());
        Assert.Equal(0, (await OkAsync(StandIn, "/stand-in/v1/clock/reset")).GetProperty("offsetMs").GetInt64());
    }

    [Fact]
    public async Task Bindery_sim_drives_the_stand_in_api()
    {
        var url = App.CreateClient().BaseAddress!.ToString();
        async Task<(int Exit, string Out, string Err)> Sim(params string[] args)
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exit = await Bindery.Cli.SimulatorCli.RunAsync(["stand-in", "--url", url, "--key", StandInApp.Key, .. args], output, error);
            return (exit, output.ToString(), error.ToString());
        }

        var advanced = await Sim("clock", "advance", "90s");
        Assert.True(advanced.Exit == 0, advanced.Err);
        Assert.Contains("90000", advanced.Out, StringComparison.Ordinal);
        var code = await Sim("device", "--pk", PlugPk, "--dk", PlugDk1, "code", "--code", "SIMCODE23456");
        Assert.True(code.Exit == 0, code.Err);
        Assert.Contains("SIMCODE23456", code.Out, StringComparison.Ordinal);
        var reset = await Sim("reset");
        Assert.True(reset.Exit == 0, reset.Err);
        Assert.Equal(0, (await GetAsync(StandIn, "/stand-in/v1/clock")).Data().GetProperty("offsetMs").GetInt64());

        using var refused = new StringWriter();
        Assert.Equal(1, await Bindery.Cli.SimulatorCli.RunAsync(["stand-in", "--url", url, "--key", "wrong", "reset"], TextWriter.Null, refused));
        Assert.Contains("9471", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_fixture_is_refused_with_its_own_code()
    {
        using var response = await StandIn.PostAsync("/stand-in/v1/fixture", new StringContent("{\"products\": [ {\"pk\": 5 } ]", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Errors.StandInFixtureInvalid.Code, (await response.ReadEnvelopeAsync()).Code());
        using var unknown = await StandIn.PostAsync("/stand-in/v1/fixture", new StringContent("{\"gadgets\": []}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(Errors.StandInFixtureInvalid.Code, (await unknown.ReadEnvelopeAsync()).Code());
    }
}
