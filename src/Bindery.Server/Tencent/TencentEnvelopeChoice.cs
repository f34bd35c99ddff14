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

    /// <summary><c>"response"</c> / <c>"client"</c> (any case), else null.</summary>
    public static TencentEnvelopeKind? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        ResponseName => TencentEnvelopeKind.Response,
        ClientName => TencentEnvelopeKind.Client,
        _ => null,
    };
}
