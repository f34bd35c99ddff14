using System.Text.Json;
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

/// <summary>
/// Access tokens, stored as SHA-256 hashes and looked up on every request, with expiry and logout; and the refresh
/// tokens of the app logins, single use, rotated in chains (docs/accounts-and-homes.md, "Rules and limits").
/// </summary>
public sealed class UserSessions(IDatabase db, TimeProvider clock, IOptions<BinderyOptions> options, IOptions<AccountOptions> accountOptions)
{
    /// <summary>The prefix the real cloud puts in front of its tokens; clients send the token back as given.</summary>
    public const string BearerPrefix = "Bearer ";

    /// <summary>A token as handed to the client. <see cref="ExpiresAt"/> is Unix milliseconds.</summary>
    public sealed record IssuedToken(string Token, long ExpiresAt);

    /// <summary>What an app login or a refresh hands out.</summary>
    public sealed record TokenPair(IssuedToken AccessToken, IssuedToken RefreshToken);

    private sealed class SessionRow
    {
        public string UserId { get; set; } = "";
        public string DomainId { get; set; } = "";
        public string Username { get; set; } = "";
        public long ExpiresAt { get; set; }
    }

    private sealed class RefreshRow
    {
        public string ChainId { get; set; } = "";
        public string UserId { get; set; } = "";
        public long ExpiresAt { get; set; }
        public long? UsedAt { get; set; }
    }

    /// <summary>Creates an opaque session for <paramref name="userId"/> (Bindery's own /login) inside the caller's write transaction.</summary>
    public async Task<IssuedToken> IssueAsync(DbTx tx, string userId)
    {
        var token = Secrets.NewToken();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var expiresAt = now + (long)options.Value.SessionLifetime.TotalMilliseconds;
        await InsertSessionAsync(tx, token, userId, null, now, expiresAt);
        return new IssuedToken(token, expiresAt);
    }

    /// <summary>
    /// Opens a new chain for <paramref name="userId"/>: an access token and a refresh token, both JWT-shaped (a
    /// readable payload with <c>uid</c> and <c>exp</c>, for clients that decode it) with a random third part in place
    /// of a signature. The server never trusts the payload: the token counts only while its hash is in the store.
    /// </summary>
    public Task<TokenPair> IssuePairAsync(DbTx tx, string userId) => IssuePairAsync(tx, userId, Secrets.NewId());

