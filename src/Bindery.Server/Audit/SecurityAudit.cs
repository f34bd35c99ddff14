using System.Collections.Concurrent;
using System.Data;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Audit;

/// <summary>The fixed vocabulary of <c>security_events.reason</c> (docs/events.md, "Audit log").</summary>
public static class RefusalReasons
{
    /// <summary>A subject's failed guesses reached its limit: its next attempts are refused until the window ends.</summary>
    public const string LockedOut = "locked_out";

    /// <summary>A device's current bindingCode was voided by too many wrong guesses; the device must report a new one.</summary>
    public const string VoidedCode = "voided_code";

    /// <summary>A bind token reported by one device was reported by a second device and is void (contested).</summary>
    public const string VoidedToken = "voided_token";

    /// <summary>A correctly signed device request came again with a nonce already spent (a replay).</summary>
    public const string ReplayedNonce = "replayed_nonce";

    /// <summary>A device's bad signatures reached the warning threshold within the window (someone holds a wrong secret or is guessing).</summary>
    public const string SignatureFailures = "signature_failures";

    public static IReadOnlyList<string> All { get; } = [LockedOut, VoidedCode, VoidedToken, ReplayedNonce, SignatureFailures];
}

/// <summary>Whose count a refusal is about (<c>security_events.subject</c>, the <c>subject</c> tag of <c>bindery.guess.lockouts</c>).</summary>
public static class RefusalSubjects
{
    public const string User = "user";
    public const string Domain = "domain";
    public const string Device = "device";

    /// <summary>A client address (the admin key's per-address limit; the address itself is not recorded).</summary>
    public const string Address = "address";

    /// <summary>Everyone together (an aggregate limit).</summary>
    public const string Everyone = "everyone";
}

/// <summary>What was being guessed or presented (<c>security_events.proof</c>, the <c>proof</c> tag of <c>bindery.guess.lockouts</c>).</summary>
public static class RefusalProofs
{
    /// <summary>Any binding proof of the per-user bind limit: a bindingCode, a pure-BT signature, a token, a serial number.</summary>
    public const string Bind = "bind";

    public const string BindCode = "bind_code";
    public const string ShareCode = "share_code";
    public const string FamilyInvite = "family_invite";
    public const string BindToken = "bind_token";
    public const string DeviceSignature = "device_signature";

    /// <summary>The admin API key (admin API and console sign-in).</summary>
    public const string AdminKey = "admin_key";

    /// <summary>The stand-in API key (<c>X-StandIn-Key</c>, stand-in mode only).</summary>
    public const string StandInKey = "stand_in_key";
}

/// <summary>
/// One <c>security_events</c> row before it is written: only the fixed vocabulary and public ids. Never put a code,
/// token, secret, password, serial number or anything from a query string here.
/// </summary>
public sealed record SecurityEvent(string Reason, string Subject, string? Proof = null, string? UserId = null,
    string? DomainId = null, string? Pk = null, string? Dk = null)
{
    public static SecurityEvent LockedOut(string subject, string proof, string? userId = null, string? domainId = null, string? pk = null, string? dk = null) =>
        new(RefusalReasons.LockedOut, subject, proof, userId, domainId, pk, dk);
}

/// <summary>
/// Records the refusals of the audit log (<c>security_events</c>) and counts them (<c>bindery.guess.lockouts</c>,
/// <c>bindery.security.refusals</c>). A refusal that already writes (a guess counter update) records its row in that
/// same transaction, with one statement and only on the attempt that crosses the limit, so a crash cannot keep one
/// without the other; a refusal with no write of its own (a replayed nonce: its transaction rolls back) is recorded in
/// a write of its own, throttled per subject (<see cref="AuditOptions.RefusalRecordInterval"/>). A successful bind
/// never reaches this class.
/// </summary>
public sealed class SecurityAudit
{
    private const int MaxThrottleEntries = 10_000;

    private readonly IDatabase _db;
    private readonly TimeProvider _clock;
    private readonly IOptions<AuditOptions> _options;
    private readonly ILogger<SecurityAudit> _logger;
    private readonly Counter<long> _lockouts;
    private readonly Counter<long> _refusals;
    private readonly ConcurrentDictionary<string, long> _lastRecorded = new(StringComparer.Ordinal);

    public SecurityAudit(IDatabase db, TimeProvider clock, IOptions<AuditOptions> options, IMeterFactory meters, ILogger<SecurityAudit> logger)
    {
        _db = db;
        _clock = clock;
        _options = options;
        _logger = logger;
        var meter = meters.Create("Bindery");
        _lockouts = meter.CreateCounter<long>("bindery.guess.lockouts", unit: "{lockout}",
            description: "Subjects locked out by a guess limit, by subject kind and what was guessed");
        _refusals = meter.CreateCounter<long>("bindery.security.refusals", unit: "{refusal}",
            description: "Refusals recorded in the audit log (every replay is counted, even those not written), by reason");
    }

