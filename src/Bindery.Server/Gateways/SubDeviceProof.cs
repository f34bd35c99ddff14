using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Storage;

namespace Bindery.Gateways;

/// <summary>
/// The possession proof of a sub-device binding (method <c>SUB_DEVICE</c>): the sub-device is paired with the named
/// gateway — the gateway reported it with the sub-device's own signature (<see cref="GatewayReports"/>) — and the
/// caller holds that gateway with proof: a verified binding of the gateway that is the caller's own, or that is in the
/// family the sub-device is bound into (the core has checked the caller owns or administers it). So the sub-device
/// follows its gateway's holder: nobody else may bind it, and only into the gateway's family (or, without families,
/// to the gateway's holder).
/// <para>Runs with the sub-device row locked by the core; it then locks the gateway row (sub-device, then gateway:
/// the gateway's unbind takes only the gateway row and never a sub-device row, so the two orders cannot deadlock),
/// so a concurrent end of the gateway binding either comes first (this proof then fails) or waits for this binding
/// and ends it too. On success it records which gateway binding this binding rests on.</para>
/// <para>Every failure is the same 5009 with no detail, never counted as a guess: nothing secret is being guessed,
/// and the answer does not say whether the gateway, the pairing or the family was wrong.</para>
/// </summary>
public sealed class SubDeviceProof(string gatewayPk, string gatewayDk, string? fid) : IPossessionProof
{
    public static ProofResult Failure { get; } = ProofResult.Fail(Errors.DeviceVerificationFailed, null, countsAsGuess: false);

    public async Task<ProofResult> VerifyAsync(ProofContext context)
    {
        var tx = context.Tx;
        var gatewayDkStored = DeviceKeys.Normalize(gatewayDk, await DeviceKeyFormats.ReadAsync(tx, gatewayPk));
        if (gatewayDkStored is null)
        {
            return Failure;
        }
        var gateway = await BindingCore.LockDeviceAsync(tx, gatewayPk, new DeviceTarget.ByDk(gatewayDkStored));
        if (gateway is null)
        {
            return Failure;
        }
        var paired = await tx.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM gateway_sub_devices
            WHERE sub_pk = @SubPk AND sub_dk = @SubDk AND gateway_pk = @GatewayPk AND gateway_dk = @GatewayDk
            """, new { SubPk = context.Device.Pk, SubDk = context.Device.Dk, GatewayPk = gateway.Pk, GatewayDk = gateway.Dk });
        if (paired == 0)
        {
            return Failure;
        }
        var gatewayBinding = await SubDeviceBindings.GatewayBindingForAsync(tx, gateway.Pk, gateway.Dk, context.User.Id, fid);
        if (gatewayBinding is null)
        {
            return Failure;
        }
        await tx.ExecuteAsync(
            """
            INSERT INTO sub_device_bindings (pk, dk, user_id, gateway_binding_id, created_at)
            VALUES (@Pk, @Dk, @UserId, @GatewayBindingId, @Now)
            ON CONFLICT (pk, dk, user_id) DO UPDATE SET gateway_binding_id = excluded.gateway_binding_id, created_at = excluded.created_at
            """, new { context.Device.Pk, context.Device.Dk, UserId = context.User.Id, GatewayBindingId = gatewayBinding, context.Now });
        return ProofResult.Proven;
    }
}
