using Bindery.Protocol;
using Bindery.Storage;
using Dapper;

namespace Bindery.AdminConsole;

/// <summary>
/// Signed-in console sessions, in the database (<c>console_sessions</c>), so that any node serves any request of a
/// signed-in browser. The browser's cookie carries a random session id, never the admin key; only the id's SHA-256 is
/// stored. A session ends when signed out, after <see cref="IdleTimeout"/> without a request (sliding) or
/// <see cref="MaxLifetime"/> after sign-in.
/// </summary>
public sealed class ConsoleSessions(IDatabase db, TimeProvider clock)
{
    public const string CookieName = "bindery_console";
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(12);

    /// <summary>
    /// A page view moves the session's idle clock at most this often: one write a minute per browser, not one per page
    /// (the idle timeout is then exact to within a minute).
    /// </summary>
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    private sealed class SessionRow
    {
        public long StartedAt { get; init; }

        public long LastSeenAt { get; init; }
    }

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A new session (expired ones are deleted in the same write); returns the id to put in the cookie.</summary>
    public async Task<string> StartAsync(CancellationToken cancellationToken = default)
    {
        var id = Secrets.NewToken();
        var now = Now;
        await db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync(
                "DELETE FROM console_sessions WHERE last_seen_at <= @IdleBefore OR started_at <= @StartedBefore",
                new { IdleBefore = now - (long)IdleTimeout.TotalMilliseconds, StartedBefore = now - (long)MaxLifetime.TotalMilliseconds });
            return await tx.ExecuteAsync(
                "INSERT INTO console_sessions (id_hash, started_at, last_seen_at) VALUES (@IdHash, @Now, @Now)",
                new { IdHash = Secrets.Sha256Hex(id), Now = now });
        }, cancellationToken);
        return id;
    }

    /// <summary>True when <paramref name="id"/> names a live session; its idle clock restarts.</summary>
    public async Task<bool> TouchAsync(string? id, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 256)
        {
            return false;
        }
        var idHash = Secrets.Sha256Hex(id);
        var now = Now;
        var session = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<SessionRow>(
            "SELECT started_at, last_seen_at FROM console_sessions WHERE id_hash = @IdHash", new { IdHash = idHash }), cancellationToken);
        if (session is not { } s
            || now - s.LastSeenAt > IdleTimeout.TotalMilliseconds
            || now - s.StartedAt > MaxLifetime.TotalMilliseconds)
        {
            return false;
        }
        if (now - s.LastSeenAt >= TouchInterval.TotalMilliseconds)
        {
            // Conditional on the row as read: a sign-out in between is not undone.
            await db.ExecuteWriteAsync(
                "UPDATE console_sessions SET last_seen_at = @Now WHERE id_hash = @IdHash AND last_seen_at = @LastSeenAt",
                new { Now = now, IdHash = idHash, s.LastSeenAt }, cancellationToken);
        }
        return true;
    }

    public async Task EndAsync(string? id, CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrEmpty(id) && id.Length <= 256)
        {
            await db.ExecuteWriteAsync("DELETE FROM console_sessions WHERE id_hash = @IdHash", new { IdHash = Secrets.Sha256Hex(id) }, cancellationToken);
        }
    }
}
