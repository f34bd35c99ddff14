using System.Text.Json.Serialization;
using Bindery.Infrastructure;
using Bindery.Registry;

namespace Bindery.Mqtt;

/// <summary>
/// <c>GET /admin/v1/products/{pk}/devices/{dk}/mqtt</c> (docs/admin-api.md): the device's MQTT connection as the
/// database records it (connected, since, which node) and the pushes still waiting for its acknowledgement (method,
/// created, expires, attempts — never the payload).
/// </summary>
public static class MqttAdminEndpoints
{
    public static async Task<IResult> GetDeviceMqttAsync(string pk, string dk, RegistryService registry, DevicePushReader pushes)
    {
        RegistryService.RequirePlausibleDk(dk);
        var product = await registry.GetProductAsync(pk);
        var normalized = DeviceKeyFormats.Resolve(product?.KeyFormat ?? DeviceKeyFormat.ImeiOrMac, dk);
        var device = await registry.GetDeviceAsync(pk, normalized)
            ?? throw new BinderyException(Errors.NotFound, $"device {Shorten(normalized)} of product '{Shorten(pk)}' does not exist");
        var (connection, pending) = await pushes.ReadAsync(device.Pk, device.Dk);
        return Envelope.OkResult(new DeviceMqttView(device.Pk, device.Dk, connection.Connected, connection.ConnectedAt, connection.NodeId,
            pending.Select(p => new PendingPushView(p.PushId, p.Method, p.CreatedAt, p.ExpiresAt, p.Attempts)).ToList()));
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";
}

public sealed record DeviceMqttView(
    [property: JsonPropertyName("pk")] string Pk,
    [property: JsonPropertyName("dk")] string Dk,
    [property: JsonPropertyName("connected")] bool Connected,
    [property: JsonPropertyName("connectedAt")] long? ConnectedAt,
    [property: JsonPropertyName("node")] string? Node,
    [property: JsonPropertyName("pendingPushes")] IReadOnlyList<PendingPushView> PendingPushes);

public sealed record PendingPushView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("createdAt")] long CreatedAt,
    [property: JsonPropertyName("expiresAt")] long ExpiresAt,
    [property: JsonPropertyName("attempts")] int Attempts);
