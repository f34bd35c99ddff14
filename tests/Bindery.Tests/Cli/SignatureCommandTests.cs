using System.Text.Json;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.Cli;

/// <summary>
/// bindery-sim plays the device side of the signature and QR flows (docs/binding.md): what it prints binds through
/// the Tencent-style API. Devices of a tenant of their own (the demo devices belong to the other simulator tests).
/// </summary>
public sealed class SignatureCommandTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private async Task<(Tenant.Device Device, TencentApi Api, string FamilyId)> SetupAsync(string[] methods)
    {
        var tenant = await Tenant.CreateAsync(sim.App, homeMode: true);
        var product = await tenant.CreateProductAsync(2, methods: methods);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var user = await tenant.CreateUserAsync();
        var api = new TencentApi(sim.App.CreateClient(), user.Token);
        var family = await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" });
        return (device, api, family.GetProperty("FamilyId").GetString()!);
    }

    private static Dictionary<string, object?> Parameters(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!
            .Where(p => p.Key is not ("Action" or "AccessToken"))
            .ToDictionary(p => p.Key, p => (object?)p.Value);

    [Theory]
    [InlineData("hmacsha1")]
    [InlineData("hmacsha256")]
    public async Task Sig_bind_prints_a_request_whose_signature_binds_the_device(string method)
    {
        var (device, api, familyId) = await SetupAsync(["SIG"]);
        var run = await sim.SimWithoutDemoAsync("sig-bind", "--pk", device.Pk, "--dk", device.Dk, "--device-secret", device.DeviceSecret,
            "--sign-method", method, "--fid", familyId, "--print-body");
        Assert.True(run.Exit == 0, run.Error);
        var body = Parameters(run.Output);
        Assert.Equal("$TOKEN", JsonDocument.Parse(run.Output).RootElement.GetProperty("AccessToken").GetString());
        var data = await api.OkAsync("AppSigBindDeviceInFamily", body);
        Assert.Equal(device.Pk + "/" + device.Dk, data.GetProperty("AppDeviceInfo").GetProperty("DeviceId").GetString());
    }

    [Fact]
    public async Task Qr_code_prints_the_labels_text_whose_signature_adds_the_device()
    {
        var (device, api, familyId) = await SetupAsync(["QR"]);
        var run = await sim.SimWithoutDemoAsync("qr-code", "--pk", device.Pk, "--dk", device.Dk, "--device-secret", device.DeviceSecret, "--print-payload");
        Assert.True(run.Exit == 0, run.Error);
        var qr = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal(device.Pk, qr.GetProperty("ProductId").GetString());
        Assert.Equal(device.Dk, qr.GetProperty("DeviceName").GetString());
        await api.OkAsync("AppSecureAddDeviceInFamily", new()
        {
            ["FamilyId"] = familyId,
            ["DeviceSignature"] = qr.GetProperty("DeviceSignature").GetString(),
        });
    }
}
