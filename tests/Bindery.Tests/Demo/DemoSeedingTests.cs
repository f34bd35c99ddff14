using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Cli;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Tests.Support;

namespace Bindery.Tests.Demo;

/// <summary>
/// The demo tenant on a real server process: seeded on the first start of an empty store, printed once on
/// standard output, saved to demo-tenant.json (mode 600) with values that work, and never seeded again.
/// </summary>
public sealed class DemoSeedingTests
{
    private static Dictionary<string, string?> Settings(TestStorage storage, string dataDir, bool seedDemo)
    {
        var settings = storage.Settings(dataDir);
        settings["Bindery:AdminKey"] = BinderyApp.AdminKeyValue;
        settings["Bindery:SeedDemo"] = seedDemo ? "true" : "false";
        settings["Bindery:Accounts:PasswordHashIterations"] = "1000";
        return settings;
    }

    [Fact]
    public async Task First_start_on_an_empty_store_seeds_the_demo_tenant_once_prints_it_and_saves_working_values()
    {
        using var storage = TestStore.Create();
        var settings = Settings(storage, storage.DataDir, seedDemo: true);
        var file = DemoTenant.PathIn(storage.DataDir);
        DemoTenant tenant;

        await using (var server = await ServerProcess.StartAsync(settings))
        {
            Assert.True(File.Exists(file), "demo-tenant.json was not written");
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
            tenant = await DemoTenant.LoadAsync(file);

            // Printed once on stdout: every secret a newcomer needs, the same as in the file.
            var output = server.RecentOutput;
            Assert.Single(output.Split('\n'), line => line.Contains("demo tenant created", StringComparison.Ordinal));
            Assert.Contains(tenant.UserDomain.Secret, output, StringComparison.Ordinal);
            foreach (var user in tenant.Users)
            {
                Assert.Contains(user.Password, output, StringComparison.Ordinal);
            }
            foreach (var product in tenant.Products)
            {
                Assert.Contains(product.Ps, output, StringComparison.Ordinal);
                Assert.All(product.Devices, d => Assert.Contains(d.DeviceSecret, output, StringComparison.Ordinal));
            }

            // One product per binding mode, every method enabled, devices with valid keys.
            Assert.True(tenant.UserDomain.HomeMode);
            Assert.Equal([1, 2, 3], tenant.Products.Select(p => p.BindingMode).Order());
            Assert.All(tenant.Products, p => Assert.Equal(["SN", "WIFI", "BT", "TOKEN", "SIG", "DK"], p.Methods));
            Assert.All(tenant.Products.SelectMany(p => p.Devices), d => Assert.Equal(d.Dk, DeviceKeys.Normalize(d.Dk)));
            Assert.Equal(2, tenant.Users.Count);
            Assert.NotNull(tenant.FindUser("demo")!.Frid);

            using var http = server.CreateClient();
            await AssertTenantWorksAsync(http, tenant);
            Assert.Equal(0, await server.StopAsync());
        }

        await using (var restarted = await ServerProcess.StartAsync(settings))
        {
            Assert.DoesNotContain("demo tenant created", restarted.RecentOutput, StringComparison.Ordinal);
            Assert.Equal(tenant, await DemoTenant.LoadAsync(file), DemoTenantComparer.Instance);
            using var admin = restarted.CreateAdminClient(BinderyApp.AdminKeyValue);
            Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>("/admin/v1/user-domains")).GetProperty("data").GetProperty("total").GetInt32());
            Assert.Equal(3, (await admin.GetFromJsonAsync<JsonElement>("/admin/v1/products")).GetProperty("data").GetProperty("total").GetInt32());
            using var http = restarted.CreateClient();
            await AssertTenantWorksAsync(http, tenant);
        }
    }

    /// <summary>The users log in with the stored passwords; every device signs device-API calls with its stored secret.</summary>
    private static async Task AssertTenantWorksAsync(HttpClient http, DemoTenant tenant)
    {
        var app = new AppApiClient(http);
        foreach (var user in tenant.Users)
        {
            var session = await app.LoginAsync(tenant.UserDomain.Id, user.Username, user.Password);
            Assert.Equal(user.Uid, session.Uid);
        }
        foreach (var product in tenant.Products)
        {
            foreach (var device in product.Devices)
            {
                var state = await new DeviceApiClient(http, new DeviceIdentity(product.Pk, device.Dk, device.DeviceSecret)).StateAsync();
                Assert.Equal(product.BindingMode, state.GetProperty("bindingMode").GetInt32());
            }
        }
    }

    /// <summary>Records holding lists compare by reference; compare the file's content instead.</summary>
    private sealed class DemoTenantComparer : IEqualityComparer<DemoTenant>
    {
        public static readonly DemoTenantComparer Instance = new();

        public bool Equals(DemoTenant? x, DemoTenant? y) => x?.ToJson() == y?.ToJson();

        public int GetHashCode(DemoTenant obj) => obj.ToJson().GetHashCode(StringComparison.Ordinal);
    }
}
