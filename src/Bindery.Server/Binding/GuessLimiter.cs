using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Binding;

/// <summary>
/// Failed binding attempts, counted in the database: per device against its current bindingCode
/// (devices.binding_code_failures; the code is void once the count reaches <see cref="BindingOptions.FailuresPerCode"/>)
/// and per user in guess_counters (the user is refused for the rest of the window once it holds
/// <see cref="BindingOptions.FailuresPerUser"/> failures).
/// </summary>
public sealed class GuessLimiter(IOptions<BindingOptions> options)
{
    public const string UserScope = "bind-user";
    public const string SnUserScope = "sn-user";
    public const string SnProductScope = "sn-product";
    public const string SnUserDomainScope = "sn-domain";

    private BindingOptions Options => options.Value;

    public async Task<bool> IsUserLockedAsync(DbTx tx, string userId, long now) =>
        await GuessCounters.FailuresAsync(tx, UserScope, userId, Options.UserFailureWindow, now) >= Options.FailuresPerUser;

    public Task RecordUserFailureAsync(DbTx tx, string userId, long now) =>
        GuessCounters.RecordFailureAsync(tx, UserScope, userId, Options.UserFailureWindow, now);

    /// <summary>Counts a failure against the device's current code and voids the code when the limit is reached.</summary>
    public Task RecordDeviceFailureAsync(DbTx tx, string pk, string dk, long now) =>
        tx.ExecuteAsync(
            """
            UPDATE devices SET
                binding_code_failures = binding_code_failures + 1,
                binding_code_used_at = CASE
                    WHEN binding_code_used_at IS NULL AND binding_code_hash IS NOT NULL AND binding_code_failures + 1 >= @Max THEN @Now
                    ELSE binding_code_used_at END
            WHERE pk = @Pk AND dk = @Dk
            """,
            new { Pk = pk, Dk = dk, Now = now, Max = Options.FailuresPerCode });

    /// <summary>
    /// Claims one bind-by-SN attempt for the user; false when the user has used up <see cref="BindingOptions.SnAttemptsPerUser"/>
    /// in the current window. Every attempt costs the same, whatever it answers.
    /// </summary>
    public Task<bool> TryClaimSnAttemptAsync(DbTx tx, string userId, long now) =>
        GuessCounters.TryClaimAsync(tx, SnUserScope, userId, Options.SnAttemptsPerUser, Options.SnWindow, now);

    /// <summary>Whether the failed SN attempts of all users against this product, or in this user domain, fill the window.</summary>
    public async Task<bool> IsSnBudgetSpentAsync(DbTx tx, string pk, string domainId, long now) =>
        await GuessCounters.FailuresAsync(tx, SnProductScope, pk, Options.SnWindow, now) >= Options.SnFailuresPerProduct
        || await GuessCounters.FailuresAsync(tx, SnUserDomainScope, domainId, Options.SnWindow, now) >= Options.SnFailuresPerUserDomain;

    /// <summary>A failed SN attempt counts against the user (like any failed bind) and the product's and domain's budgets.</summary>
    public async Task RecordSnFailureAsync(DbTx tx, string userId, string pk, string domainId, long now)
    {
        await RecordUserFailureAsync(tx, userId, now);
        await GuessCounters.RecordFailureAsync(tx, SnProductScope, pk, Options.SnWindow, now);
        await GuessCounters.RecordFailureAsync(tx, SnUserDomainScope, domainId, Options.SnWindow, now);
    }
}
