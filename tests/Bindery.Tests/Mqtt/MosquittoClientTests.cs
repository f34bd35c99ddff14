using System.Diagnostics;
using System.Text.Json.Nodes;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// An independent MQTT client: Debian's <c>mosquitto_rr</c> (package mosquitto-clients) as a Tencent device, MQTT
/// 3.1.1, subscribing to the reply topic and publishing the request on one connection, as the real device does.
/// </summary>
public sealed class MosquittoClientTests(MqttFixture fx) : IClassFixture<MqttFixture>
{
    private static string MosquittoRr()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "mosquitto_rr"))
            .FirstOrDefault(File.Exists);
        Assert.True(path is not null, "mosquitto_rr not found on PATH: install Debian's mosquitto-clients (apt-get install mosquitto-clients; .ci/run does)");
        return path;
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RequestAsync(string username, string password, string clientId, string topic, string responseTopic, string message)
    {
        var start = new ProcessStartInfo(MosquittoRr())
        {
            ArgumentList =
            {
                "-V", "mqttv311", "-h", "127.0.0.1", "-p", fx.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-i", clientId, "-u", username, "-P", password, "-q", "1",
                "-t", topic, "-e", responseTopic, "-m", message, "-W", "10",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        return (process.ExitCode, (await stdout).Trim(), (await stderr).Trim());
    }

    [Fact]
    public async Task Mosquitto_rr_reports_the_apps_token_as_a_Tencent_device_and_gets_app_bind_token_reply()
    {
        var device = await fx.DeviceAsync();
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var token = await api.CreateTokenAsync();
        var username = TencentMqttDevice.Username(device.Pk, device.Dk, "12345", TencentMqttDevice.IntMax);
        var password = TencentMqttDevice.Password(username, device.DeviceSecret, "hmacsha256");
        var request = new JsonObject
        {
            ["method"] = "app_bind_token",
            ["clientToken"] = $"{device.Dk}-00042",
            ["params"] = new JsonObject { ["token"] = token },
        };

        var (exit, stdout, stderr) = await RequestAsync(username, password, device.Pk + device.Dk,
            $"$thing/up/service/{device.Pk}/{device.Dk}", $"$thing/down/service/{device.Pk}/{device.Dk}", request.ToJsonString());

        Assert.True(exit == 0, $"mosquitto_rr exited {exit}: {stderr}");
        var reply = JsonNode.Parse(stdout)!.AsObject();
        Assert.Equal("app_bind_token_reply", (string?)reply["method"]);
        Assert.Equal($"{device.Dk}-00042", (string?)reply["clientToken"]);
        Assert.Equal(0, (int)reply["code"]!);
        Assert.Equal(2, (await api.OkAsync("AppGetDeviceBindTokenState", new() { ["Token"] = token })).GetProperty("State").GetInt32());
        Assert.False((await api.BindAsync(token, device, familyId)).TryGetProperty("Error", out _));
    }

    [Fact]
    public async Task Mosquitto_rr_with_a_wrong_password_is_refused()
    {
        var device = await fx.DeviceAsync();
        var username = TencentMqttDevice.Username(device.Pk, device.Dk, "12345", TencentMqttDevice.LongMax);
        var password = TencentMqttDevice.Password(username, MqttFixture.NewDeviceSecret(), "hmacsha1");
        var (exit, stdout, stderr) = await RequestAsync(username, password, device.Pk + device.Dk,
            $"$thing/up/service/{device.Pk}/{device.Dk}", $"$thing/down/service/{device.Pk}/{device.Dk}", "{}");
        Assert.NotEqual(0, exit);
        // CONNACK return code 4 (bad user name or password); mosquitto_rr (2.0.11) words the 3.1.1 return code with
        // MQTT 5's reason-code table, where 4 reads "Disconnect with Will Message".
        Assert.True(stderr.StartsWith("Connection error", StringComparison.Ordinal), $"stdout: {stdout}\nstderr: {stderr}");
    }
}
