using System.Collections.Concurrent;
using Bindery.Protocol;

namespace Bindery.AdminConsole;

/// <summary>
/// Signed-in console sessions, in this node's memory. The browser's cookie carries a random session id, never the
/// admin key; only the id's SHA-256 is kept here. A session ends when signed out, after <see cref="IdleTimeout"/>
/// without a request (sliding) or <see cref="MaxLifetime"/> after sign-in. With several nodes behind a balancer
/// each node knows only its own sessions: use sticky sessions, or sign in again on the other node (docs/console.md).
/// </summary>
public sealed class ConsoleSessions(TimeProvider clock)
{
    public const string CookieName = "bindery_console";
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(12);
    private const int MaxSessions = 10_000;

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    private sealed record Session(DateTimeOffset Started, DateTimeOffset LastSeen);

    /// <summary>A new session; returns the id to put in the cookie.</summary>
    public string Start()
    {
        var now = clock.GetUtcNow();
        if (_sessions.Count >= MaxSessions)
        {
            Sweep(now);
        }
        var id = Secrets.NewToken();
        _sessions[Secrets.Sha256Hex(id)] = new Session(now, now);
        return id;
    }

    /// <summary>True when <paramref name="id"/> names a live session; its idle clock restarts.</summary>
    public bool Touch(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 256)
        {
            return false;
        }
        var key = Secrets.Sha256Hex(id);
        if (!_sessions.TryGetValue(key, out var session))
        {
            return false;
        }
        var now = clock.GetUtcNow();
        if (Expired(session, now))
        {
            _sessions.TryRemove(key, out _);
            return false;
        }
        _sessions.TryUpdate(key, session with { LastSeen = now }, session);
        return true;
    }

    public void End(string? id)
    {
        if (!string.IsNullOrEmpty(id) && id.Length <= 256)
        {
            _sessions.TryRemove(Secrets.Sha256Hex(id), out _);
        }
    }

    private static bool Expired(Session session, DateTimeOffset now) =>
        now - session.LastSeen > IdleTimeout || now - session.Started > MaxLifetime;

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, session) in _sessions)
        {
            if (Expired(session, now))
            {
                _sessions.TryRemove(key, out _);
            }
        }
    }
}
