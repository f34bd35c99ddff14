using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;

namespace Bindery.Binding;

/// <summary>The proof fields of a signature binding (Tencent AppSigBindDeviceInFamily), as the app relayed them.</summary>
public sealed record SignatureBindFields(string Pk, string Dk, long DeviceTimestamp, string ConnId, string Signature, string SignMethod);

/// <summary>
/// Signature binding (docs/binding.md, "Signature binding"): the device signed
/// <c>DeviceName=…&amp;DeviceTimestamp=…&amp;ProductId=…&amp;ConnId=…</c> with its secret moments ago and handed the
/// signature to the app over the provisioning channel (softAP, BLE), so it proves possession.
/// <list type="bullet">
/// <item>Presenting a signature that checks out (HMAC in constant time, DeviceTimestamp within
/// <see cref="MaxAge"/> before and <see cref="MaxAhead"/> after the server's clock) <b>claims</b> it: a row of
/// <c>tencent_sig_uses</c> keyed (device, DeviceTimestamp, ConnId), in a write of its own committed before the bind
/// is decided. The primary key decides between racing presentations; a signature is spent whatever the bind answers.
/// A signature that does not check out claims nothing, so nobody can burn a device's next signature by guessing it.</item>
/// <item>The bind then requires that this very presentation claimed it. Every failure — wrong signature, another
/// device's, stale or future timestamp, replay, secret not base64 — is the same 5009 with no detail and counts as a
/// failed guess of the user.</item>
/// </list>
/// </summary>
public sealed class SignatureBindingProof(SignatureBindFields fields) : IPossessionProof
{
    /// <summary>How old a DeviceTimestamp may be when presented (provisioning, then the app reaching the cloud).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);

    /// <summary>How far ahead of the server's clock a DeviceTimestamp may be (device clock skew).</summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(2);

    /// <summary>Claims older than this are deleted when the same device claims again (they are refused by age anyway).</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    public const int MaxConnIdLength = 32;
    public const int MaxSignatureLength = 128;

    /// <summary>The one answer to every failed proof.</summary>
    public static ProofResult Failure { get; } = ProofResult.Fail(Errors.DeviceVerificationFailed, null, countsAsGuess: true);

    private readonly string _presentationId = Secrets.NewId();

    public Task PresentAsync(IDatabase db, long now, CancellationToken cancellationToken) =>
        db.WriteAsync(async tx =>
        {
            var dk = DeviceKeys.Normalize(fields.Dk, await DeviceKeyFormats.ReadAsync(tx, fields.Pk));
            if (dk is null || !IsFresh(now))
            {
                return 0;
            }
            var secret = await tx.QuerySingleOrDefaultAsync<string>(
                "SELECT device_secret FROM devices WHERE pk = @Pk AND dk = @Dk", new { fields.Pk, Dk = dk });
            if (secret is null || !Matches(secret))
            {
                return 0;
            }
            await tx.ExecuteAsync(
                "DELETE FROM tencent_sig_uses WHERE pk = @Pk AND dk = @Dk AND used_at < @Before",
                new { fields.Pk, Dk = dk, Before = now - (long)Retention.TotalMilliseconds });
            return await tx.ExecuteAsync(
                """
                INSERT INTO tencent_sig_uses (pk, dk, device_timestamp, conn_id, presentation_id, used_at)
                VALUES (@Pk, @Dk, @Ts, @ConnId, @Id, @Now)
                ON CONFLICT (pk, dk, device_timestamp, conn_id) DO NOTHING
                """,
                new { fields.Pk, Dk = dk, Ts = fields.DeviceTimestamp, fields.ConnId, Id = _presentationId, Now = now });
        }, cancellationToken);

    public async Task<ProofResult> VerifyAsync(ProofContext context)
    {
        var owner = await context.Tx.QuerySingleOrDefaultAsync<string>(
            "SELECT presentation_id FROM tencent_sig_uses WHERE pk = @Pk AND dk = @Dk AND device_timestamp = @Ts AND conn_id = @ConnId",
            new { context.Device.Pk, context.Device.Dk, Ts = fields.DeviceTimestamp, fields.ConnId });
        // The window is checked again at decision time: a presentation that waited on the device lock past it is late.
        return owner is not null && Secrets.FixedTimeEquals(owner, _presentationId) && IsFresh(context.Now)
            ? ProofResult.Proven
            : Failure;
    }

    private bool IsFresh(long nowMs)
    {
        var nowSeconds = nowMs / 1000;
        return fields.DeviceTimestamp >= nowSeconds - (long)MaxAge.TotalSeconds
            && fields.DeviceTimestamp <= nowSeconds + (long)MaxAhead.TotalSeconds;
    }

    /// <summary>The HMAC over the text the device signed (the DeviceName as relayed), compared in constant time.</summary>
    private bool Matches(string deviceSecret)
    {
        var expected = TencentBindSignature.Sign(deviceSecret, fields.Pk, fields.Dk, fields.DeviceTimestamp, fields.ConnId, fields.SignMethod);
        return expected is not null && Secrets.FixedTimeEquals(fields.Signature.ToLowerInvariant(), expected);
    }
}
