using System.Security.Cryptography;
using Bindery.Mqtt;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// One server per test class with its MQTT broker on a free loopback port (real TCP) and a home-mode user domain.
/// Tests make their own Tencent-style products (10-character ProductId, device-key format <c>tencent</c>) and
/// devices (a Tencent device secret: base64 of 16 random bytes), users and families.
/// </summary>
public sealed class MqttFixture : IAsyncLifetime
{
    public MqttFixture()
        : this(null)
    {
    }

    /// <summary>A fixture with extra settings (a test class of its own creates and disposes it).</summary>
    internal MqttFixture(IDictionary<string, string?>? settings) =>
        App = new(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Mqtt:Enabled"] = "true",
            ["Mqtt:BindAddress"] = "127.0.0.1",
            ["Mqtt:Port"] = "0",
        });

    public BinderyApp App { get; }

    public Tenant Tenant { get; private set; } = null!;

    /// <summary>The broker's port (the one the system picked).</summary>
    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        Tenant = await Tenant.CreateAsync(App, homeMode: true);
        Port = App.Services.GetRequiredService<MqttBroker>().Port;
        Assert.NotEqual(0, Port);
    }

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A Tencent-style ProductId: 10 characters of A-Z 0-9.</summary>
    public static string NewProductId() => RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10);

    /// <summary>A Tencent device secret: base64 of 16 random bytes.</summary>
    public static string NewDeviceSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>POST /admin/v1/products with a Tencent ProductId and device-key format, every binding method.</summary>
    public async Task<string> ProductAsync(int bindingMode = 1)
    {
        var pk = NewProductId();
        await Tenant.PostOkAsync(App.CreateAdminClient(), "/admin/v1/products", new
        {
            pk,
            deviceKeyFormat = "tencent",
            name = "MQTT light",
            logoUrl = "https://example.invalid/logo.png",
            moduleType = "ESP32",
            bindingMode,
            userCap = 5,
            methods = new[] { "SN", "WIFI", "BT", "TOKEN" },
            userDomains = new[] { Tenant.DomainId },
        });
        return pk;
    }

    /// <summary>POST /admin/v1/products/{pk}/devices with a Tencent device name and secret.</summary>
    public async Task<Tenant.Device> DeviceAsync(string? pk = null, string? deviceSecret = null)
    {
        pk ??= await ProductAsync();
        var dk = "light_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8);
        var sn = "SN" + RandomNumberGenerator.GetString("0123456789", 12);
        var data = await Tenant.PostOkAsync(App.CreateAdminClient(), $"/admin/v1/products/{pk}/devices",
            new { dk, sn, deviceSecret = deviceSecret ?? NewDeviceSecret() });
        return new Tenant.Device(pk, data.GetProperty("dk").GetString()!, data.GetProperty("sn").GetString()!, data.GetProperty("deviceSecret").GetString()!);
    }

    public static TencentMqttDevice.Connect ConnectOf(Tenant.Device device) => new(device.Pk, device.Dk, device.DeviceSecret);

    /// <summary>A registered device, connected and subscribed to its down topics.</summary>
    public async Task<(Tenant.Device Device, TencentMqttDevice Mqtt)> ConnectedDeviceAsync(string? pk = null)
    {
        var device = await DeviceAsync(pk);
        return (device, await TencentMqttDevice.ConnectAsync(Port, ConnectOf(device)));
    }

    /// <summary>A user with a family of their own, created through the Tencent-style API.</summary>
    public async Task<(Tenant.User User, TencentApi Api, string FamilyId)> UserWithFamilyAsync()
    {
        var user = await Tenant.CreateUserAsync();
        var api = new TencentApi(App.CreateClient(), user.Token);
        var family = await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" });
        return (user, api, family.GetProperty("FamilyId").GetString()!);
    }
}