    /// <summary>
    /// Writes <paramref name="events"/> in the caller's transaction with one statement (none when empty) and counts
    /// them. Called from a transaction delegate: a PostgreSQL retry of that transaction may count once more; the table
    /// holds each committed refusal exactly once.
    /// </summary>
    public async Task RecordAsync(DbTx tx, long now, params SecurityEvent[] events)
    {
        if (events.Length == 0)
        {
            return;
        }
        var (sql, parameters) = InsertOf(events, now);
        await tx.ExecuteAsync(sql, parameters);
        foreach (var e in events)
        {
            Count(e);
        }
    }

    /// <summary>
    /// After a failed guess counted against a user and their user domain: records the lock-out of each that the
    /// failure just brought to its limit (<paramref name="userCount"/> == <paramref name="userLimit"/>; the same for
    /// the domain), in one statement, and nothing otherwise.
    /// </summary>
    public Task GuessFailedAsync(DbTx tx, string proof, string userId, string domainId,
        long userCount, int userLimit, long domainCount, int domainLimit, long now)
    {
        var userLocked = userCount == userLimit;
        var domainLocked = domainCount == domainLimit;
        if (!userLocked && !domainLocked)
        {
            return Task.CompletedTask;
        }
        List<SecurityEvent> events = [];
        if (userLocked)
        {
            events.Add(SecurityEvent.LockedOut(RefusalSubjects.User, proof, userId, domainId));
        }
        if (domainLocked)
        {
            events.Add(SecurityEvent.LockedOut(RefusalSubjects.Domain, proof, userId, domainId));
        }
        return RecordAsync(tx, now, [.. events]);
    }

    /// <summary>
    /// A correctly signed device request replayed a spent nonce. Its transaction rolled back, so the row is written on
    /// its own, at most once per device per <see cref="AuditOptions.RefusalRecordInterval"/> on this node; every
    /// replay is counted. Never throws: a failed record is logged, the refusal stands.
    /// </summary>
    public async Task ReplayedNonceAsync(string pk, string dk)
    {
        var e = new SecurityEvent(RefusalReasons.ReplayedNonce, RefusalSubjects.Device, RefusalProofs.DeviceSignature, Pk: pk, Dk: dk);
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (!ShouldWrite(e, now))
        {
            Count(e);
            return;
        }
        try
        {
            var (sql, parameters) = InsertOf([e], now);
            await _db.WriteAsync(tx => tx.ExecuteAsync(sql, parameters));
            Count(e);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Count(e);
            _logger.LogWarning("Recording a {Reason} refusal failed ({ExceptionType})", e.Reason, ex.GetType().Name);
        }
    }

    private bool ShouldWrite(SecurityEvent e, long now)
    {
        var interval = (long)_options.Value.RefusalRecordInterval.TotalMilliseconds;
        if (interval <= 0)
        {
            return true;
        }
        if (_lastRecorded.Count >= MaxThrottleEntries)
        {
            // Bounded memory: forgetting the throttle costs at most one more row per subject.
            _lastRecorded.Clear();
        }
        var key = e.Reason + "\n" + e.Pk + "\n" + e.Dk + "\n" + e.UserId;
        var recorded = false;
        _lastRecorded.AddOrUpdate(key,
            _ => { recorded = true; return now; },
            (_, last) =>
            {
                recorded = now - last >= interval;
                return recorded ? now : last;
            });
        return recorded;
    }

    private void Count(SecurityEvent e)
    {
        _refusals.Add(1, new KeyValuePair<string, object?>("reason", e.Reason));
        if (e.Reason == RefusalReasons.LockedOut)
        {
            _lockouts.Add(1, new KeyValuePair<string, object?>("subject", e.Subject), new KeyValuePair<string, object?>("proof", e.Proof));
        }
    }

    private static (string Sql, Dapper.DynamicParameters Parameters) InsertOf(SecurityEvent[] events, long now)
    {
        var sql = new StringBuilder("INSERT INTO security_events (occurred_at, reason, subject, proof, user_id, domain_id, pk, dk) VALUES ");
        var parameters = new Dapper.DynamicParameters();
        parameters.Add("Now", now);
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            var n = i.ToString(CultureInfo.InvariantCulture);
            sql.Append(i == 0 ? "" : ", ")
                .Append(CultureInfo.InvariantCulture, $"(@Now, @Reason{n}, @Subject{n}, @Proof{n}, @UserId{n}, @DomainId{n}, @Pk{n}, @Dk{n})");
            parameters.Add("Reason" + n, e.Reason, DbType.String);
            parameters.Add("Subject" + n, e.Subject, DbType.String);
            parameters.Add("Proof" + n, e.Proof, DbType.String);
            parameters.Add("UserId" + n, e.UserId, DbType.String);
            parameters.Add("DomainId" + n, e.DomainId, DbType.String);
            parameters.Add("Pk" + n, e.Pk, DbType.String);
            parameters.Add("Dk" + n, e.Dk, DbType.String);
        }
        return (sql.ToString(), parameters);
    }
}
