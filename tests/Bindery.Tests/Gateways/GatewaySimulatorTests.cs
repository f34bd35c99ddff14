using System.Globalization;
using Bindery.Infrastructure;
using Bindery.Tests.Cli;

namespace Bindery.Tests.Gateways;

/// <summary>
/// <c>bindery-sim gateway</c> plays a gateway of the demo tenant: it reports the sub-devices it paired, each signed
/// with the sub-device's secret, over HTTP and over MQTT, and fails (exit 1) when a sub-device is refused.
/// </summary>
public sealed class GatewaySimulatorTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task The_simulator_pairs_sub_devices_over_HTTP_and_MQTT_and_exits_1_on_a_refusal()
    {
        var (gatewayProduct, gateway) = sim.Device(mode: 1, number: 1);
        var (subProduct, sub) = sim.Device(mode: 2, number: 1);
        var (otherProduct, other) = sim.Device(mode: 3, number: 1);

        var http = await sim.SimOkAsync("gateway", "--pk", gatewayProduct.Pk, "--dk", gateway.Dk, "--sub", $"{subProduct.Pk},{sub.Dk},{sub.DeviceSecret}");
        Assert.Contains($"{subProduct.Pk} / {sub.Dk}: result 0", http, StringComparison.Ordinal);
        Assert.Contains("bindGatewaySubDevice?gatewayPk=", http, StringComparison.Ordinal);
        Assert.DoesNotContain(sub.DeviceSecret, http, StringComparison.Ordinal);

        var mqtt = await sim.SimOkAsync("gateway", "--pk", gatewayProduct.Pk, "--dk", gateway.Dk, "--mqtt",
            "--mqtt-port", sim.MqttPort.ToString(CultureInfo.InvariantCulture), "--sub", $"{otherProduct.Pk},{other.Dk},{other.DeviceSecret}");
        Assert.Contains("\"result\":0", mqtt, StringComparison.Ordinal);

        // Another gateway claiming the same sub-device is refused (9451): exit 1.
        var (_, second) = sim.Device(mode: 1, number: 2);
        var refused = await sim.SimAsync("gateway", "--pk", gatewayProduct.Pk, "--dk", second.Dk, "--sub", $"{subProduct.Pk},{sub.Dk},{sub.DeviceSecret}");
        Assert.Equal(1, refused.Exit);
        Assert.Contains($"result {Errors.SubDeviceOfAnotherGateway.Code}", refused.Output, StringComparison.Ordinal);
    }
}
