using System.Security.Cryptography;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;

namespace Bindery.Binding;

/// <summary>
/// QR secure add (Tencent AppSecureAddDeviceInFamily; docs/binding.md, "QR secure add"): the app scanned a QR code
/// whose <c>DeviceSignature</c> (<see cref="QrDeviceSignature"/>) the maker issued for one device. A QR label is
/// printed, long-lived and visible to anyone who handles the box, so it proves no more than a serial number: the
/// binding is <b>unverified</b> (like bind by SN: displaced by any binding that proves possession, cannot share,
/// refused once someone holds the device with proof), and a product that requires a pairing window accepts it only
/// while the device has one open, which the binding closes. What the signature adds over an SN is that it cannot be
/// enumerated: only the maker can issue one. Not single use (a label must still work after a reset or a resale);
/// a QR shown on a device's screen is made short-lived by its expiry instead. Every failure — a signature of another
/// device, a wrong or expired one, a closed pairing window — is the same 5009, counted as a failed guess.
/// </summary>
public sealed class QrSecureAddProof(QrDeviceSignature.Parsed signature) : IPossessionProof
{
    public async Task<ProofResult> VerifyAsync(ProofContext context)
    {
        var device = context.Device;
        var secret = await context.Tx.QuerySingleOrDefaultAsync<string>(
            "SELECT device_secret FROM devices WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk });
        var expected = QrDeviceSignature.Mac(secret ?? "", signature.Payload);
        var ok = CryptographicOperations.FixedTimeEquals(expected, signature.Mac);
        ok &= secret is not null && string.Equals(signature.Pk, device.Pk, StringComparison.Ordinal)
            && string.Equals(signature.Dk, device.Dk, StringComparison.Ordinal);
        ok &= signature.ExpiresAt > context.Now / 1000;
        ok &= !context.Product.SnPairingRequired || device.PairingWindowExpiresAt > context.Now;
        if (!ok)
        {
            return ProofResult.Fail(Errors.DeviceVerificationFailed, null, countsAsGuess: true);
        }
        if (context.Product.SnPairingRequired)
        {
            // The pairing window the device opened admits one binding without proof, whichever way it comes.
            await context.Tx.ExecuteAsync("UPDATE devices SET pairing_window_expires_at = NULL WHERE pk = @Pk AND dk = @Dk",
                new { device.Pk, device.Dk });
        }
        return ProofResult.Unproven;
    }
}
