using System.Security.Cryptography;
using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Devices;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Tencent;

/// <summary>What a stored token means right now, for its creator.</summary>
public enum BindTokenView
{
    /// <summary>No such token, or another user's (never told apart).</summary>
    Missing,

    /// <summary>State 1: created, no device has reported it yet.</summary>
    Created,

    /// <summary>State 2: reported by one device, usable to bind that device.</summary>
    Reported,

    /// <summary>State 3: a binding consumed it.</summary>
    Used,

    /// <summary>State 1 or 2 past its lifetime.</summary>
    Expired,

    /// <summary>Two different devices reported it, so it proves nothing and is void.</summary>
    Contested,

    /// <summary>A stored row that matches no state above (e.g. state 2 without a device).</summary>
    Unreadable,
}

/// <summary>
/// Tencent-style distribution-network tokens (table <c>bind_tokens</c>): the app creates one, hands it to the device
/// during Wi-Fi provisioning, the device reports it through the device API, and the app binds with it. A token
/// belongs to the user who created it, binds only the device that reported it, is single use and expires.
/// Only its SHA-256 is stored.
/// </summary>
public sealed class BindTokens(IDatabase db, TimeProvider clock, IOptions<TencentOptions> options, Audit.SecurityAudit audit)
{
    public const int LongLength = 32;
    public const int ShortLength = 6;

    /// <summary>Letters and digits of a 6-character token: upper case, without 0/O and 1/I, 32 symbols = 30 bits.</summary>
    public const string ShortAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    private const string LongAlphabet = "0123456789abcdef";

    public const int StateCreated = 1;
    public const int StateReported = 2;
    public const int StateUsed = 3;

    /// <summary>Bindery's own state: reported by a second, different device. Never shown as a state; read as <see cref="BindTokenView.Contested"/>.</summary>
    public const int StateContested = 4;

    public const string ReportFailureScope = "bind-token-report";

    /// <summary>How long a dead token's row is kept (so it still answers "expired") before its value may be reused.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    private const int CreateAttempts = 5;

    private TencentOptions Options => options.Value;

    public sealed record CreatedToken(string Token, long ExpiresAt);

    public sealed record TokenState(BindTokenView View, string? Pk, string? Dk, long ExpiresAt);

    public sealed record Reported(long ReportedAt, long ExpiresAt);

    public sealed class TokenRow
    {
        public string UserId { get; set; } = "";

        public long ExpiresAt { get; set; }

        public int State { get; set; }

        public string? Pk { get; set; }

        public string? Dk { get; set; }
    }

    private abstract record ReportOutcome;

    private sealed record Accepted(long ReportedAt, long ExpiresAt) : ReportOutcome;

    private sealed record Refused(string Detail) : ReportOutcome;

    /// <summary>32 lowercase hex characters, or 6 characters of <see cref="ShortAlphabet"/>.</summary>
    public static bool IsWellFormed(string? token) => token switch
    {
        { Length: LongLength } => token.All(LongAlphabet.Contains),
        { Length: ShortLength } => token.All(ShortAlphabet.Contains),
        _ => false,
    };

    /// <summary>Reads a stored row as its creator sees it.</summary>
    public static BindTokenView Interpret(TokenRow? row, long now) => row switch
    {
        null => BindTokenView.Missing,
        { State: StateUsed } => BindTokenView.Used,
        { State: StateContested } => BindTokenView.Contested,
        { State: StateCreated or StateReported } when row.ExpiresAt <= now => BindTokenView.Expired,
        { State: StateCreated } => BindTokenView.Created,
        { State: StateReported, Pk: not null, Dk: not null } => BindTokenView.Reported,
        _ => BindTokenView.Unreadable,
    };

    /// <summary>Creates a token of <paramref name="length"/> (32 or 6) characters for <paramref name="user"/>.</summary>
    public async Task<CreatedToken> CreateAsync(AppUser user, int length)
    {
        var (alphabet, lifetime) = length switch
        {
            LongLength => (LongAlphabet, Options.TokenLifetime),
            ShortLength => (ShortAlphabet, Options.ShortTokenLifetime),
            _ => throw new BinderyException(Errors.InvalidParameterValue, $"TokenLength must be {LongLength} or {ShortLength}"),
        };
        for (var attempt = 0; attempt < CreateAttempts; attempt++)
        {
            var token = RandomNumberGenerator.GetString(alphabet, length);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var expiresAt = now + (long)lifetime.TotalMilliseconds;
            var cutoff = now - (long)Retention.TotalMilliseconds;
            var hash = Secrets.Sha256Hex(token);
            var inserted = await db.WriteAsync(async tx =>
            {
                // Long-dead rows go: the user's own, and one holding this value (6-character values do recur).
                await tx.ExecuteAsync(
                    "DELETE FROM bind_tokens WHERE expires_at < @Cutoff AND (user_id = @UserId OR token_hash = @Hash)",
                    new { Cutoff = cutoff, UserId = user.Id, Hash = hash });
                return await tx.ExecuteAsync(
                    """
                    INSERT INTO bind_tokens (token_hash, user_id, created_at, expires_at, state)
                    VALUES (@Hash, @UserId, @Now, @ExpiresAt, 1)
                    ON CONFLICT (token_hash) DO NOTHING
                    """,
                    new { Hash = hash, UserId = user.Id, Now = now, ExpiresAt = expiresAt });
            });
            if (inserted == 1)
            {
                return new CreatedToken(token, expiresAt);
            }
        }
        // Five random 6-character values all live at once: the token space is crowded, not broken.
        throw new BinderyException(Errors.StorageUnavailable, "could not allocate a unique token; retry");
    }

