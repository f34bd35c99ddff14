using System.Net.Http.Json;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Cli;

/// <summary>
/// <c>bindery-sim mqtt-device</c> against a server whose broker listens on a free loopback port: the simulator is a
/// real MQTT client over TCP. It reports the app's token with <c>app_bind_token</c> (or a binding code in Bindery's
/// own protocol), prints the reply, and its exit code says whether the reply was a success. Each test registers
/// devices of its own in the demo plug product (multi-user, every method).
/// </summary>
public sealed class MqttDeviceCommandTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private const string TokenApi = "/api/exploreropen/tokenapi";

    private string[] Mqtt(params string[] args) => ["mqtt-device", "--mqtt-port", sim.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args];

    /// <summary>A new device of the demo plug product (a random MAC as dk), with the secret the server generated.</summary>
    private async Task<(string Pk, string Dk, string Secret)> NewDeviceAsync()
    {
        var pk = sim.Device(mode: 1, number: 1).Product.Pk;
        var mac = "0A" + Convert.ToHexString(RandomNumberGenerator.GetBytes(5));
        var data = await Tenant.PostOkAsync(sim.App.CreateAdminClient(), $"/admin/v1/products/{pk}/devices",
            new { dk = mac, sn = "SIM-MQTT-" + mac });
        return (pk, data.GetProperty("dk").GetString()!, data.GetProperty("deviceSecret").GetString()!);
    }

    private async Task<JsonElement> ActionAsync(object body)
    {
        using var response = await sim.App.CreateClient().PostAsJsonAsync(TokenApi, body);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("Response");
    }

    private async Task<(string AccessToken, string BindToken)> AppTokenAsync()
    {
        var accessToken = (await sim.SimOkAsync("login", "--user", "demo", "--print-token")).Trim();
        var created = await ActionAsync(new { Action = "AppCreateDeviceBindToken", AccessToken = accessToken });
        return (accessToken, created.GetProperty("Data").GetProperty("Token").GetString()!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Mqtt_device_reports_the_apps_token_prints_the_reply_and_the_app_then_binds_with_it(bool sha1)
    {
        var (pk, dk, secret) = await NewDeviceAsync();
        var (accessToken, bindToken) = await AppTokenAsync();

        string[] extra = sha1 ? ["--hmac-sha1"] : [];
        var run = await sim.SimWithoutDemoAsync(Mqtt(["--pk", pk, "--dk", dk, "--device-secret", secret, "--token", bindToken, "--wait", "0", .. extra]));

        Assert.True(run.Exit == 0, run.Output + run.Error);
        Assert.Contains($"connected to 127.0.0.1:{sim.MqttPort} as {pk}{dk} ({(sha1 ? "hmacsha1" : "hmacsha256")})", run.Output, StringComparison.Ordinal);
        Assert.Contains($"subscribed to $thing/down/+/{pk}/{dk}", run.Output, StringComparison.Ordinal);
        Assert.Contains($"received on $thing/down/service/{pk}/{dk}: ", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"method\":\"app_bind_token_reply\"", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"code\":0", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, run.Output + run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(";hmacsha", run.Output + run.Error, StringComparison.Ordinal);

        var state = await ActionAsync(new { Action = "AppGetDeviceBindTokenState", AccessToken = accessToken, Token = bindToken });
        Assert.Equal(2, state.GetProperty("Data").GetProperty("State").GetInt32());
        var bound = await ActionAsync(new
        {
            Action = "AppTokenBindDeviceFamily", AccessToken = accessToken, Token = bindToken, ProductId = pk, DeviceName = dk,
            FamilyId = sim.Tenant.FindUser("demo")!.Fid, RoomId = "0",
        });
        Assert.False(bound.TryGetProperty("Error", out var error), $"bind refused: {error}");
    }

    [Fact]
    public async Task Mqtt_device_exits_1_when_the_reply_refuses_the_token()
    {
        var (pk, dk, secret) = await NewDeviceAsync();
        var (_, bindToken) = await AppTokenAsync();
        var unknown = new string(bindToken.Reverse().ToArray());

        var run = await sim.SimWithoutDemoAsync(Mqtt(["--pk", pk, "--dk", dk, "--device-secret", secret, "--token", unknown, "--wait", "5"]));

        Assert.Equal(1, run.Exit);
        Assert.Contains("\"method\":\"app_bind_token_reply\"", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"code\":9101", run.Output, StringComparison.Ordinal);
        Assert.Contains("app_bind_token refused: code 9101", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("waiting 5 s for bind_device", run.Output, StringComparison.Ordinal); // a refusal ends it at once
    }

    [Fact]
    public async Task Mqtt_device_reports_a_binding_code_in_Binderys_own_protocol()
    {
        var (pk, dk, secret) = await NewDeviceAsync();

        var run = await sim.SimWithoutDemoAsync(Mqtt(["--pk", pk, "--dk", dk, "--device-secret", secret, "--binding-code", "SimMqtt2345", "--wait", "0"]));

        Assert.True(run.Exit == 0, run.Output + run.Error);
        Assert.Contains($"received on $thing/down/bindery/{pk}/{dk}: ", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"method\":\"report_binding_code_reply\"", run.Output, StringComparison.Ordinal);
        var state = await sim.SimWithoutDemoAsync("state", "--pk", pk, "--dk", dk, "--device-secret", secret);
        Assert.Contains("\"active\"", state.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mqtt_device_without_a_report_waits_the_given_seconds_then_exits_0()
    {
        var (pk, dk, secret) = await NewDeviceAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var run = await sim.SimWithoutDemoAsync(Mqtt(["--pk", pk, "--dk", dk, "--device-secret", secret, "--wait", "1"]));

        Assert.True(run.Exit == 0, run.Output + run.Error);
        Assert.Contains("nothing more arrived within 1 s", run.Output, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 10);
    }

    [Fact]
    public async Task Mqtt_device_refused_or_unreachable_ends_with_one_line_on_stderr_and_exit_1()
    {
        var (pk, dk, _) = await NewDeviceAsync();
        var wrongSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

        var refused = await sim.SimWithoutDemoAsync(Mqtt(["--pk", pk, "--dk", dk, "--device-secret", wrongSecret, "--wait", "0"]));
        Assert.Equal(1, refused.Exit);
        Assert.Contains("the broker refused the connection", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongSecret, refused.Output + refused.Error, StringComparison.Ordinal);

        var notBase64 = await sim.SimWithoutDemoAsync(Mqtt(["--pk", pk, "--dk", dk, "--device-secret", "not base64!", "--wait", "0"]));
        Assert.Equal(1, notBase64.Exit);
        Assert.Contains("not base64", notBase64.Error, StringComparison.Ordinal);

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var unreachable = await sim.SimWithoutDemoAsync(["mqtt-device", "--mqtt-port", closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--pk", pk, "--dk", dk, "--device-secret", wrongSecret, "--wait", "0"]);
        Assert.Equal(1, unreachable.Exit);
        Assert.Contains($"cannot reach the MQTT broker at 127.0.0.1:{closedPort}", unreachable.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unreachable.Error, StringComparison.Ordinal);
    }
}