    private async Task<TokenPair> IssuePairAsync(DbTx tx, string userId, string chainId)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var access = JwtShaped(userId, "AccessToken", now, now + (long)accountOptions.Value.AccessTokenLifetime.TotalMilliseconds);
        var refresh = JwtShaped(userId, "RefreshToken", now, now + (long)accountOptions.Value.RefreshTokenLifetime.TotalMilliseconds);
        await InsertSessionAsync(tx, access.Token, userId, chainId, now, access.ExpiresAt);
        await tx.ExecuteAsync(
            "INSERT INTO refresh_tokens (token_hash, chain_id, user_id, created_at, expires_at, used_at) VALUES (@Hash, @Chain, @UserId, @Now, @ExpiresAt, NULL)",
            new { Hash = Secrets.Sha256Hex(refresh.Token), Chain = chainId, UserId = userId, Now = now, refresh.ExpiresAt });
        return new TokenPair(access with { Token = BearerPrefix + access.Token }, refresh with { Token = BearerPrefix + refresh.Token });
    }

    private static IssuedToken JwtShaped(string userId, string type, long now, long expiresAt)
    {
        var header = System.Buffers.Text.Base64Url.EncodeToString("""{"alg":"none","typ":"JWT"}"""u8.ToArray());
        var payload = System.Buffers.Text.Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = "bindery",
            ["uid"] = userId,
            ["type"] = type,
            ["iat"] = now / 1000,
            ["exp"] = expiresAt / 1000,
        }));
        return new IssuedToken($"{header}.{payload}.{Secrets.NewToken()}", expiresAt);
    }

    private static Task<int> InsertSessionAsync(DbTx tx, string token, string userId, string? chainId, long now, long expiresAt) =>
        tx.ExecuteAsync(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, chain_id) VALUES (@Hash, @UserId, @Now, @ExpiresAt, @Chain)",
            new { Hash = Secrets.Sha256Hex(token), UserId = userId, Now = now, ExpiresAt = expiresAt, Chain = chainId });

    /// <summary>
    /// Spends <paramref name="refreshToken"/> and hands out the chain's next pair; the chain's previous access token
    /// ends. 5032 when the token is unknown, expired or ended (logout). Presenting a token that was already spent
    /// ends the whole chain (someone else holds a copy of it) and answers 5032 too.
    /// </summary>
    public async Task<TokenPair> RefreshAsync(string? refreshToken)
    {
        var token = StripBearer(refreshToken);
        if (string.IsNullOrEmpty(token))
        {
            throw new BinderyException(Errors.InvalidParameter, "refreshToken is required");
        }
        if (token.Length > 512)
        {
            throw new BinderyException(Errors.TokenVerificationFailed);
        }
        var hash = Secrets.Sha256Hex(token);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var pair = await db.WriteAsync(async tx =>
        {
            var row = await tx.QuerySingleOrDefaultAsync<RefreshRow>(
                "SELECT chain_id, user_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = @Hash", new { Hash = hash });
            if (row is null || row.ExpiresAt <= now)
            {
                return null;
            }
            // The conditional update decides which of two presentations of one token spends it; the loser is a reuse
            // (READ COMMITTED is enough: the update waits for the other presentation and re-checks used_at after it).
            var spent = row.UsedAt is null && await tx.ExecuteAsync(
                "UPDATE refresh_tokens SET used_at = @Now WHERE token_hash = @Hash AND used_at IS NULL", new { Now = now, Hash = hash }) == 1;
            if (!spent)
            {
                await EndChainAsync(tx, row.ChainId);
                return null;
            }
            await tx.ExecuteAsync("DELETE FROM sessions WHERE chain_id = @Chain", new { Chain = row.ChainId });
            // Spent tokens are kept only as long as they could still be presented.
            await tx.ExecuteAsync("DELETE FROM refresh_tokens WHERE chain_id = @Chain AND used_at IS NOT NULL AND expires_at <= @Now",
                new { Chain = row.ChainId, Now = now });
            return await IssuePairAsync(tx, row.UserId, row.ChainId);
        }, WriteIsolation.RowLocks);
        return pair ?? throw new BinderyException(Errors.TokenVerificationFailed);
    }

    private static async Task EndChainAsync(DbTx tx, string chainId)
    {
        await tx.ExecuteAsync("DELETE FROM sessions WHERE chain_id = @Chain", new { Chain = chainId });
        await tx.ExecuteAsync("DELETE FROM refresh_tokens WHERE chain_id = @Chain", new { Chain = chainId });
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

    /// <summary>
    /// Ends the session behind <paramref name="token"/> and, for an app login, its whole chain: the refresh token
    /// that would have renewed it is refused from then on. Unknown tokens are ignored.
    /// </summary>
    public Task RevokeAsync(string token) =>
        db.WriteAsync(async tx =>
        {
            var chain = await ChainOfAsync(tx, token);
            await tx.ExecuteAsync("DELETE FROM sessions WHERE token_hash = @Hash", new { Hash = Secrets.Sha256Hex(token) });
            if (chain is not null)
            {
                await EndChainAsync(tx, chain);
            }
        }, WriteIsolation.RowLocks);

    /// <summary>The chain of the session behind <paramref name="token"/> (null for a Bindery /login session or an unknown token).</summary>
    public static Task<string?> ChainOfAsync(DbTx tx, string token) =>
        tx.ExecuteScalarAsync<string?>("SELECT chain_id FROM sessions WHERE token_hash = @Hash", new { Hash = Secrets.Sha256Hex(token) });

    /// <summary>
    /// The token of <c>Authorization: Bearer x</c> or of a bare <c>Authorization: x</c> (the Quectel apps' form). The
    /// app logins hand out tokens that already start with "Bearer ", so a client that adds the prefix again sends it twice.
    /// </summary>
    public static string? ReadBearer(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return string.IsNullOrWhiteSpace(header) ? null : StripBearer(header);
    }

    private static string? StripBearer(string? value)
    {
        var token = value?.Trim();
        for (var i = 0; i < 2 && token is not null && token.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase); i++)
        {
            token = token[BearerPrefix.Length..].Trim();
        }
        return token;
    }
}
