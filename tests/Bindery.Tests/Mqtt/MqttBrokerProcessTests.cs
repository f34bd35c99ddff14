using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;
using Bindery.TestSupport;
using MQTTnet;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// The broker in the real server process: on by default (on a free port here, as every test server gets), its port
/// in use fails the start with a clear log line instead of hanging, and nothing a device sends (password, token,
/// secret) reaches the log even at Trace.
/// </summary>
public sealed class MqttBrokerProcessTests
{
    [Fact]
    public async Task A_port_in_use_fails_the_start_with_a_clear_log_line()
    {
        using var storage = TestStore.Create();
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ServerProcess.LocateServerDll() },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in storage.ForServerProcess())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Mqtt__BindAddress"] = "127.0.0.1";
        start.Environment["Mqtt__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        var output = await stdout + await stderr;
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains($"MQTT: cannot listen on 127.0.0.1 port {port}: AddressAlreadyInUse", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_a_device_sends_over_MQTT_reaches_the_log_even_at_Trace()
    {
        using var storage = TestStore.Create();
        var settings = storage.ForServerProcess();
        settings["Logging:LogLevel:Default"] = "Trace";
        settings["Logging:LogLevel:Microsoft"] = "Trace";
        settings["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Trace";
        await using var server = await ServerProcess.StartAsync(settings, keepAllOutput: true);
        Assert.NotEqual(0, server.MqttPort);

        var admin = server.CreateAdminClient(BinderyApp.AdminKeyValue);
        var domain = (await Tenant.PostOkAsync(admin, "/admin/v1/user-domains", new { homeMode = true })).GetProperty("id").GetString()!;
        var pk = MqttFixture.NewProductId();
        await Tenant.PostOkAsync(admin, "/admin/v1/products", new
        {
            pk, deviceKeyFormat = "tencent", name = "Leak test light", logoUrl = "https://example.invalid/logo.png", moduleType = "ESP32",
            bindingMode = 1, userCap = 5, methods = new[] { "TOKEN" }, userDomains = new[] { domain },
        });
        var secret = MqttFixture.NewDeviceSecret();
        await Tenant.PostOkAsync(admin, $"/admin/v1/products/{pk}/devices", new { dk = "leaky_lamp", sn = "SNLEAK000001", deviceSecret = secret });

        var http = server.CreateClient();
        const string password = "correct horse battery staple";
        await Tenant.PostOkAsync(http, "/v2/enduser/enduserapi/register", new { userDomain = domain, username = "leak-user", password });
        var login = await Tenant.PostOkAsync(http, "/v2/enduser/enduserapi/login", new { userDomain = domain, username = "leak-user", password });
        var api = new TencentApi(server.CreateClient(), login.GetProperty("accessToken").GetProperty("token").GetString()!);
        var token = await api.CreateTokenAsync();

        var connect = new TencentMqttDevice.Connect(pk, "leaky_lamp", secret);
        var wrong = connect with { DeviceSecret = MqttFixture.NewDeviceSecret() };
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await TencentMqttDevice.TryConnectAsync(server.MqttPort, wrong));
        await using (var device = await TencentMqttDevice.ConnectAsync(server.MqttPort, connect))
        {
            var reply = await device.RequestAsync("service", new JsonObject { ["method"] = "app_bind_token", ["params"] = new JsonObject { ["token"] = token } });
            Assert.Equal(0, (int)reply["code"]!);
            var refused = await device.RequestAsync("service", new JsonObject { ["method"] = "app_bind_token", ["params"] = new JsonObject { ["token"] = token.ToUpperInvariant() + "Z" } });
            Assert.NotEqual(0, (int)refused["code"]!);
        }

        var output = server.AllOutput;
        Assert.Contains("MQTT broker listening on 127.0.0.1 port", output, StringComparison.Ordinal);
        foreach (var leak in new[]
        {
            secret, token, token.ToUpperInvariant(),
            TencentMqttDevice.Password(connect.Username, secret, "hmacsha256").Split(';')[0],
            TencentMqttDevice.Password(wrong.Username, wrong.DeviceSecret, "hmacsha256").Split(';')[0],
        })
        {
            Assert.DoesNotContain(leak, output, StringComparison.Ordinal);
        }
    }
}
