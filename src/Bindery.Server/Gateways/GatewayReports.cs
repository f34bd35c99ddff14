using System.Text.Json.Serialization;
using Bindery.Binding;
using Bindery.Devices;
using Bindery.Protocol;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Storage;

namespace Bindery.Gateways;

/// <summary>
/// The gateway's side (docs/device-api.md, "Gateway sub-devices"): a device some transport has authenticated
/// (<see cref="DeviceVerifier"/>, or the MQTT broker) reports the sub-devices it has paired, each with the sub-device's
/// own signature (<see cref="SubDeviceSignature"/>), removes them, or asks which it has. The HTTP device API and the
/// MQTT <c>$gateway/operation</c> topic are two adapters over these methods. Each sub-device gets its own result, as
/// Tencent's gateway replies do.
/// </summary>
public sealed class GatewayReports(IDatabase db, TimeProvider clock)
{
    /// <summary>Most sub-devices one report may name.</summary>
    public const int MaxDevicesPerReport = 50;

    /// <summary>One sub-device a gateway claims, with the sub-device's proof.</summary>
    public sealed record Claim(string? Pk, string? Dk, long? Random, long? Timestamp, string? SignMethod, string? Signature);

    /// <summary>One sub-device's outcome: <c>result</c> 0, or the refusal's catalogue code and its message.</summary>
    public sealed record Outcome(
        [property: JsonPropertyName("pk")] string? Pk,
        [property: JsonPropertyName("dk")] string? Dk,
        [property: JsonPropertyName("result")] int Result,
        [property: JsonPropertyName("msg")] string Msg);

    public sealed record Outcomes([property: JsonPropertyName("devices")] IReadOnlyList<Outcome> Devices);

    public sealed record SubDevice(
        [property: JsonPropertyName("pk")] string Pk,
        [property: JsonPropertyName("dk")] string Dk,
        [property: JsonPropertyName("reportedAt")] long ReportedAt);

    public sealed record SubDeviceList([property: JsonPropertyName("devices")] IReadOnlyList<SubDevice> Devices);

    private sealed class SecretRow
    {
        public string Pk { get; set; } = "";

        public string Dk { get; set; } = "";

        public string DeviceSecret { get; set; } = "";
    }

    /// <summary>The gateway pairs sub-devices: each is checked and recorded on its own (one write for all).</summary>
    public async Task<Outcomes> PairAsync(AuthenticatedDevice gateway, IReadOnlyList<Claim>? claims)
    {
        CheckCount(claims);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await db.WriteAsync(async tx =>
        {
            var outcomes = new List<Outcome>();
            foreach (var claim in claims!)
            {
                outcomes.Add(await PairOneAsync(tx, gateway, claim, now));
            }
            return new Outcomes(outcomes);
        }, WriteIsolation.RowLocks);
    }

    /// <summary>
    /// The gateway removes sub-devices it paired: each leaves its topology, and the bindings made through this gateway
    /// end (binding events and pushes as for any unbind). A sub-device the gateway does not have answers 5052.
    /// </summary>
    public async Task<Outcomes> RemoveAsync(AuthenticatedDevice gateway, IReadOnlyList<Claim>? devices)
    {
        CheckCount(devices);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await db.WriteAsync(async tx =>
        {
            // The gateway row first: every decision that rests on the gateway's bindings serialises on it.
            await LockGatewayAsync(tx, gateway);
            var outcomes = new List<Outcome>();
            foreach (var device in devices!)
            {
                outcomes.Add(await RemoveOneAsync(tx, gateway, device, now));
            }
            return new Outcomes(outcomes);
        }, WriteIsolation.RowLocks);
    }

    /// <summary>The sub-devices the gateway has (Tencent's <c>describe_sub_devices</c>).</summary>
    public async Task<SubDeviceList> ListAsync(AuthenticatedDevice gateway) =>
        new((await db.ReadAsync(connection => Dapper.SqlMapper.QueryAsync<SubDevice>(connection,
            """
            SELECT sub_pk AS pk, sub_dk AS dk, reported_at FROM gateway_sub_devices
            WHERE gateway_pk = @Pk AND gateway_dk = @Dk ORDER BY reported_at, sub_pk, sub_dk
            """, new { gateway.Pk, gateway.Dk }))).ToList());

