namespace Bindery.Tests.Support;

/// <summary>
/// The test run's PostgreSQL: one <see cref="ThrowawayPostgres"/> (fsync off) started on first use, with an empty
/// database of its own for each test server.
/// </summary>
public static class PostgresCluster
{
    public const string RequireVariable = "BINDERY_REQUIRE_POSTGRES";
    private static readonly Lazy<ThrowawayPostgres> SharedCluster =
        new(() => ThrowawayPostgres.Start("bindery-pg-", durable: false), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The run's cluster, started on first use. A failure to start is thrown to every caller.</summary>
    public static ThrowawayPostgres Shared => SharedCluster.Value;

    /// <summary>Why no cluster can be started on this machine, or null when one can.</summary>
    public static string? UnavailableReason => ThrowawayPostgres.UnavailableReason;

    /// <summary>Set in CI: a missing PostgreSQL is a failure there, not a reason to skip.</summary>
    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) is { Length: > 0 } value && value != "0";

    /// <summary>
    /// For tests that only make sense on PostgreSQL (several nodes on one database): skips the test, saying
    /// why, when this machine has no PostgreSQL, and fails it instead when <c>BINDERY_REQUIRE_POSTGRES</c> is set.
    /// Such test classes also carry <c>[Trait("Store", "PostgresOnly")]</c> so the SQLite pass of
    /// <c>./test.sh</c> leaves them to the PostgreSQL pass.
    /// </summary>
    public static void SkipUnlessAvailable()
    {
        if (UnavailableReason is not { } reason)
        {
            return;
        }
        if (Required)
        {
            throw new InvalidOperationException($"{RequireVariable} is set, but {reason}.");
        }
        Skip.If(true, $"PostgreSQL-only test skipped: {reason}.");
    }
}