    /// <summary>The state of one of the caller's tokens; another user's token reads as missing.</summary>
    public async Task<TokenState> StateAsync(AppUser user, string token)
    {
        var row = await db.ReadAsync(c => Dapper.SqlMapper.QuerySingleOrDefaultAsync<TokenRow>(c,
            "SELECT user_id, expires_at, state, pk, dk FROM bind_tokens WHERE token_hash = @Hash AND user_id = @UserId",
            new { Hash = Secrets.Sha256Hex(token), UserId = user.Id }));
        var view = Interpret(row, clock.GetUtcNow().ToUnixTimeMilliseconds());
        return new TokenState(view, row?.Pk, row?.Dk, row?.ExpiresAt ?? 0);
    }

    /// <summary>
    /// A device (<paramref name="pk"/>, normalised <paramref name="dk"/>, already authenticated by the caller) reports
    /// the token the app gave it. The first device to report a live token claims it; the same
    /// device reporting again is a harmless retry; a second, different device makes the token void (contested), so
    /// that neither a sniffed nor a guessed token can steer the binding to the wrong device. Every refusal answers
    /// the same <see cref="Errors.BindTokenNotExist"/> and counts against the reporting device.
    /// </summary>
    public async Task<Reported> ReportAsync(string pk, string dk, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            throw new BinderyException(Errors.InvalidParameter, "token is required");
        }
        if (!IsWellFormed(token))
        {
            throw new BinderyException(Errors.InvalidParameterValue,
                $"token is {LongLength} lowercase hex characters or {ShortLength} characters of {ShortAlphabet}");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var subject = pk + "/" + dk;
        var hash = Secrets.Sha256Hex(token);
        var outcome = await db.WriteAsync<ReportOutcome>(async tx =>
        {
            if (await GuessCounters.FailuresAsync(tx, ReportFailureScope, subject, Options.ReportFailureWindow, now) >= Options.ReportFailuresPerDevice)
            {
                throw new BinderyException(Errors.TooManyAttempts, "too many reports of unknown tokens; wait for the window to pass");
            }
            var row = await tx.QuerySingleOrDefaultAsync<TokenRow>(
                "SELECT user_id, expires_at, state, pk, dk FROM bind_tokens WHERE token_hash = @Hash" + tx.Dialect.ForUpdate,
                new { Hash = hash });
            var view = Interpret(row, now);
            if (view == BindTokenView.Created)
            {
                var claimed = await tx.ExecuteAsync(
                    "UPDATE bind_tokens SET state = 2, pk = @Pk, dk = @Dk, reported_at = @Now WHERE token_hash = @Hash AND state = 1 AND expires_at > @Now",
                    new { Pk = pk, Dk = dk, Now = now, Hash = hash });
                if (claimed == 1)
                {
                    await DeviceActivity.RecordTokenReportAsync(tx, pk, dk, 0, now);
                    return new Accepted(now, row!.ExpiresAt);
                }
            }
            else if (view == BindTokenView.Reported && row!.Pk == pk && row.Dk == dk)
            {
                await DeviceActivity.RecordTokenReportAsync(tx, pk, dk, 0, now);
                return new Accepted(now, row.ExpiresAt);
            }
            else if (view == BindTokenView.Reported)
            {
                await tx.ExecuteAsync("UPDATE bind_tokens SET state = 4 WHERE token_hash = @Hash AND state = 2", new { Hash = hash });
                await audit.RecordAsync(tx, now, new Audit.SecurityEvent(Audit.RefusalReasons.VoidedToken, Audit.RefusalSubjects.Device, Audit.RefusalProofs.BindToken, row!.UserId, Pk: pk, Dk: dk));
            }
            if (await GuessCounters.RecordFailureAsync(tx, ReportFailureScope, subject, Options.ReportFailureWindow, now) == Options.ReportFailuresPerDevice)
            {
                await audit.RecordAsync(tx, now, Audit.SecurityEvent.LockedOut(Audit.RefusalSubjects.Device, Audit.RefusalProofs.BindToken, pk: pk, dk: dk));
            }
            await DeviceActivity.RecordTokenReportAsync(tx, pk, dk, Errors.BindTokenNotExist.Code, now);
            return new Refused("no live token with this value is waiting for a device");
        });
        return outcome switch
        {
            Accepted accepted => new Reported(accepted.ReportedAt, accepted.ExpiresAt),
            Refused refused => throw new BinderyException(Errors.BindTokenNotExist, refused.Detail),
            _ => throw new InvalidOperationException("unknown outcome"),
        };
    }

