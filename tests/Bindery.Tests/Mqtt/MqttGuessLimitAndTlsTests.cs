using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bindery.Mqtt;
using Bindery.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace Bindery.Tests.Mqtt;

/// <summary>
/// Failed connects are limited per remote address and device (<c>Mqtt:AuthFailuresPerAddressAndDevice</c>) and per
/// remote address (<c>Mqtt:AuthFailuresPerAddress</c>); and the TLS listener serves the configured certificate.
/// </summary>
public sealed class MqttGuessLimitAndTlsTests
{
    private static async Task<(MqttFixture Fixture, int Port)> StartAsync(Dictionary<string, string?> settings)
    {
        var fx = new MqttFixture(settings);
        await fx.InitializeAsync();
        return (fx, fx.Port);
    }

    [Fact]
    public async Task After_the_limit_of_failures_an_address_is_refused_as_that_device_even_with_the_right_password_but_not_as_another()
    {
        var (fx, port) = await StartAsync(new() { ["Mqtt:AuthFailuresPerAddressAndDevice"] = "3" });
        try
        {
            var pk = await fx.ProductAsync();
            var device = await fx.DeviceAsync(pk);
            var other = await fx.DeviceAsync(pk);
            var wrong = MqttFixture.ConnectOf(device) with { DeviceSecret = MqttFixture.NewDeviceSecret() };
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await TencentMqttDevice.TryConnectAsync(port, wrong));
            }
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await TencentMqttDevice.TryConnectAsync(port, MqttFixture.ConnectOf(device)));
            Assert.Equal(MqttClientConnectResultCode.Success, await TencentMqttDevice.TryConnectAsync(port, MqttFixture.ConnectOf(other)));
        }
        finally
        {
            await fx.DisposeAsync();
        }
    }

    [Fact]
    public async Task After_the_aggregate_limit_an_address_is_refused_as_any_device()
    {
        var (fx, port) = await StartAsync(new() { ["Mqtt:AuthFailuresPerAddress"] = "3" });
        try
        {
            var pk = await fx.ProductAsync();
            for (var i = 0; i < 3; i++)
            {
                // Spread over devices, known and unknown.
                var device = await fx.DeviceAsync(pk);
                var connect = MqttFixture.ConnectOf(device) with { DeviceSecret = MqttFixture.NewDeviceSecret(), DeviceName = i == 0 ? "nobody" : device.Dk };
                Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await TencentMqttDevice.TryConnectAsync(port, connect));
            }
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await TencentMqttDevice.TryConnectAsync(port, MqttFixture.ConnectOf(await fx.DeviceAsync(pk))));
        }
        finally
        {
            await fx.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_a_PEM_certificate_the_broker_also_listens_with_TLS()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var dir = Directory.CreateTempSubdirectory("bindery-mqtt-tls-");
        try
        {
            var certPath = Path.Combine(dir.FullName, "server.crt");
            var keyPath = Path.Combine(dir.FullName, "server.key");
            await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
            var (fx, _) = await StartAsync(new()
            {
                ["Mqtt:TlsPort"] = "0",
                ["Mqtt:Tls:CertificatePath"] = certPath,
                ["Mqtt:Tls:KeyPath"] = keyPath,
            });
            try
            {
                var tlsPort = fx.App.Services.GetRequiredService<MqttBroker>().TlsPort;
                Assert.NotEqual(0, tlsPort);
                var device = await fx.DeviceAsync();
                var connect = MqttFixture.ConnectOf(device);
                var thumbprint = certificate.Thumbprint;
                var options = new MqttClientOptionsBuilder()
                    .WithTcpServer("127.0.0.1", tlsPort)
                    .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V311)
                    .WithClientId(device.Pk + device.Dk)
                    .WithCredentials(connect.Username, TencentMqttDevice.Password(connect.Username, device.DeviceSecret, "hmacsha1"))
                    .WithTlsOptions(tls => tls.UseTls().WithCertificateValidationHandler(e =>
                        // The test's own self-signed certificate, pinned.
                        e.Certificate is not null && e.Certificate.GetCertHashString() == thumbprint))
                    .Build();
                using var client = new MqttClientFactory().CreateMqttClient();
                var result = await client.ConnectAsync(options);
                Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
                await client.DisconnectAsync();
            }
            finally
            {
                await fx.DisposeAsync();
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
