using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;

namespace Bindery.Binding;

/// <summary>
/// The bindingCode a device reports and an app presents (Wi-Fi and pure-BT binding): 6–64 characters of
/// [A-Za-z0-9], stored as SHA-256 hex, compared in constant time, single use, void after too many wrong tries.
/// </summary>
public static class BindingCodes
{
    public const int MinLength = 6;
    public const int MaxLength = 64;

    public static bool IsWellFormed(string? code) =>
        code is { Length: >= MinLength and <= MaxLength } && code.All(char.IsAsciiLetterOrDigit);

    /// <summary>Checks <paramref name="code"/> against the device's current code and consumes it on a match.</summary>
    public static async Task<ProofResult> VerifyAndConsumeAsync(ProofContext context, string code)
    {
        var device = context.Device;
        if (device.BindingCodeHash is null)
        {
            return ProofResult.Fail(Errors.BindingCodeNotReported, "the device has no current bindingCode", countsAsGuess: false);
        }
        if (device.BindingCodeUsedAt is not null)
        {
            return ProofResult.Fail(Errors.BindingCodeVerificationFailed, "the bindingCode was used or voided; the device must report a new one", countsAsGuess: false);
        }
        if (device.BindingCodeExpiresAt is not { } expiresAt || expiresAt <= context.Now)
        {
            return ProofResult.Fail(Errors.BindingCodeExpired, null, countsAsGuess: false);
        }
        if (!Secrets.MatchesHash(code, device.BindingCodeHash))
        {
            return ProofResult.Fail(Errors.BindingCodeVerificationFailed, null, countsAsGuess: true);
        }
        // The read above decides who gets a single-use code: the proof runs on the device row the bind has locked
        // (BindingCore.DecideOnDeviceAsync), so no other bind can use or replace the code until this one ends. The
        // update only records the use, so it is put off (DbTx.ExecuteLaterAsync: on PostgreSQL it rides the next
        // statement's round trip); its conditions are kept as a second guard.
        await context.Tx.ExecuteLaterAsync(
            """
            UPDATE devices SET binding_code_used_at = @Now
            WHERE pk = @Pk AND dk = @Dk AND binding_code_used_at IS NULL
              AND binding_code_hash = @Hash AND binding_code_expires_at > @Now
            """,
            new { context.Now, device.Pk, device.Dk, Hash = device.BindingCodeHash });
        return ProofResult.Proven;
    }
}
