using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Storage;

namespace Bindery.Binding;

/// <summary>
/// What a bind request offers as proof that the user physically holds the device (a binding code the device
/// reported, a Bluetooth payload, a token the device reported, or nothing at all for bind-by-SN).
/// <see cref="VerifyAsync"/> runs inside the bind transaction with the device row locked; anything it writes
/// (consuming a code, rotating a secret) commits only if the binding does.
/// </summary>
public interface IPossessionProof
{
    /// <summary>
    /// Runs before the bind transaction, in a write of its own that commits whatever the bind answers: a proof that
    /// must be spent when presented (a pure-BT body's random and ciphertexts) records that here.
    /// </summary>
    Task PresentAsync(IDatabase db, long now, CancellationToken cancellationToken) => Task.CompletedTask;

    Task<ProofResult> VerifyAsync(ProofContext context);
}

/// <summary>What a proof sees: the transaction, the locked device, its product, the caller.</summary>
public sealed record ProofContext(
    DbTx Tx,
    BindingDevice Device,
    BindingProduct Product,
    AppUser User,
    string UserDomainSecret,
    long Now);

public abstract record ProofResult
{
    private ProofResult()
    {
    }

    /// <summary>Possession is proven: the binding may replace a rotation-mode holder.</summary>
    public static readonly ProofResult Proven = new ProvenResult();

    /// <summary>Nothing was proven but the method allows binding a device nobody else holds (bind by SN).</summary>
    public static readonly ProofResult Unproven = new UnprovenResult();

    /// <summary>
    /// The proof failed. When <paramref name="CountsAsGuess"/> the failure is recorded against the device's
    /// current code and the user before the request is refused.
    /// </summary>
    public static ProofResult Fail(ErrorDef error, string? detail, bool countsAsGuess) => new Failed(error, detail, countsAsGuess);

    public sealed record ProvenResult : ProofResult;

    public sealed record UnprovenResult : ProofResult;

    public sealed record Failed(ErrorDef Error, string? Detail, bool CountsAsGuess) : ProofResult;
}

/// <summary>
/// Bind by SN: knowing a serial number proves nothing, so the binding is unverified and may never displace anyone.
/// A product that requires a pairing window accepts it only while the device has one open (someone pressed its
/// button); without one the answer is exactly that of an unknown serial number.
/// </summary>
public sealed class SerialNumberProof : IPossessionProof
{
    public static readonly SerialNumberProof Instance = new();

    public Task<ProofResult> VerifyAsync(ProofContext context)
    {
        if (context.Product.SnPairingRequired && !(context.Device.PairingWindowExpiresAt > context.Now))
        {
            return Task.FromResult(ProofResult.Fail(Errors.SnInvalid, null, countsAsGuess: false));
        }
        return Task.FromResult(ProofResult.Unproven);
    }
}

/// <summary>
/// Wi-Fi binding: the bindingCode the device reported through the device API, single use. A product that also
/// enables pure-BT binding needs the device's bindingSecret on record first (5465), because a later Bluetooth
/// rebind of a device bound over Wi-Fi can only be verified against that secret.
/// </summary>
public sealed class WifiBindingProof(string bindingCode) : IPossessionProof
{
    public Task<ProofResult> VerifyAsync(ProofContext context)
    {
        if (context.Product.Enables(BindingMethods.Bt) && context.Device.BindingSecretHash is null)
        {
            return Task.FromResult(ProofResult.Fail(Errors.BindingSecretNotReported,
                "this product also binds over Bluetooth, so the device must report its bindingSecret before a Wi-Fi binding", countsAsGuess: false));
        }
        return BindingCodes.VerifyAndConsumeAsync(context, bindingCode);
    }
}

/// <summary>The locked devices row the core decides on: the registry's columns and the binding state.</summary>
public class BindingDevice : DeviceRow
{
    public string? BindingCodeHash { get; set; }

    public long? BindingCodeExpiresAt { get; set; }

    public long? BindingCodeUsedAt { get; set; }

    public string? BindingSecretHash { get; set; }

    /// <summary>Until when (Unix ms) the device accepts one SN binding, for products that require a pairing window.</summary>
    public long? PairingWindowExpiresAt { get; set; }
}

/// <summary>A product as the core sees it, with whether the caller's user domain may use it.</summary>
public sealed class BindingProduct : ProductRow
{
    public bool Authorized { get; set; }
}
