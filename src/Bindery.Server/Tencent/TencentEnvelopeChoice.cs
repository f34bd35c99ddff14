using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Tencent;

/// <summary>
/// Which envelope answers a user domain's Tencent-style requests: the domain's own <c>tencentEnvelope</c> (admin
/// API, column <c>user_domains.tencent_envelope</c>), else the deployment's <see cref="TencentOptions.Envelope"/>.
/// </summary>
public sealed class TencentEnvelopeChoice(IDatabase db, IOptions<TencentOptions> options)
{
    /// <summary>The stored names, as the admin API reads and writes them.</summary>
    public const string ResponseName = "response";

    public const string ClientName = "client";

    public TencentEnvelopeKind Default => options.Value.Envelope;

    public async Task<TencentEnvelopeKind> ForDomainAsync(string domainId)
    {
        var stored = await db.ReadAsync(c => Dapper.SqlMapper.QuerySingleOrDefaultAsync<string?>(c,
            "SELECT tencent_envelope FROM user_domains WHERE id = @Id", new { Id = domainId }));
        return Parse(stored) ?? Default;
    }

    /// <summary>
    /// The envelope for a request whose AccessToken does not authenticate: when it is an <b>expired</b> session
    /// (still stored), its user's domain is known, so the refusal is answered as that domain's apps read it — an
    /// expired login is exactly when the official apps must see InvalidAccessToken and log the user out. Any other
    /// token (unknown, logged out, missing) names no domain: the deployment default. Only the envelope's form is
    /// decided from an expired session, never who the caller is.
    /// </summary>
    public async Task<TencentEnvelopeKind> ForUnauthenticatedAsync(string? accessToken)
    {
        if (string.IsNullOrWhiteSpace(accessToken) || accessToken.Length > 512)
        {
            return Default;
        }
        var stored = await db.ReadAsync(c => Dapper.SqlMapper.QuerySingleOrDefaultAsync<string?>(c,
            """
            SELECT d.tencent_envelope FROM sessions s
            JOIN users u ON u.id = s.user_id JOIN user_domains d ON d.id = u.domain_id
            WHERE s.token_hash = @Hash
            """, new { Hash = Bindery.Protocol.Secrets.Sha256Hex(accessToken) }));
        return Parse(stored) ?? Default;
    }

    /// <summary><c>"response"</c> / <c>"client"</c> (any case), else null.</summary>
    public static TencentEnvelopeKind? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        ResponseName => TencentEnvelopeKind.Response,
        ClientName => TencentEnvelopeKind.Client,
        _ => null,
    };
}
