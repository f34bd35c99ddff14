using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Protocol;
using Bindery.Tests.Support;

namespace Bindery.Tests.Demo;

/// <summary>Several nodes starting at once on one empty PostgreSQL database: exactly one seeds the demo tenant.</summary>
[Trait("Store", "PostgresOnly")]
public sealed class DemoSeedingAcrossNodesTests
{
    [SkippableFact]
    public async Task Two_nodes_starting_at_once_on_an_empty_database_seed_the_demo_tenant_once()
    {
        PostgresCluster.SkipUnlessAvailable();
        using var storage = TestStorage.CreatePostgres();
        var dataDirs = new[] { storage.DataDir, storage.NewDataDir() };
        var starts = dataDirs.Select(dir =>
        {
            var settings = storage.Settings(dir);
            settings["Bindery:AdminKey"] = BinderyApp.AdminKeyValue;
            settings["Bindery:SeedDemo"] = "true";
            settings["Bindery:Accounts:PasswordHashIterations"] = "1000";
            return ServerProcess.StartAsync(settings);
        }).ToList();
        try
        {
            var servers = await Task.WhenAll(starts);
            Assert.Single(dataDirs, dir => File.Exists(DemoTenant.PathIn(dir)));
            Assert.Single(servers, s => s.RecentOutput.Contains("demo tenant created", StringComparison.Ordinal));
            using var admin = servers[0].CreateAdminClient(BinderyApp.AdminKeyValue);
            Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>("/admin/v1/user-domains")).GetProperty("data").GetProperty("total").GetInt32());
            Assert.Equal(3, (await admin.GetFromJsonAsync<JsonElement>("/admin/v1/products")).GetProperty("data").GetProperty("total").GetInt32());
        }
        finally
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }
        }
    }
}
