using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Storage;
using Bindery.Tests.Support;
using Dapper;

namespace Bindery.Tests.MultiNode;

[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed class ClusterStartTests(TwoNodes nodes)
{
    [SkippableFact]
    public async Task Two_nodes_started_at_once_on_an_empty_database_both_become_ready_and_migrate_it_once()
    {
        PostgresCluster.SkipUnlessAvailable();

        await nodes.StartAsync();

        foreach (var node in new[] { nodes.NodeA, nodes.NodeB })
        {
            using var client = node.CreateClient();
            var ready = await client.GetFromJsonAsync<JsonElement>("/readyz");
            Assert.Equal("postgres", ready.GetProperty("store").GetString());
        }
        await using var db = await nodes.OpenDatabaseAsync();
        var versions = await db.ReadAsync(c => c.QueryAsync<long>("SELECT version FROM schema_migrations"));
        Assert.Equal(Migrator.Load(SqlDialect.Postgres).Select(m => (long)m.Version).Order(), versions.Order());
    }
}
