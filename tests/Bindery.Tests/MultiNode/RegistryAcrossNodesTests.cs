using System.Net.Http.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.MultiNode;

/// <summary>The registry's uniqueness rules hold when the device maker's tools talk to two nodes at once.</summary>
[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed class RegistryAcrossNodesTests(TwoNodes nodes)
{
    [SkippableFact]
    public async Task The_same_serial_number_registered_through_both_nodes_at_once_is_accepted_once()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        using var adminA = nodes.NodeA.CreateAdminClient(BinderyApp.AdminKeyValue);
        using var adminB = nodes.NodeB.CreateAdminClient(BinderyApp.AdminKeyValue);
        var domain = (await Tenant.PostOkAsync(adminA, "/admin/v1/user-domains", new { homeMode = true })).GetProperty("id").GetString()!;
        var pk = (await Tenant.PostOkAsync(adminB, "/admin/v1/products", new
        {
            name = "Race product", logoUrl = "https://example.invalid/logo.png", moduleType = "EC200U",
            bindingMode = 2, userCap = 1, methods = new[] { "SN" }, userDomains = new[] { domain },
        })).GetProperty("pk").GetString()!;

        for (var round = 0; round < 15; round++)
        {
            // Different device keys, one serial number: only the unique (pk, sn) index can tell them apart.
            var sn = $"RACE-SN-{round}";
            var codes = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
            {
                var dk = Bindery.Registry.DeviceKeys.ImeiFromBody($"86{round:D4}{i:D8}");
                using var response = await (i % 2 == 0 ? adminA : adminB).PostAsJsonAsync($"/admin/v1/products/{pk}/devices", new { dk, sn });
                return (await response.ReadEnvelopeAsync()).Code();
            }));

            Assert.Equal(1, codes.Count(c => c == 200));
            Assert.All(codes.Where(c => c != 200), c => Assert.Equal(Errors.AlreadyExists.Code, c));
        }
    }
}
