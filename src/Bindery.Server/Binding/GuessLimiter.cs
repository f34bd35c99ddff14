using System.Data.Common;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Binding;

/// <summary>
/// Failed binding attempts, counted in the database: per device against its current bindingCode
/// (devices.binding_code_failures; the code is void once the count reaches <see cref="BindingOptions.FailuresPerCode"/>)
/// and per user in guess_counters (the user is refused for the rest of the window once it holds
/// <see cref="BindingOptions.FailuresPerUser"/> failures).
/// </summary>
public sealed class GuessLimiter(IOptions<BindingOptions> options, Audit.SecurityAudit? audit = null)
{
    public const string UserScope = "bind-user";
    public const string SnUserScope = "sn-user";

    private BindingOptions Options => options.Value;

    /// <summary>
    /// A scalar subquery for the user's failures in the current window (null when none), to read the lock-out in the
    /// same statement as something else; parameters <c>@GuessScope</c> (<see cref="UserScope"/>), <c>@GuessUserId</c>
    /// and <c>@GuessSince</c> (<see cref="UserWindowStartedBefore"/>).
    /// </summary>
    public const string UserFailuresSql =
        "(SELECT g.failures FROM guess_counters g WHERE g.scope = @GuessScope AND g.subject = @GuessUserId AND g.window_started_at > @GuessSince)";

    /// <summary>A window that started at or before this (Unix ms) is over.</summary>
    public long UserWindowStartedBefore(long now) => now - (long)Options.UserFailureWindow.TotalMilliseconds;

    /// <summary>Whether <paramref name="failures"/> in the current window (<see cref="UserFailuresSql"/>) lock the user out.</summary>
    public bool IsUserLocked(long? failures) => (failures ?? 0) >= Options.FailuresPerUser;

    /// <summary>
    /// Locks the user's row, so that the decisions of one user's guesses follow one another and each sees the failures
    /// of those before it: a write that runs with <see cref="WriteIsolation.RowLocks"/> (PostgreSQL, READ COMMITTED)
    /// has no other guard against one user's parallel guesses on different devices. Call it before any statement that
    /// reads the user's failures (<see cref="UserFailuresSql"/>): under READ COMMITTED a statement reads the data
    /// committed when it starts, so a lock taken by the same statement would come with a stale count. SQLite's single
    /// writer already runs each write alone: no statement there. On PostgreSQL the lock is put off
    /// (<see cref="DbTx.ExecuteLaterAsync"/>) into the round trip of the statement that reads the failures: a
    /// statement of its own still, so the read that follows it looks only once the lock is granted.
    /// </summary>
    public static Task LockUserAsync(DbTx tx, string userId) =>
        tx.Dialect.ForUpdate.Length == 0
            ? Task.CompletedTask
            : tx.ExecuteLaterAsync("SELECT id FROM users WHERE id = @UserId" + tx.Dialect.ForUpdate, new { UserId = userId }, returnsRows: true);

    /// <summary>Whether the user holds <see cref="BindingOptions.FailuresPerUser"/> failures in the window (locking the user's row first, <see cref="LockUserAsync"/>).</summary>
    public async Task<bool> IsUserLockedAsync(DbTx tx, string userId, long now)
    {
        await LockUserAsync(tx, userId);
        return await GuessCounters.FailuresAsync(tx, UserScope, userId, Options.UserFailureWindow, now) >= Options.FailuresPerUser;
    }

    /// <summary>Counts a failed bind against the user; the failure that reaches the limit records the lock-out (audit log).</summary>
    public async Task RecordUserFailureAsync(DbTx tx, string userId, long now)
    {
        if (await GuessCounters.RecordFailureAsync(tx, UserScope, userId, Options.UserFailureWindow, now) == Options.FailuresPerUser && audit is not null)
        {
            await audit.RecordAsync(tx, now, Audit.SecurityEvent.LockedOut(Audit.RefusalSubjects.User, Audit.RefusalProofs.Bind, userId));
        }
    }

