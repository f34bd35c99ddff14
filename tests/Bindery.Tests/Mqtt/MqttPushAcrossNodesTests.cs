using Bindery.Tests.Binding;
using Bindery.Tests.MultiNode;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;
using Dapper;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// Two nodes on one PostgreSQL: the device holds its MQTT connection on node A, the app binds and unbinds through
/// node B, and node A — the holder of the connection, found in <c>mqtt_connections</c> — delivers the pushes.
/// </summary>
[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed class MqttPushAcrossNodesTests(TwoNodes nodes)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(2);

    [SkippableFact]
    public async Task A_device_on_node_A_receives_bind_device_and_unbind_device_for_a_binding_made_through_node_B()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var tenant = await ClusterTenant.CreateAsync(nodes, homeMode: true);
        var user = (await tenant.CreateUsersAsync(1))[0];
        var device = await TencentDeviceAsync(tenant.DomainId);

        await using var mqtt = await TencentMqttDevice.ConnectAsync(nodes.NodeA.MqttPort, MqttFixture.ConnectOf(device));
        await using (var db = await nodes.OpenDatabaseAsync())
        {
            // The connection is recorded (the node holding it is the one that delivers).
            string? node = null;
            for (var i = 0; i < 40 && node is null; i++)
            {
                node = await db.ReadAsync(c => c.ExecuteScalarAsync<string>(
                    "SELECT node_id FROM mqtt_connections WHERE pk = @Pk AND dk = @Dk AND round_id IS NOT NULL", new { device.Pk, device.Dk }));
                await Task.Delay(node is null ? 50 : 0);
            }
            Assert.False(string.IsNullOrEmpty(node));
        }

        var api = new TencentApi(nodes.NodeB.CreateClient(), user.Token);
        var familyId = (await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        await MqttPushTests.TokenBindAsync(mqtt, api, device, familyId);
        var bind = await mqtt.NextAsync(MqttPushTests.Method("bind_device"), Within);
        Assert.Equal(user.Uid, (string?)bind["params"]!["UserID"]);

        using var onB = nodes.NodeB.CreateClient();
        onB.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", user.Token);
        Assert.True((await BindingApi.UnbindAsync(onB, device.Pk, device.Dk)).Code() == 200);
        await mqtt.NextAsync(MqttPushTests.Method("unbind_device"), Within);
    }

    [SkippableFact]
    public async Task A_device_that_was_on_node_A_and_comes_back_on_node_B_gets_what_it_missed_there()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var tenant = await ClusterTenant.CreateAsync(nodes, homeMode: true);
        var user = (await tenant.CreateUsersAsync(1))[0];
        var device = await TencentDeviceAsync(tenant.DomainId);
        var api = new TencentApi(nodes.NodeA.CreateClient(), user.Token);
        var familyId = (await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        await using (var onA = await TencentMqttDevice.ConnectAsync(nodes.NodeA.MqttPort, MqttFixture.ConnectOf(device)))
        {
            await MqttPushTests.TokenBindAsync(onA, api, device, familyId);
            await onA.NextAsync(MqttPushTests.Method("bind_device"), Within);
        }

        await api.OkAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });
        await using var onB = await TencentMqttDevice.ConnectAsync(nodes.NodeB.MqttPort, MqttFixture.ConnectOf(device));
        var unbind = await onB.NextAsync(MqttPushTests.Method("unbind_device"), Within);
        Assert.Equal(user.Uid, (string?)unbind["params"]!["UserID"]);
    }

    /// <summary>A Tencent-style product and device, made through node B's admin API.</summary>
    private async Task<Tenant.Device> TencentDeviceAsync(string domainId)
    {
        using var admin = nodes.NodeB.CreateAdminClient(BinderyApp.AdminKeyValue);
        var pk = MqttFixture.NewProductId();
        await Tenant.PostOkAsync(admin, "/admin/v1/products", new
        {
            pk,
            deviceKeyFormat = "tencent",
            name = "MQTT light",
            logoUrl = "https://example.invalid/logo.png",
            moduleType = "ESP32",
            bindingMode = 1,
            userCap = 5,
            methods = new[] { "TOKEN" },
            userDomains = new[] { domainId },
        });
        var dk = "light_" + System.Security.Cryptography.RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8);
        var data = await Tenant.PostOkAsync(admin, $"/admin/v1/products/{pk}/devices",
            new { dk, sn = "SN" + System.Security.Cryptography.RandomNumberGenerator.GetString("0123456789", 12), deviceSecret = MqttFixture.NewDeviceSecret() });
        return new Tenant.Device(pk, data.GetProperty("dk").GetString()!, data.GetProperty("sn").GetString()!, data.GetProperty("deviceSecret").GetString()!);
    }
}
