using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Accounts;

/// <summary>
/// An authenticated app user. As an endpoint parameter it authenticates the request: declare <c>AppUser user</c>
/// first and the handler only runs for a valid <c>Authorization</c> token (5106 missing, 5032 bad or expired).
/// </summary>
public sealed record AppUser(string Id, string DomainId, string Username)
{
    public static async ValueTask<AppUser?> BindAsync(HttpContext context) => await CurrentUser.AuthenticateAsync(context);
}

/// <summary>Opaque random access tokens, stored as SHA-256 hashes, with expiry and logout.</summary>
public sealed class UserSessions(IDatabase db, TimeProvider clock, IOptions<BinderyOptions> options)
{
    public sealed record IssuedToken(string Token, long ExpiresAt);

    private sealed class SessionRow
    {
        public string UserId { get; set; } = "";
        public string DomainId { get; set; } = "";
        public string Username { get; set; } = "";
        public long ExpiresAt { get; set; }
    }

    /// <summary>Creates a session for <paramref name="userId"/> inside the caller's write transaction.</summary>
    public async Task<IssuedToken> IssueAsync(DbTx tx, string userId)
    {
        var token = Secrets.NewToken();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var expiresAt = now + (long)options.Value.SessionLifetime.TotalMilliseconds;
        await tx.ExecuteAsync(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (@Hash, @UserId, @Now, @ExpiresAt)",
            new { Hash = Secrets.Sha256Hex(token), UserId = userId, Now = now, ExpiresAt = expiresAt });
        return new IssuedToken(token, expiresAt);
    }

    /// <summary>The user behind an access token; 5106 when there is none, 5032 when it is unknown or expired.</summary>
    public async Task<AppUser> AuthenticateAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new BinderyException(Errors.TokenMissing);
        }
        if (token.Length > 512)
        {
            throw new BinderyException(Errors.TokenVerificationFailed);
        }
        var hash = Secrets.Sha256Hex(token);
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<SessionRow>(
            """
            SELECT s.user_id, u.domain_id, u.username, s.expires_at
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = @Hash
            """, new { Hash = hash }));
        if (row is null || row.ExpiresAt <= clock.GetUtcNow().ToUnixTimeMilliseconds())
        {
            throw new BinderyException(Errors.TokenVerificationFailed);
        }
        return new AppUser(row.UserId, row.DomainId, row.Username);
    }

    public Task<AppUser> AuthenticateAsync(HttpContext context) => AuthenticateAsync(ReadBearer(context));

    /// <summary>Ends the session behind <paramref name="token"/>; unknown tokens are ignored.</summary>
    public Task RevokeAsync(string token) =>
        db.WriteAsync(tx => tx.ExecuteAsync("DELETE FROM sessions WHERE token_hash = @Hash", new { Hash = Secrets.Sha256Hex(token) }));

    /// <summary>The token of <c>Authorization: Bearer x</c> or of a bare <c>Authorization: x</c> (the Quectel apps' form).</summary>
    public static string? ReadBearer(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : header.Trim();
    }
}
