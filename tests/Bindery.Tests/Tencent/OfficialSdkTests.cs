using System.Diagnostics;
using System.Text.Json;
using Bindery.Registry;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// The official WeChat mini-program SDK (npm <c>qcloud-iotexplorer-appdev-sdk</c> 3.0.115, installed unmodified by
/// <c>npm ci</c> in <c>tests/node</c>) drives a whole token binding against a real Bindery server process: login
/// (<c>AppGetUser</c>), families and rooms, a bind token the device reports, state polling,
/// <c>AppTokenBindDeviceFamily</c>, the family device list, deleting the device, and its error paths. What is
/// asserted is what the SDK itself returns or throws, so the envelope and field placement are the SDK's reading.
/// </summary>
public sealed class OfficialSdkTests : IDisposable
{
    private readonly TestStorage _storage = TestStore.Create();

    [SkippableFact]
    public async Task The_unmodified_mini_program_sdk_binds_a_device_by_token_and_reads_every_answer()
    {
        var nodeDir = Path.Combine(Repository.Root, "tests", "node");
        NodeRequirement.SkipOrFailUnlessInstalled(nodeDir);

        var settings = _storage.ForServerProcess();
        // A deployment serving the official apps answers in their envelope, also where no caller is known (a bad token).
        settings["Tencent:Envelope"] = "Client";
        await using var server = await ServerProcess.StartAsync(settings);
        using var admin = server.CreateAdminClient(BinderyApp.AdminKeyValue);
        using var anonymous = server.CreateClient();

        var domain = (await Tenant.PostOkAsync(admin, "/admin/v1/user-domains", new { homeMode = true })).GetProperty("id").GetString()!;
        var pk = (await Tenant.PostOkAsync(admin, "/admin/v1/products", new
        {
            name = "SDK lamp", logoUrl = "https://example.invalid/lamp.png", moduleType = "ESP32",
            bindingMode = 1, userCap = 5, methods = new[] { "TOKEN" }, userDomains = new[] { domain },
        })).GetProperty("pk").GetString()!;
        var devices = new List<Tenant.Device>();
        foreach (var body in new[] { "86990001234560", "86990001234561" })
        {
            var data = await Tenant.PostOkAsync(admin, $"/admin/v1/products/{pk}/devices", new { dk = DeviceKeys.ImeiFromBody(body), sn = "SDK-" + body });
            devices.Add(new Tenant.Device(pk, data.GetProperty("dk").GetString()!, data.GetProperty("sn").GetString()!, data.GetProperty("deviceSecret").GetString()!));
        }
        const string password = "correct horse battery staple";
        await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/register", new { userDomain = domain, username = "sdk-user", password });
        var accessToken = (await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = domain, username = "sdk-user", password }))
            .GetProperty("accessToken").GetProperty("token").GetString()!;
        var deviceSide = new DeviceClient(server.CreateClient(), devices[0]);

        var steps = await RunFlowAsync(nodeDir, server.BaseUrl, accessToken, pk, devices[0].Dk, devices[1].Dk, async token =>
        {
            await deviceSide.ReportTokenOkAsync(token);
        });

        Assert.True(steps.ContainsKey("done"), "the SDK flow stopped early: " + string.Join('\n', steps.Values));
        Assert.True(steps["login"].GetProperty("isLogin").GetBoolean());
        Assert.False(string.IsNullOrEmpty(steps["family"].GetProperty("familyId").GetString()));
        Assert.False(string.IsNullOrEmpty(steps["family"].GetProperty("roomId").GetString()));
        Assert.True(steps["family"].GetProperty("roomTotal").GetInt32() >= 1);
        Assert.Matches("^[0-9a-f]{32}$", steps["token"].GetProperty("token").GetString());
        Assert.Equal(1, steps["token"].GetProperty("stateBeforeReport").GetInt32());
        Assert.Equal(2, steps["state"].GetProperty("state").GetInt32());
        Assert.Equal(1, steps["devices"].GetProperty("total").GetInt32());
        Assert.Equal(devices[0].Dk, steps["devices"].GetProperty("names")[0].GetString());
        Assert.Equal($"{pk}/{devices[0].Dk}", steps["devices"].GetProperty("ids")[0].GetString());
        // A used token for another device: the SDK throws the Tencent error code it found in data.Error.
        Assert.True(steps["usedToken"].GetProperty("thrown").GetBoolean());
        Assert.Equal("InvalidParameterValue.TokenNotExist", steps["usedToken"].GetProperty("code").GetString());
        Assert.Equal(0, steps["deleted"].GetProperty("total").GetInt32());
        // A bad access token: the SDK recognises InvalidAccessToken and reports a failed login.
        Assert.True(steps["badAccessToken"].GetProperty("thrown").GetBoolean());
        Assert.Equal("VERIFY_LOGIN_FAIL", steps["badAccessToken"].GetProperty("code").GetString());
    }

    private static async Task<Dictionary<string, JsonElement>> RunFlowAsync(
        string nodeDir, string baseUrl, string accessToken, string pk, string deviceName, string otherDeviceName, Func<string, Task> reportToken)
    {
        var start = new ProcessStartInfo("node", ["tencent-sdk-flow.cjs"])
        {
            WorkingDirectory = nodeDir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["BINDERY_URL"] = baseUrl.TrimEnd('/'),
                ["ACCESS_TOKEN"] = accessToken,
                ["PRODUCT_ID"] = pk,
                ["DEVICE_NAME"] = deviceName,
                ["OTHER_DEVICE_NAME"] = otherDeviceName,
            },
        };
        using var node = Process.Start(start)!;
        var stderr = node.StandardError.ReadToEndAsync();
        var steps = new Dictionary<string, JsonElement>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            while (await node.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (!line.StartsWith('{'))
                {
                    continue;   // the SDK's own console logging
                }
                var step = JsonDocument.Parse(line).RootElement.Clone();
                var name = step.GetProperty("step").GetString()!;
                steps[name] = step;
                if (name == "token")
                {
                    await reportToken(step.GetProperty("token").GetString()!);
                    await node.StandardInput.WriteLineAsync("reported");
                    await node.StandardInput.FlushAsync();
                }
            }
            await node.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }
        }
        if (steps.TryGetValue("failed", out var failed))
        {
            Assert.Fail($"the SDK flow failed: {failed}\n{await stderr}");
        }
        return steps;
    }

    public void Dispose() => _storage.Dispose();
}

/// <summary>
/// Node and the npm packages of <c>tests/node</c> (installed by <c>npm ci</c>, which <c>./test.sh</c> and
/// <c>.ci/run</c> run): required in CI, a skip with the reason elsewhere.
/// </summary>
public static class NodeRequirement
{
    public static void SkipOrFailUnlessInstalled(string nodeDir)
    {
        var missing = !Repository.OnPath("node") ? "node is not installed (apt-get install nodejs npm)"
            : !Directory.Exists(Path.Combine(nodeDir, "node_modules")) ? $"the npm packages are not installed (npm ci --prefix {nodeDir})"
            : null;
        if (missing is null)
        {
            return;
        }
        if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 } ci && ci != "0" && ci != "false")
        {
            Assert.Fail("required in CI: " + missing);
        }
        Skip.If(true, missing);
    }
}
