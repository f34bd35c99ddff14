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
}