    /// <summary>
    /// The proof a token binding into family <paramref name="fid"/> offers: <paramref name="token"/>, created by the
    /// caller and reported by the device. Consuming it records the family, so the token remembers what it bound.
    /// </summary>
    public static IPossessionProof Proof(string token, string? fid) => new BindTokenProof(Secrets.Sha256Hex(token), fid);

    /// <summary>
    /// Whether a bind that was just refused is the repeat of one that succeeded: <paramref name="token"/> is the
    /// caller's, used, and bound this device (<paramref name="pk"/>, normalised <paramref name="dk"/>) into
    /// <paramref name="fid"/>, and the binding it made still exists (same user, device, family and bind time — so an
    /// unbind, or an unbind and a later bind by other means, ends the repeat). Never true for another user, device
    /// or family.
    /// </summary>
    public async Task<bool> IsRepeatedBindAsync(AppUser user, string token, string pk, string dk, string fid)
    {
        var found = await db.ReadAsync(c => Dapper.SqlMapper.QuerySingleOrDefaultAsync<int?>(c,
            """
            SELECT 1 FROM bind_tokens t
            JOIN bindings b ON b.pk = t.pk AND b.dk = t.dk AND b.user_id = t.user_id AND b.fid = t.fid AND b.bound_at = t.used_at
            WHERE t.token_hash = @Hash AND t.user_id = @UserId AND t.state = 3 AND t.pk = @Pk AND t.dk = @Dk AND t.fid = @Fid
              AND b.method = 'TOKEN'
            """,
            new { Hash = Secrets.Sha256Hex(token), UserId = user.Id, Pk = pk, Dk = dk, Fid = fid }));
        return found == 1;
    }

    /// <summary>
    /// Consumes the token inside the bind transaction, with the device row locked: one conditional update decides,
    /// so of two binds racing with one token exactly one changes the row. When it changes nothing, the row is read
    /// again only to say why.
    /// </summary>
    private sealed class BindTokenProof(string tokenHash, string? fid) : IPossessionProof
    {
        public async Task<ProofResult> VerifyAsync(ProofContext context)
        {
            var tx = context.Tx;
            var consumed = await tx.ExecuteAsync(
                """
                UPDATE bind_tokens SET state = 3, used_at = @Now, fid = @Fid
                WHERE token_hash = @Hash AND state = 2 AND user_id = @UserId AND pk = @Pk AND dk = @Dk AND expires_at > @Now
                """,
                new { Now = context.Now, Hash = tokenHash, Fid = fid, UserId = context.User.Id, context.Device.Pk, context.Device.Dk });
            if (consumed == 1)
            {
                return ProofResult.Proven;
            }
            var row = await tx.QuerySingleOrDefaultAsync<TokenRow>(
                "SELECT user_id, expires_at, state, pk, dk FROM bind_tokens WHERE token_hash = @Hash AND user_id = @UserId",
                new { Hash = tokenHash, UserId = context.User.Id });
            return Interpret(row, context.Now) switch
            {
                BindTokenView.Missing => ProofResult.Fail(Errors.BindTokenNotExist, null, countsAsGuess: false),
                BindTokenView.Used => ProofResult.Fail(Errors.BindTokenNotExist, "the token has already been used", countsAsGuess: false),
                BindTokenView.Expired => ProofResult.Fail(Errors.BindTokenExpired, null, countsAsGuess: false),
                BindTokenView.Created => ProofResult.Fail(Errors.BindTokenNotReported, null, countsAsGuess: false),
                BindTokenView.Reported => ProofResult.Fail(Errors.BindTokenNotReported,
                    "the token was reported by another device than ProductId/DeviceName", countsAsGuess: false),
                BindTokenView.Contested => ProofResult.Fail(Errors.BindTokenReadError,
                    "more than one device reported the token, so it is void; create a new token", countsAsGuess: false),
                _ => ProofResult.Fail(Errors.BindTokenReadError, "the stored token is in no known state", countsAsGuess: false),
            };
        }
    }
}
