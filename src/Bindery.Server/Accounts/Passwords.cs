using Bindery.Protocol;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Bindery.Accounts;

/// <summary>
/// Password hashing with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2-HMAC-SHA512, random
/// salt, constant-time comparison). Checking a password of a user who does not exist costs the same as checking
/// a real one, so response time does not tell which usernames are registered.
/// </summary>
public sealed class Passwords
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    /// <summary>The floor for configured iterations; only test servers go below the 100,000 default.</summary>
    public const int MinIterations = 1_000;

    private static readonly object Owner = new();
    private readonly PasswordHasher<object> _hasher;
    private readonly Lazy<string> _decoyHash;

    public Passwords(IOptions<AccountOptions> options)
    {
        var iterations = options.Value.PasswordHashIterations;
        if (iterations < MinIterations)
        {
            throw new InvalidOperationException($"Bindery:Accounts:PasswordHashIterations must be at least {MinIterations}.");
        }
        _hasher = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions
        {
            CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
            IterationCount = iterations,
        }));
        _decoyHash = new Lazy<string>(() => _hasher.HashPassword(Owner, Secrets.NewToken()));
    }

    public enum Outcome
    {
        Wrong,
        Correct,
        CorrectButRehashNeeded,
    }

    public string Hash(string password) => _hasher.HashPassword(Owner, password);

    /// <summary>Checks <paramref name="password"/>; with no stored hash (unknown user) it does the same work and answers Wrong.</summary>
    public Outcome Verify(string? storedHash, string password)
    {
        if (storedHash is null)
        {
            _hasher.VerifyHashedPassword(Owner, _decoyHash.Value, password);
            return Outcome.Wrong;
        }
        return _hasher.VerifyHashedPassword(Owner, storedHash, password) switch
        {
            PasswordVerificationResult.Success => Outcome.Correct,
            PasswordVerificationResult.SuccessRehashNeeded => Outcome.CorrectButRehashNeeded,
            _ => Outcome.Wrong,
        };
    }
}
