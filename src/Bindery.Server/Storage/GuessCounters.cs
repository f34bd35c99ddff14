namespace Bindery.Storage;

/// <summary>
/// Failed-guess limits kept in the <c>guess_counters</c> table, so every node of a cluster sees the same count.
/// An attempt first claims a slot with one atomic upsert; the database, not the application, decides whether a
/// slot is left, so parallel guesses cannot slip past the limit. A success then clears the counter.
/// </summary>
public static class GuessCounters
{
    /// <summary>
    /// Counts one attempt for <paramref name="subject"/> in <paramref name="scope"/> and returns true, or returns
    /// false (counting nothing) when <paramref name="limit"/> attempts already happened in the current window.
    /// A window starts at the first attempt after the previous window ended.
    /// </summary>
    public static async Task<bool> TryClaimAsync(DbTx tx, string scope, string subject, int limit, TimeSpan window, long now)
    {
        var windowStartedBefore = now - (long)window.TotalMilliseconds;
        var claimed = await tx.ExecuteAsync(
            """
            INSERT INTO guess_counters (scope, subject, failures, window_started_at) VALUES (@Scope, @Subject, 1, @Now)
            ON CONFLICT (scope, subject) DO UPDATE SET
                failures = CASE WHEN guess_counters.window_started_at <= @WindowStartedBefore THEN 1 ELSE guess_counters.failures + 1 END,
                window_started_at = CASE WHEN guess_counters.window_started_at <= @WindowStartedBefore THEN @Now ELSE guess_counters.window_started_at END
            WHERE guess_counters.window_started_at <= @WindowStartedBefore OR guess_counters.failures < @Limit
            """,
            new { Scope = scope, Subject = subject, Now = now, WindowStartedBefore = windowStartedBefore, Limit = limit });
        return claimed > 0;
    }

    /// <summary>Counts one failure of <paramref name="subject"/> in <paramref name="scope"/>; returns the failures in the current window.</summary>
    public static async Task<long> RecordFailureAsync(DbTx tx, string scope, string subject, TimeSpan window, long now)
    {
        var windowStartedBefore = now - (long)window.TotalMilliseconds;
        await tx.ExecuteAsync(
            """
            INSERT INTO guess_counters (scope, subject, failures, window_started_at) VALUES (@Scope, @Subject, 1, @Now)
            ON CONFLICT (scope, subject) DO UPDATE SET
                failures = CASE WHEN guess_counters.window_started_at <= @WindowStartedBefore THEN 1 ELSE guess_counters.failures + 1 END,
                window_started_at = CASE WHEN guess_counters.window_started_at <= @WindowStartedBefore THEN @Now ELSE guess_counters.window_started_at END
            """,
            new { Scope = scope, Subject = subject, Now = now, WindowStartedBefore = windowStartedBefore });
        return await FailuresAsync(tx, scope, subject, window, now);
    }

    /// <summary>The failures of <paramref name="subject"/> in the window still running at <paramref name="now"/> (0 when none).</summary>
    public static async Task<long> FailuresAsync(DbTx tx, string scope, string subject, TimeSpan window, long now) =>
        await tx.ExecuteScalarAsync<long?>(
            "SELECT failures FROM guess_counters WHERE scope = @Scope AND subject = @Subject AND window_started_at > @WindowStartedBefore",
            new { Scope = scope, Subject = subject, WindowStartedBefore = now - (long)window.TotalMilliseconds }) ?? 0;

    /// <summary>
    /// The same count read outside a transaction (a check before any work, e.g. the MQTT connect limits): a concurrent
    /// failure may land just after it, so a limit checked this way may be overshot by the attempts in flight.
    /// </summary>
    public static async Task<long> FailuresAsync(System.Data.Common.DbConnection connection, string scope, string subject, TimeSpan window, long now) =>
        await Dapper.SqlMapper.ExecuteScalarAsync<long?>(connection,
            "SELECT failures FROM guess_counters WHERE scope = @Scope AND subject = @Subject AND window_started_at > @WindowStartedBefore",
            new { Scope = scope, Subject = subject, WindowStartedBefore = now - (long)window.TotalMilliseconds }) ?? 0;

    /// <summary>Forgets the attempts of <paramref name="subject"/> (after a success).</summary>
    public static Task ResetAsync(DbTx tx, string scope, string subject) =>
        tx.ExecuteAsync("DELETE FROM guess_counters WHERE scope = @Scope AND subject = @Subject", new { Scope = scope, Subject = subject });
}
