using System.Net.Http.Json;
using Bindery.Infrastructure;
using Bindery.Storage;
using Bindery.Tests.Support;
using Dapper;

namespace Bindery.Tests.MultiNode;

/// <summary>
/// Fifty users race for one device through two real nodes on one PostgreSQL, round after round on a fresh
/// device: the database decides, so the outcome is the one a single node gives — exactly one owner, a code used
/// once, a user cap never exceeded — and every loser gets a catalogued refusal, never a 500.
/// </summary>
[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed class BindingRacesAcrossNodesTests(TwoNodes nodes) : IAsyncLifetime
{
    private const int Users = 50;
    private ClusterTenant _tenant = null!;
    private List<ClusterTenant.User> _users = null!;
    private IDatabase? _db;

    public async Task InitializeAsync()
    {
        if (PostgresCluster.UnavailableReason is not null)
        {
            return;
        }
        await nodes.StartAsync();
        _tenant = await ClusterTenant.CreateAsync(nodes);
        _users = await _tenant.CreateUsersAsync(Users);
        _db = await nodes.OpenDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var user in _users ?? [])
        {
            user.Client.Dispose();
        }
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Fifty_users_binding_one_owner_mode_device_through_both_nodes_leave_exactly_one_binding()
    {
        PostgresCluster.SkipUnlessAvailable();
        var pk = await _tenant.CreateProductAsync(bindingMode: 2, methods: ["SN"]);

        for (var round = 0; round < 30; round++)
        {
            var device = await _tenant.CreateDeviceAsync(pk);

            var codes = await ClusterTenant.RaceAsync(_users, user =>
                user.Client.PostAsync($"/v2/binding/enduserapi/bindDeviceSn?pk={device.Pk}&sn={device.Sn}", null));

            Assert.Equal(1, codes.Count(c => c == 200));
            Assert.All(codes.Where(c => c != 200), c => Assert.Equal(Errors.UniqueBindingMode.Code, c));
            Assert.Equal(1, await BindingsOfAsync(device));
        }
    }

    [SkippableFact]
    public async Task Fifty_users_presenting_one_single_use_wifi_code_through_both_nodes_bind_once()
    {
        PostgresCluster.SkipUnlessAvailable();
        // Multi-user mode with room for everyone: only the code's single use can stop the other 49.
        var pk = await _tenant.CreateProductAsync(bindingMode: 1, methods: ["WIFI"], userCap: 100);

        for (var round = 0; round < 30; round++)
        {
            var device = await _tenant.CreateDeviceAsync(pk);
            using var deviceHttp = nodes.Node(round).CreateClient();
            var code = await new DeviceClient(deviceHttp, device).ReportNewCodeAsync();

            var codes = await ClusterTenant.RaceAsync(_users, user => user.Client.PostAsJsonAsync(
                "/v2/binding/enduserapi/v2/deviceBindingByWifi", new { productKey = device.Pk, deviceKey = device.Dk, bindingCode = code }));

            Assert.Equal(1, codes.Count(c => c == 200));
            Assert.All(codes.Where(c => c != 200), c => Assert.Equal(Errors.BindingCodeVerificationFailed.Code, c));
            Assert.Equal(1, await BindingsOfAsync(device));
        }
    }

    [SkippableFact]
    public async Task Fifty_users_binding_one_multi_user_device_through_both_nodes_never_exceed_its_cap()
    {
        PostgresCluster.SkipUnlessAvailable();
        const int cap = 5;
        var pk = await _tenant.CreateProductAsync(bindingMode: 1, methods: ["SN"], userCap: cap);

        for (var round = 0; round < 20; round++)
        {
            var device = await _tenant.CreateDeviceAsync(pk);

            var codes = await ClusterTenant.RaceAsync(_users, user =>
                user.Client.PostAsync($"/v2/binding/enduserapi/bindDeviceSn?pk={device.Pk}&sn={device.Sn}", null));

            Assert.Equal(cap, codes.Count(c => c == 200));
            Assert.All(codes.Where(c => c != 200), c => Assert.Equal(Errors.UserCapReached.Code, c));
            Assert.Equal(cap, await BindingsOfAsync(device));
        }
    }

    private Task<long> BindingsOfAsync(Tenant.Device device) => _db!.ReadAsync(c => c.ExecuteScalarAsync<long>(
        "SELECT COUNT(*) FROM bindings WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk }));
}
