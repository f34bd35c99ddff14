using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.MultiNode;
using Bindery.Tests.Support;

namespace Bindery.Tests.Sharing;

/// <summary>
/// Sharing through two real nodes on one PostgreSQL: a code raced for by recipients on both nodes is accepted once,
/// and a share revoked on one node is refused on the other at once (the recipient's list and authKey): nothing that
/// decides a share lives in a node's memory.
/// </summary>
[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed class SharingAcrossNodesTests(TwoNodes nodes)
{
    private static async Task<JsonElement> EnvelopeAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [SkippableFact]
    public async Task A_code_raced_for_on_both_nodes_is_accepted_once_and_a_revocation_on_one_node_holds_on_the_other()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var tenant = await ClusterTenant.CreateAsync(nodes);
        var users = await tenant.CreateUsersAsync(21);
        try
        {
            var owner = users[0];
            var recipients = users.Skip(1).ToList();
            var pk = await tenant.CreateProductAsync(bindingMode: 1, methods: ["WIFI"]);
            var device = await tenant.CreateDeviceAsync(pk);
            using var deviceOnA = nodes.NodeA.CreateClient();
            using var deviceOnB = nodes.NodeB.CreateClient();
            var code = await new DeviceClient(deviceOnB, device).ReportNewCodeAsync();
            var bound = await EnvelopeAsync(owner.Client.PostAsJsonAsync("/v2/binding/enduserapi/v2/deviceBindingByWifi",
                new { productKey = device.Pk, deviceKey = device.Dk, bindingCode = code }));
            Assert.True(bound.GetProperty("code").GetInt32() == 200, bound.ToString());
            var accepting = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
            var issued = await EnvelopeAsync(owner.Client.PostAsync(
                $"/v2/binding/enduserapi/shareInfo?pk={device.Pk}&dk={device.Dk}&acceptingExpireAt={accepting}", null));
            var shareCode = issued.GetProperty("data").GetString()!;

            var codes = await ClusterTenant.RaceAsync(recipients, user =>
                user.Client.PostAsync($"/v2/binding/enduserapi/shareDevice?shareCode={Uri.EscapeDataString(shareCode)}", null));
            Assert.Equal(1, codes.Count(c => c == 200));
            Assert.All(codes.Where(c => c != 200), c => Assert.Equal(Errors.ShareCodeUsed.Code, c));

            // Which one won: the one whose list on the other node shows the device.
            ClusterTenant.User? winner = null;
            foreach (var user in recipients)
            {
                var list = await EnvelopeAsync(user.Client.GetAsync("/v2/binding/enduserapi/userDeviceList"));
                if (list.GetProperty("data").GetProperty("total").GetInt64() == 1)
                {
                    winner = user;
                }
            }
            Assert.NotNull(winner);

            // The winner's authKey is not shown again; a fresh open code accepted by another recipient gives one to test with.
            var second = await EnvelopeAsync(owner.Client.PostAsync(
                $"/v2/binding/enduserapi/shareInfo?pk={device.Pk}&dk={device.Dk}&acceptingExpireAt={accepting}&coverMark=2", null));
            var guest = recipients.First(r => r != winner);
            var accepted = await EnvelopeAsync(guest.Client.PostAsync(
                $"/v2/binding/enduserapi/shareDevice?shareCode={Uri.EscapeDataString(second.GetProperty("data").GetString()!)}", null));
            Assert.True(accepted.GetProperty("code").GetInt32() == 200, accepted.ToString());
            var authKey = accepted.GetProperty("data").GetProperty("authKey").GetString()!;
            var handle = accepted.GetProperty("data").GetProperty("shareCode").GetString()!;
            Assert.True(await new DeviceClient(deviceOnA, device).IsAuthKeyValidAsync(authKey));
            Assert.True(await new DeviceClient(deviceOnB, device).IsAuthKeyValidAsync(authKey));

            // Revoked through one node (the owner's client is on node A): refused through both at once.
            var revoked = await EnvelopeAsync(owner.Client.DeleteAsync($"/v2/binding/enduserapi/ownerUserUnshareDevice?shareCode={handle}"));
            Assert.Equal(200, revoked.GetProperty("code").GetInt32());
            Assert.False(await new DeviceClient(deviceOnB, device).IsAuthKeyValidAsync(authKey));
            Assert.False(await new DeviceClient(deviceOnA, device).IsAuthKeyValidAsync(authKey));
            var guestList = await EnvelopeAsync(guest.Client.GetAsync("/v2/binding/enduserapi/userDeviceList"));
            Assert.Equal(0, guestList.GetProperty("data").GetProperty("total").GetInt64());
        }
        finally
        {
            foreach (var user in users)
            {
                user.Client.Dispose();
            }
        }
    }
}
