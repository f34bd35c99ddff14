using System.Diagnostics;
using System.Text.Json;
using Bindery.Registry;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.StandIn;

/// <summary>
/// The Node example of docs/stand-in.md ("A Node test against Bindery", <c>tests/node/stand-in-example.cjs</c>) run
/// as written against a real server process in stand-in mode: the official Tencent SDK meets an injected fault
/// and the example asserts through the journal that AppTokenBindDeviceFamily was called once with RoomId 0.
/// </summary>
public sealed class NodeExampleTests : IDisposable
{
    private readonly TestStorage _storage = TestStore.Create();

    [SkippableFact]
    public async Task The_documented_node_example_passes_against_a_stand_in_server()
    {
        var nodeDir = Path.Combine(Repository.Root, "tests", "node");
        NodeRequirement.SkipOrFailUnlessInstalled(nodeDir);

        var settings = _storage.ForServerProcess();
        settings["Tencent:Envelope"] = "Client";
        settings["Bindery:StandIn:Enabled"] = "true";
        settings["Bindery:StandIn:Key"] = StandInTrafficFixture.Key;
        await using var server = await ServerProcess.StartAsync(settings);
        using var admin = server.CreateAdminClient(BinderyApp.AdminKeyValue);
        using var anonymous = server.CreateClient();
        var domain = (await Tenant.PostOkAsync(admin, "/admin/v1/user-domains", new { homeMode = true })).GetProperty("id").GetString()!;
        var pk = (await Tenant.PostOkAsync(admin, "/admin/v1/products", new
        {
            name = "Example lamp", logoUrl = "https://example.invalid/lamp.png", moduleType = "ESP32",
            bindingMode = 1, userCap = 5, methods = new[] { "TOKEN" }, userDomains = new[] { domain },
        })).GetProperty("pk").GetString()!;
        var dk = (await Tenant.PostOkAsync(admin, $"/admin/v1/products/{pk}/devices", new { dk = DeviceKeys.ImeiFromBody("86990001234570"), sn = "EX-1" }))
            .GetProperty("dk").GetString()!;
        const string password = "correct horse battery staple";
        await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/register", new { userDomain = domain, username = "example-user", password });
        var login = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = domain, username = "example-user", password });
        var accessToken = login.GetProperty("accessToken").GetProperty("token").GetString()!;

        var start = new ProcessStartInfo("node", ["stand-in-example.cjs"])
        {
            WorkingDirectory = nodeDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["BINDERY_URL"] = server.BaseUrl.TrimEnd('/'),
                ["STANDIN_KEY"] = StandInTrafficFixture.Key,
                ["ACCESS_TOKEN"] = accessToken,
                ["PRODUCT_ID"] = pk,
                ["DEVICE_NAME"] = dk,
            },
        };
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }
        }
        Assert.True(node.ExitCode == 0, $"the example failed:\n{await stdout}\n{await stderr}");
        // The SDK logs lines of its own; the example's result is its last JSON line.
        var last = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.StartsWith('{'));
        var result = JsonDocument.Parse(last).RootElement;
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.Equal(login.GetProperty("uid").GetString(), result.GetProperty("userId").GetString());
        Assert.False(string.IsNullOrEmpty(result.GetProperty("fault").GetString()));
    }

    public void Dispose() => _storage.Dispose();
}