    /// <summary>
    /// Counts a failure against the device's current code and voids the code when the limit is reached; the failure
    /// that voids it records so (audit log), read back by the same statement.
    /// </summary>
    public async Task RecordDeviceFailureAsync(DbTx tx, string pk, string dk, long now)
    {
        var voided = await tx.ExecuteScalarAsync<long?>(
            """
            UPDATE devices SET
                binding_code_failures = binding_code_failures + 1,
                binding_code_used_at = CASE
                    WHEN binding_code_used_at IS NULL AND binding_code_hash IS NOT NULL AND binding_code_failures + 1 >= @Max THEN @Now
                    ELSE binding_code_used_at END
            WHERE pk = @Pk AND dk = @Dk
            RETURNING CASE WHEN binding_code_failures = @Max AND binding_code_used_at = @Now THEN 1 ELSE 0 END
            """,
            new { Pk = pk, Dk = dk, Now = now, Max = Options.FailuresPerCode });
        if (voided == 1 && audit is not null)
        {
            await audit.RecordAsync(tx, now, new Audit.SecurityEvent(Audit.RefusalReasons.VoidedCode, Audit.RefusalSubjects.Device, Audit.RefusalProofs.BindCode, Pk: pk, Dk: dk));
        }
    }

    /// <summary>
    /// Claims one bind-by-SN attempt for the user; false when the user has used up <see cref="BindingOptions.SnAttemptsPerUser"/>
    /// in the current window. Every attempt costs the same, whatever it answers.
    /// </summary>
    public Task<bool> TryClaimSnAttemptAsync(DbTx tx, string userId, long now) =>
        GuessCounters.TryClaimAsync(tx, SnUserScope, userId, Options.SnAttemptsPerUser, Options.SnWindow, now);

    /// <summary>
    /// Whether the failed SN attempts of all users against this product, or in this user domain, fill the window.
    /// Read outside the bind transaction (the budgets are shared by every user of a product, and reading them inside
    /// would make every SN bind of the product conflict with every refusal on PostgreSQL); so attempts in flight at
    /// the same moment may overshoot a budget by their number.
    /// </summary>
    public async Task<bool> IsSnBudgetSpentAsync(DbConnection connection, string pk, string domainId, long now)
    {
        var since = now - (long)Options.SnWindow.TotalMilliseconds;
        var counts = await connection.QuerySingleAsync<(long ByProduct, long ByDomain)>(
            """
            SELECT (SELECT COUNT(*) FROM sn_failures WHERE pk = @Pk AND failed_at > @Since),
                   (SELECT COUNT(*) FROM sn_failures WHERE domain_id = @DomainId AND failed_at > @Since)
            """,
            new { Pk = pk, DomainId = domainId, Since = since });
        return counts.ByProduct >= Options.SnFailuresPerProduct || counts.ByDomain >= Options.SnFailuresPerUserDomain;
    }

    /// <summary>
    /// A failed SN attempt counts against the user (like any failed bind) and, as a row of its own, against the
    /// product's and the user domain's budgets: a blind insert, so concurrent refusals never conflict.
    /// </summary>
    public async Task RecordSnFailureAsync(DbTx tx, string userId, string pk, string domainId, long now)
    {
        await RecordUserFailureAsync(tx, userId, now);
        await tx.ExecuteAsync(
            "INSERT INTO sn_failures (pk, domain_id, failed_at) VALUES (@Pk, @DomainId, @Now)",
            new { Pk = pk, DomainId = domainId, Now = now });
    }

    /// <summary>Deletes SN failures older than the window: they no longer count.</summary>
    public Task<int> PruneSnFailuresAsync(DbTx tx, long now) =>
        tx.ExecuteAsync("DELETE FROM sn_failures WHERE failed_at <= @Before", new { Before = now - (long)Options.SnWindow.TotalMilliseconds });
}
