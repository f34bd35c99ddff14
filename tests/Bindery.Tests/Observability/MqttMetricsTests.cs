using System.Text.Json.Nodes;
using Bindery.Infrastructure;
using Bindery.Tests.Mqtt;
using Bindery.Tests.Support;

namespace Bindery.Tests.Observability;

/// <summary>A server with its MQTT broker on a loopback port and the Prometheus endpoint on.</summary>
public sealed class MqttMetricsFixture : IAsyncLifetime
{
    public MqttFixture Mqtt { get; } = new(new Dictionary<string, string?>
    {
        ["Metrics:Prometheus:Enabled"] = "true",
        ["Metrics:Prometheus:ScrapeToken"] = MetricsFixture.ScrapeToken,
    });

    public Task<PrometheusScrape> ScrapeAsync() => PrometheusScrape.ReadAsync(Mqtt.App.CreateClient(), MetricsFixture.ScrapeToken);

    public Task InitializeAsync() => Mqtt.InitializeAsync();

    public Task DisposeAsync() => Mqtt.DisposeAsync();
}

/// <summary>docs/operations.md, "Metrics": device messages over MQTT count as device reports; the broker's connections.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MqttMetricsTests(MqttMetricsFixture fx) : IClassFixture<MqttMetricsFixture>
{
    private const string Reports = "bindery_device_reports_total";

    private static JsonObject Call(string method, JsonObject? parameters = null) => new() { ["method"] = method, ["params"] = parameters };

    private static string Code(ErrorDef error) => error.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Device_messages_count_by_kind_with_transport_mqtt_and_connections_are_gauged()
    {
        var before = await fx.ScrapeAsync();
        var (device, mqtt) = await fx.Mqtt.ConnectedDeviceAsync();
        var code = DeviceClient.NewCode();
        await using (mqtt)
        {
            Assert.Equal(200, (int)(await mqtt.RequestAsync("bindery", Call("report_binding_code", new() { ["bindingCode"] = code, ["lifetime"] = 300 })))["code"]!);
            Assert.Equal(Errors.InvalidParameterValue.Code, (int)(await mqtt.RequestAsync("bindery", Call("report_binding_code", new() { ["bindingCode"] = code, ["lifetime"] = 3601 })))["code"]!);
            // A method the device made up is counted under a fixed kind, never under its own name.
            Assert.Equal(Errors.UnsupportedOperation.Code, (int)(await mqtt.RequestAsync("bindery", Call("exfiltrate_" + device.Dk)))["code"]!);

            var during = await fx.ScrapeAsync();
            Assert.Equal(1, during.Sum("bindery_mqtt_connections") - before.Sum("bindery_mqtt_connections"));
            (string, string)[] mqttCode = [("kind", "code"), ("transport", "mqtt")];
            Assert.Equal(1, during.Sum(Reports, [.. mqttCode, ("outcome", "accepted"), ("code", "0")]) - before.Sum(Reports, [.. mqttCode, ("outcome", "accepted"), ("code", "0")]));
            Assert.Equal(1, during.Sum(Reports, [.. mqttCode, ("outcome", "refused"), ("code", Code(Errors.InvalidParameterValue))])
                - before.Sum(Reports, [.. mqttCode, ("outcome", "refused"), ("code", Code(Errors.InvalidParameterValue))]));
            Assert.Equal(1, during.Sum(Reports, ("kind", "other"), ("transport", "mqtt"), ("code", Code(Errors.UnsupportedOperation)))
                - before.Sum(Reports, ("kind", "other"), ("transport", "mqtt"), ("code", Code(Errors.UnsupportedOperation))));
            foreach (var secret in new[] { device.Pk, device.Dk, device.DeviceSecret, code })
            {
                Assert.DoesNotContain(secret, during.Text, StringComparison.OrdinalIgnoreCase);
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        var after = await fx.ScrapeAsync();
        while (after.Sum("bindery_mqtt_connections") != before.Sum("bindery_mqtt_connections") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            after = await fx.ScrapeAsync();
        }
        Assert.Equal(before.Sum("bindery_mqtt_connections"), after.Sum("bindery_mqtt_connections"));
    }
}
