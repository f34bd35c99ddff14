using Bindery.Infrastructure;
using Bindery.Protocol;
using Microsoft.Extensions.Options;

namespace Bindery.StandIn;

/// <summary>
/// The stand-in API's key (header <see cref="HeaderName"/>). Taken from <c>Bindery:StandIn:Key</c> when set; else
/// read from <c>&lt;data dir&gt;/stand-in.key</c>; else generated at start, printed once on standard output and
/// written there (mode 600). Only its SHA-256 hash is kept in memory; candidates are compared in constant time.
/// </summary>
public sealed class StandInKey(IOptions<StandInOptions> options, IOptions<BinderyOptions> bindery) : IStartupStep
{
    public const string HeaderName = "X-StandIn-Key";
    public const string FileName = "stand-in.key";
    private string? _hash;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value.Key;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _hash = Secrets.Sha256Hex(configured.Trim());
            return;
        }
        var file = Path.Combine(bindery.Value.DataDir, FileName);
        if (File.Exists(file))
        {
            var existing = (await File.ReadAllTextAsync(file, cancellationToken)).Trim();
            if (existing.Length > 0)
            {
                _hash = Secrets.Sha256Hex(existing);
                return;
            }
        }
        var key = "sti_" + Secrets.NewToken();
        await GeneratedKeyFile.WriteAndShowAsync(bindery.Value.DataDir, FileName, key, "stand-in API key", cancellationToken);
        _hash = Secrets.Sha256Hex(key);
    }

    public bool IsValid(string? candidate) =>
        _hash is not null && !string.IsNullOrEmpty(candidate) && candidate.Length <= 512 && Secrets.MatchesHash(candidate, _hash);

    /// <summary>Endpoint filter of the <c>/stand-in/v1</c> group (a second line behind the gate in <see cref="StandInSetup.UseStandIn"/>).</summary>
    public static async ValueTask<object?> RequireAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!http.RequestServices.GetRequiredService<StandInKey>().IsValid(http.Request.Headers[HeaderName].ToString()))
        {
            throw new BinderyException(Errors.StandInKeyInvalid);
        }
        return await next(context);
    }
}
