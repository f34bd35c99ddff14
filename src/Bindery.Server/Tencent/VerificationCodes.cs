using System.Security.Cryptography;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Tencent;

/// <summary>Delivers a verification code to a phone number or an e-mail address (an SMS or mail gateway in production).</summary>
public interface IVerificationCodeSender
{
    /// <summary>True when this sender may be used in this deployment (the log sender is not, in production, unless configured).</summary>
    bool Available { get; }

    Task SendAsync(string target, string purpose, string code, CancellationToken cancellationToken);
}

/// <summary>
/// The embedded default: writes the code to the server log (category <c>Bindery.VerificationCodes</c>, level Warning,
/// which a developer sees with the shipped settings) so an app can be tried without an SMS gateway. Used in
/// Development, or anywhere when <c>Tencent:VerificationCodes:Sender</c> is <c>log</c> explicitly; never in production
/// by default, where sending answers that no sender is configured.
/// </summary>
public sealed class LogVerificationCodeSender(ILoggerFactory loggers, IHostEnvironment environment, IOptions<TencentOptions> options)
    : IVerificationCodeSender
{
    private readonly ILogger _logger = loggers.CreateLogger("Bindery.VerificationCodes");

    public bool Available => options.Value.VerificationCodes.Sender switch
    {
        "log" => true,
        "none" => false,
        _ => environment.IsDevelopment(),
    };

    public Task SendAsync(string target, string purpose, string code, CancellationToken cancellationToken)
    {
        // The one place a code is logged on purpose: this sender exists for development, where the log is the SMS.
        _logger.LogWarning("Verification code for {Target} ({Purpose}): {Code}", target, purpose, code);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Verification codes (6 digits, stored as SHA-256, 5 minutes, single use, 5 wrong tries void them, one send per
/// target per minute): sent for registering an account or resetting its password, presented back to prove the phone
/// number or e-mail address is the caller's.
/// </summary>
public sealed class VerificationCodes(IDatabase db, TimeProvider clock, IVerificationCodeSender sender, IOptions<TencentOptions> options)
{
    public const string Register = "register";
    public const string ResetPassword = "resetpass";
    public const int FailuresPerCode = 5;

    private VerificationCodeOptions Options => options.Value.VerificationCodes;

    public static string PurposeOf(string? type) => type?.Trim().ToLowerInvariant() switch
    {
        null or "" or "register" => Register,
        "resetpass" or "resetpassword" => ResetPassword,
        _ => throw new BinderyException(Errors.InvalidParameterValue, "Type is register or resetpass"),
    };

    public async Task SendAsync(string domainId, string target, string purpose, CancellationToken cancellationToken = default)
    {
        if (!sender.Available)
        {
            throw new BinderyException(Errors.UnsupportedOperation, "no verification-code sender is configured for this deployment");
        }
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var stored = await db.WriteAsync(async tx =>
        {
            // Sends are limited per user domain (in aggregate) and one per target per interval.
            if (!await GuessCounters.TryClaimAsync(tx, "verification-send", domainId, Options.SendsPerUserDomain, Options.SendWindow, now))
            {
                return false;
            }
            return await tx.ExecuteAsync(
                """
                INSERT INTO verification_codes (domain_id, target, purpose, code_hash, sent_at, expires_at, failures, used_at)
                VALUES (@DomainId, @Target, @Purpose, @Hash, @Now, @ExpiresAt, 0, NULL)
                ON CONFLICT (domain_id, target, purpose) DO UPDATE SET
                    code_hash = @Hash, sent_at = @Now, expires_at = @ExpiresAt, failures = 0, used_at = NULL
                WHERE verification_codes.sent_at <= @ResendAfter
                """,
                new
                {
                    DomainId = domainId, Target = target, Purpose = purpose, Hash = Secrets.Sha256Hex(code), Now = now,
                    ExpiresAt = now + (long)Options.Lifetime.TotalMilliseconds, ResendAfter = now - (long)Options.ResendInterval.TotalMilliseconds,
                }) == 1;
        }, cancellationToken);
        if (!stored)
        {
            throw new BinderyException(Errors.TooManyAttempts, "a code was sent a moment ago, or too many codes were sent; wait and try again");
        }
        await sender.SendAsync(target, purpose, code, cancellationToken);
    }

    /// <summary>Checks a code without using it up (the apps check it on one screen and create the account on the next).</summary>
    public Task CheckAsync(string domainId, string target, string purpose, string? code) => VerifyAsync(domainId, target, purpose, code, consume: false);

    /// <summary>Checks a code and uses it up, so it proves possession once.</summary>
    public Task ConsumeAsync(string domainId, string target, string purpose, string? code) => VerifyAsync(domainId, target, purpose, code, consume: true);

    private async Task VerifyAsync(string domainId, string target, string purpose, string? code, bool consume)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 16)
        {
            throw new BinderyException(Errors.InvalidParameter, "VerificationCode is required");
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var hash = Secrets.Sha256Hex(code);
        var ok = await db.WriteAsync(async tx =>
        {
            var row = await tx.QuerySingleOrDefaultAsync<CodeRow>(
                "SELECT code_hash, expires_at, failures, used_at FROM verification_codes WHERE domain_id = @DomainId AND target = @Target AND purpose = @Purpose",
                new { DomainId = domainId, Target = target, Purpose = purpose });
            var valid = row is { UsedAt: null } && row.ExpiresAt > now && row.Failures < FailuresPerCode
                && Secrets.FixedTimeEquals(row.CodeHash, hash);
            if (!valid)
            {
                if (row is not null)
                {
                    await tx.ExecuteAsync(
                        "UPDATE verification_codes SET failures = failures + 1 WHERE domain_id = @DomainId AND target = @Target AND purpose = @Purpose",
                        new { DomainId = domainId, Target = target, Purpose = purpose });
                }
                return false;
            }
            if (consume)
            {
                // The conditional update decides who uses a code that two requests present at once.
                return await tx.ExecuteAsync(
                    "UPDATE verification_codes SET used_at = @Now WHERE domain_id = @DomainId AND target = @Target AND purpose = @Purpose AND used_at IS NULL AND code_hash = @Hash",
                    new { Now = now, DomainId = domainId, Target = target, Purpose = purpose, Hash = hash }) == 1;
            }
            return true;
        });
        if (!ok)
        {
            throw new BinderyException(Errors.VerificationCodeInvalid);
        }
    }

    private sealed class CodeRow
    {
        public string CodeHash { get; set; } = "";

        public long ExpiresAt { get; set; }

        public int Failures { get; set; }

        public long? UsedAt { get; set; }
    }
}

/// <summary>Configuration section <c>Tencent:VerificationCodes</c>.</summary>
public sealed class VerificationCodeOptions
{
    /// <summary><c>auto</c> (the log sender in Development only), <c>log</c> (anywhere), <c>none</c>.</summary>
    public string Sender { get; set; } = "auto";

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromMinutes(1);

    public int SendsPerUserDomain { get; set; } = 300;

    public TimeSpan SendWindow { get; set; } = TimeSpan.FromHours(1);
}