    private static void CheckCount<T>(IReadOnlyList<T>? items)
    {
        if (items is null || items.Count == 0)
        {
            throw new BinderyException(Errors.InvalidParameter, "devices is required: a list of the sub-devices");
        }
        if (items.Count > MaxDevicesPerReport)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"at most {MaxDevicesPerReport} sub-devices per report");
        }
    }

    private static async Task<Outcome> PairOneAsync(DbTx tx, AuthenticatedDevice gateway, Claim claim, long now)
    {
        try
        {
            var (pk, dk) = await ResolveAsync(tx, gateway, claim);
            if (claim.Random is not { } random || claim.Timestamp is not { } timestamp || string.IsNullOrEmpty(claim.Signature))
            {
                throw new BinderyException(Errors.InvalidParameter, "random, timestamp and signature are required");
            }
            if (!SubDeviceSignature.IsKnownMethod(claim.SignMethod))
            {
                throw new BinderyException(Errors.InvalidParameterValue, "signMethod is hmacsha1 or hmacsha256");
            }
            var secret = await tx.QuerySingleOrDefaultAsync<SecretRow>(
                "SELECT pk, dk, device_secret FROM devices WHERE pk = @Pk AND dk = @Dk", new { Pk = pk, Dk = dk })
                ?? throw new BinderyException(Errors.ProductOrDeviceNotFound);
            var fresh = Math.Abs(now / 1000 - timestamp) <= (long)SubDeviceSignature.Window.TotalSeconds;
            // A stale timestamp and a wrong signature are the same refusal (every failed proof is 5009).
            if (!(SubDeviceSignature.Matches(secret.DeviceSecret, claim.Pk!.Trim(), claim.Dk!.Trim(), random, timestamp, claim.SignMethod, claim.Signature) & fresh))
            {
                throw new BinderyException(Errors.DeviceVerificationFailed);
            }
            // The primary key (sub_pk, sub_dk) decides: the first gateway to claim the sub-device keeps it.
            var inserted = await tx.ExecuteAsync(
                """
                INSERT INTO gateway_sub_devices (sub_pk, sub_dk, gateway_pk, gateway_dk, reported_at)
                VALUES (@Pk, @Dk, @GatewayPk, @GatewayDk, @Now)
                ON CONFLICT (sub_pk, sub_dk) DO NOTHING
                """, new { Pk = pk, Dk = dk, GatewayPk = gateway.Pk, GatewayDk = gateway.Dk, Now = now });
            if (inserted == 0)
            {
                var renewed = await tx.ExecuteAsync(
                    """
                    UPDATE gateway_sub_devices SET reported_at = @Now
                    WHERE sub_pk = @Pk AND sub_dk = @Dk AND gateway_pk = @GatewayPk AND gateway_dk = @GatewayDk
                    """, new { Pk = pk, Dk = dk, GatewayPk = gateway.Pk, GatewayDk = gateway.Dk, Now = now });
                if (renewed == 0)
                {
                    throw new BinderyException(Errors.SubDeviceOfAnotherGateway);
                }
            }
            return new Outcome(pk, dk, 0, "success");
        }
        catch (BinderyException refused)
        {
            return new Outcome(claim.Pk, claim.Dk, refused.Error.Code, refused.Detail ?? refused.Error.English);
        }
    }

    private static async Task<Outcome> RemoveOneAsync(DbTx tx, AuthenticatedDevice gateway, Claim device, long now)
    {
        try
        {
            var (pk, dk) = await ResolveAsync(tx, gateway, device);
            var removed = await tx.ExecuteAsync(
                """
                DELETE FROM gateway_sub_devices
                WHERE sub_pk = @Pk AND sub_dk = @Dk AND gateway_pk = @GatewayPk AND gateway_dk = @GatewayDk
                """, new { Pk = pk, Dk = dk, GatewayPk = gateway.Pk, GatewayDk = gateway.Dk });
            if (removed == 0)
            {
                throw new BinderyException(Errors.DeviceNotBound, "the sub-device is not paired with this gateway");
            }
            await SubDeviceBindings.EndThroughGatewayAsync(tx, gateway.Pk, gateway.Dk, pk, dk, BindingActor.Device, now);
            return new Outcome(pk, dk, 0, "success");
        }
        catch (BinderyException refused)
        {
            return new Outcome(device.Pk, device.Dk, refused.Error.Code, refused.Detail ?? refused.Error.English);
        }
    }

    /// <summary>The sub-device as stored: pk required, dk resolved by its product's key format; never the gateway itself.</summary>
    private static async Task<(string Pk, string Dk)> ResolveAsync(DbTx tx, AuthenticatedDevice gateway, Claim claim)
    {
        var pk = Validate.Required(claim.Pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        var dk = await DeviceKeyFormats.ResolveAsync(tx, pk, BindingCore.RequireDk(claim.Dk));
        if (pk == gateway.Pk && dk == gateway.Dk)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "a gateway is not its own sub-device");
        }
        return (pk, dk);
    }

    /// <summary>Locks the gateway's devices row (the row every binding decision about the gateway serialises on).</summary>
    internal static Task<BindingDevice?> LockGatewayAsync(DbTx tx, AuthenticatedDevice gateway) =>
        BindingCore.LockDeviceAsync(tx, gateway.Pk, new DeviceTarget.ByDk(gateway.Dk));
}
