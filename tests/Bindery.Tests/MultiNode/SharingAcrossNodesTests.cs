using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Storage;
using Bindery.Tests.Support;
using Dapper;

namespace Bindery.Tests.MultiNode;

/// <summary>
/// Sharing through two real nodes on one PostgreSQL: a share made and ended through one node is gone through the
/// other on the very next request (nothing about shares is cached in a node), and a share code raced by fifty
/// recipients through both nodes is accepted exactly once.
/// </summary>
[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed class SharingAcrossNodesTests(TwoNodes nodes) : IAsyncLifetime
{
    private const string Base = "/v2/binding/enduserapi";
    private ClusterTenant _tenant = null!;
    private IDatabase? _db;

    public enum ShareEnd
    {
        OwnerRevokes,
        RecipientLeaves,
        SharingTimeEnds,
        OwnerUnbinds,
        DeviceReset,
        DeviceDeletedByAdmin,
    }

    public async Task InitializeAsync()
    {
        if (PostgresCluster.UnavailableReason is not null)
        {
            return;
        }
        await nodes.StartAsync();
        _tenant = await ClusterTenant.CreateAsync(nodes);
        _db = await nodes.OpenDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
    }

    public static TheoryData<ShareEnd> Ends()
    {
        var data = new TheoryData<ShareEnd>();
        foreach (var end in Enum.GetValues<ShareEnd>())
        {
            data.Add(end);
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Ends))]
    public async Task A_share_ended_through_one_node_is_gone_through_the_other_at_once(ShareEnd end)
    {
        PostgresCluster.SkipUnlessAvailable();
        var pk = await _tenant.CreateProductAsync(bindingMode: 1, methods: ["WIFI"]);
        var device = await _tenant.CreateDeviceAsync(pk);
        // User 0 (the owner) is on node A, user 1 (the recipient) on node B.
        var users = await _tenant.CreateUsersAsync(2);
        var (owner, recipient) = (users[0], users[1]);
        using var deviceHttpA = nodes.NodeA.CreateClient();
        using var deviceHttpB = nodes.NodeB.CreateClient();
        var deviceOnA = new DeviceClient(deviceHttpA, device);
        var deviceOnB = new DeviceClient(deviceHttpB, device);

        var code = await deviceOnA.ReportNewCodeAsync();
        await OkAsync(await owner.Client.PostAsJsonAsync($"{Base}/v2/deviceBindingByWifi", new { productKey = device.Pk, deviceKey = device.Dk, bindingCode = code }));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // A share whose time ends is real time here (two processes, no shared test clock): seconds, not hours.
        var sharingExpireAt = end == ShareEnd.SharingTimeEnds ? now + 3_000 : (long?)null;
        var acceptingExpireAt = sharingExpireAt is null ? now + 600_000 : now + 2_000;
        var shareCode = (await OkAsync(await owner.Client.PostAsync(
            $"{Base}/shareInfo?pk={device.Pk}&dk={device.Dk}&acceptingExpireAt={acceptingExpireAt}" + (sharingExpireAt is { } at ? $"&sharingExpireAt={at}" : ""), null))).GetString()!;
        var accepted = await OkAsync(await recipient.Client.PostAsync($"{Base}/shareDevice?shareCode={Uri.EscapeDataString(shareCode)}", null));
        var authKey = accepted.GetProperty("authKey").GetString()!;
        var handle = accepted.GetProperty("shareCode").GetString()!;
        Assert.True(await HasDeviceAsync(recipient, device));
        Assert.True(await deviceOnB.IsAuthKeyValidAsync(authKey));

        switch (end)
        {
            case ShareEnd.OwnerRevokes:
                await OkAsync(await owner.Client.DeleteAsync($"{Base}/ownerUserUnshareDevice?shareCode={Uri.EscapeDataString(handle)}"));
                break;
            case ShareEnd.RecipientLeaves:
                // The recipient is on node B: leave there, look from node A below as well.
                await OkAsync(await recipient.Client.DeleteAsync($"{Base}/shareUserUnshareDevice?shareCode={Uri.EscapeDataString(handle)}"));
                break;
            case ShareEnd.SharingTimeEnds:
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, sharingExpireAt!.Value - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 200)));
                break;
            case ShareEnd.OwnerUnbinds:
                await OkAsync(await owner.Client.DeleteAsync($"{Base}/unbundlingDeviceDk?pk={device.Pk}&dk={device.Dk}"));
                break;
            case ShareEnd.DeviceReset:
                await deviceOnA.ResetAsync();
                break;
            case ShareEnd.DeviceDeletedByAdmin:
                using (var admin = nodes.NodeA.CreateAdminClient(BinderyApp.AdminKeyValue))
                {
                    await OkAsync(await admin.DeleteAsync($"/admin/v1/products/{device.Pk}/devices/{device.Dk}"));
                }
                break;
        }

        Assert.False(await HasDeviceAsync(recipient, device));
        using var recipientOnA = nodes.NodeA.CreateClient();
        recipientOnA.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", recipient.Token);
        Assert.False(await HasDeviceAsync(recipient with { Client = recipientOnA }, device));
        if (end != ShareEnd.DeviceDeletedByAdmin)
        {
            Assert.False(await deviceOnB.IsAuthKeyValidAsync(authKey));
            Assert.False(await deviceOnA.IsAuthKeyValidAsync(authKey));
        }
        var info = await (await recipient.Client.GetAsync($"{Base}/deviceInfo?pk={device.Pk}&dk={device.Dk}")).ReadEnvelopeAsync();
        Assert.NotEqual(200, info.Code());
    }

    [SkippableFact]
    public async Task Fifty_recipients_presenting_one_share_code_through_both_nodes_accept_it_once()
    {
        PostgresCluster.SkipUnlessAvailable();
        var pk = await _tenant.CreateProductAsync(bindingMode: 1, methods: ["WIFI"]);
        var users = await _tenant.CreateUsersAsync(51);
        var owner = users[0];
        var recipients = users.Skip(1).ToList();

        for (var round = 0; round < 5; round++)
        {
            var device = await _tenant.CreateDeviceAsync(pk);
            using var deviceHttp = nodes.Node(round).CreateClient();
            var code = await new DeviceClient(deviceHttp, device).ReportNewCodeAsync();
            await OkAsync(await owner.Client.PostAsJsonAsync($"{Base}/v2/deviceBindingByWifi", new { productKey = device.Pk, deviceKey = device.Dk, bindingCode = code }));
            var acceptingExpireAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 600_000;
            var shareCode = (await OkAsync(await owner.Client.PostAsync($"{Base}/shareInfo?pk={device.Pk}&dk={device.Dk}&acceptingExpireAt={acceptingExpireAt}", null))).GetString()!;

            var codes = await ClusterTenant.RaceAsync(recipients, user =>
                user.Client.PostAsync($"{Base}/shareDevice?shareCode={Uri.EscapeDataString(shareCode)}", null));

            Assert.Equal(1, codes.Count(c => c == 200));
            Assert.All(codes.Where(c => c != 200), c => Assert.Equal(Errors.ShareCodeUsed.Code, c));
            var rows = await _db!.ReadAsync(c => c.QuerySingleAsync<(long Accepted, long Events)>(
                """
                SELECT (SELECT COUNT(*) FROM device_shares WHERE pk = @Pk AND dk = @Dk AND accepted_at IS NOT NULL),
                       (SELECT COUNT(*) FROM binding_events WHERE pk = @Pk AND dk = @Dk AND kind = 'share_accepted')
                """, new { device.Pk, device.Dk }));
            Assert.Equal((1L, 1L), rows);
        }
    }

    private static async Task<bool> HasDeviceAsync(ClusterTenant.User user, Tenant.Device device)
    {
        var list = await OkAsync(await user.Client.GetAsync($"{Base}/userDeviceList?page=1&pageSize=100"));
        return list.GetProperty("list").EnumerateArray().Any(d =>
            d.GetProperty("productKey").GetString() == device.Pk && d.GetProperty("deviceKey").GetString() == device.Dk);
    }

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var envelope = await response.ReadEnvelopeAsync();
            Assert.True(envelope.Code() == 200, envelope.ToString());
            return envelope.Data();
        }
    }
}
