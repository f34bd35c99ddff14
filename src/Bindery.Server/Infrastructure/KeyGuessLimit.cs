using System.Net;
using System.Net.Sockets;
using Bindery.Audit;
using Bindery.Storage;
using Dapper;

namespace Bindery.Infrastructure;

/// <summary>
/// The guess limit of a deployment key presented in a header (the admin key, the stand-in key): a wrong key is a
/// guess, counted in <c>guess_counters</c> per client address (<see cref="AddressScope"/>; IPv4 address or IPv6 /64)
/// and from everyone together (<see cref="TotalScope"/>, subject <c>*</c>), so every node sees the same counts. Once
/// the address or everyone reached its limit within <see cref="Window"/>, every key is refused unchecked, the right
/// one too, with the answer a wrong one gets, until the window ends. No key at all is no guess and is not counted.
/// The attempt that brings a count to its limit writes a <c>locked_out</c> audit entry (subject <c>address</c> or
/// <c>everyone</c>, proof <see cref="Proof"/>) in the transaction that counts it.
/// </summary>
/// <param name="AddressScope"><c>guess_counters</c> scope of wrong keys per client address.</param>
/// <param name="TotalScope"><c>guess_counters</c> scope of wrong keys from everyone (subject <c>*</c>).</param>
/// <param name="Proof">The audit entry's proof (<see cref="RefusalProofs"/>).</param>
/// <param name="FailuresPerAddress">Wrong keys one address may present within the window.</param>
/// <param name="FailuresTotal">Wrong keys all addresses together may present within the window.</param>
/// <param name="Window">How long a count runs from its first wrong key.</param>
public sealed record KeyGuessLimit(string AddressScope, string TotalScope, string Proof, int FailuresPerAddress, int FailuresTotal, TimeSpan Window)
{
    /// <summary>
    /// Whether <paramref name="candidate"/> is the key (<paramref name="isRightKey"/>: the caller's constant-time
    /// comparison), counting a wrong one as a guess of <paramref name="remote"/>'s address and of everyone. False for
    /// a missing key (uncounted), a wrong key (counted) and any key of a locked-out address or while everyone is
    /// locked out (uncounted, unchecked).
    /// </summary>
    public async Task<bool> CheckAsync(IDatabase db, TimeProvider clock, SecurityAudit? audit, string? candidate, IPAddress? remote,
        Func<string, bool> isRightKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(isRightKey);
        if (string.IsNullOrEmpty(candidate))
        {
            return false;
        }
        var address = AddressSubject(remote);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var since = now - (long)Window.TotalMilliseconds;
        var counts = await db.ReadAsync(async c => (await c.QueryAsync<(string Scope, long Failures)>(
            """
            SELECT scope, failures FROM guess_counters
            WHERE ((scope = @AddressScope AND subject = @Address) OR (scope = @TotalScope AND subject = '*')) AND window_started_at > @Since
            """,
            new { AddressScope, Address = address, TotalScope, Since = since })).ToList(), cancellationToken);
        if (counts.Any(c => c.Failures >= (c.Scope == AddressScope ? FailuresPerAddress : FailuresTotal)))
        {
            return false;
        }
        if (isRightKey(candidate))
        {
            return true;
        }
        await db.WriteAsync(async tx =>
        {
            var byAddress = await GuessCounters.RecordFailureAsync(tx, AddressScope, address, Window, now);
            var total = await GuessCounters.RecordFailureAsync(tx, TotalScope, "*", Window, now);
            if (audit is not null)
            {
                List<SecurityEvent> lockouts = [];
                if (byAddress == FailuresPerAddress)
                {
                    lockouts.Add(SecurityEvent.LockedOut(RefusalSubjects.Address, Proof));
                }
                if (total == FailuresTotal)
                {
                    lockouts.Add(SecurityEvent.LockedOut(RefusalSubjects.Everyone, Proof));
                }
                await audit.RecordAsync(tx, now, [.. lockouts]);
            }
            return 0;
        }, CancellationToken.None);
        return false;
    }

    /// <summary>Whose guesses a wrong key counts against: the IPv4 address, or the IPv6 /64 (one host usually holds a whole /64).</summary>
    public static string AddressSubject(IPAddress? remote)
    {
        if (remote is null)
        {
            return "unknown";
        }
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }
        if (remote.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return remote.ToString();
        }
        var bytes = remote.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
