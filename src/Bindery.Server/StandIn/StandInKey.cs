using System.Net;
using Bindery.Audit;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.StandIn;

/// <summary>
/// The stand-in API's key (header <see cref="HeaderName"/>). Taken from <c>Bindery:StandIn:Key</c> when set; else
/// read from <c>&lt;data dir&gt;/stand-in.key</c>; else generated at start, printed once on standard output and
/// written there (mode 600). Only its SHA-256 hash is kept in memory; candidates are compared in constant time.
/// Wrong keys are guesses (<see cref="CheckAsync"/>), limited per client address and in aggregate like the admin
/// key's (<see cref="KeyGuessLimit"/>, docs/stand-in.md "The key").
/// </summary>
public sealed class StandInKey(IOptions<StandInOptions> options, IOptions<BinderyOptions> bindery, IDatabase db, TimeProvider clock,
    SecurityAudit? audit = null) : IStartupStep
{
    public const string HeaderName = "X-StandIn-Key";
    public const string FileName = "stand-in.key";

    /// <summary><c>guess_counters</c> scope of wrong stand-in keys per client address (IPv4 address, IPv6 /64).</summary>
    public const string AddressScope = "stand-in-key-address";

    /// <summary><c>guess_counters</c> scope of wrong stand-in keys from everywhere (subject <c>*</c>).</summary>
    public const string TotalScope = "stand-in-key-all";

    /// <summary>The <see cref="HttpContext.Items"/> entry a request gets once <see cref="CheckRequestAsync"/> let its key through.</summary>
    private static readonly object Passed = new();

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

    /// <summary>A plain constant-time comparison, counting nothing: for a second look at a key <see cref="CheckAsync"/> already let through.</summary>
    public bool IsValid(string? candidate) =>
        _hash is not null && !string.IsNullOrEmpty(candidate) && candidate.Length <= 512 && Secrets.MatchesHash(candidate, _hash);

    /// <summary>
    /// Whether <paramref name="candidate"/> is the stand-in key, counting a wrong one as a guess of
    /// <paramref name="remote"/>'s address and of everyone. Once the address or everyone together reached its limit
    /// in the window (<see cref="StandInOptions.KeyFailuresPerAddress"/>, <see cref="StandInOptions.KeyFailuresTotal"/>,
    /// <see cref="StandInOptions.KeyFailureWindow"/>), every key is refused unchecked, the right one too, with the
    /// same answer as a wrong one. No key at all is no guess and is not counted.
    /// </summary>
    public Task<bool> CheckAsync(string? candidate, IPAddress? remote, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        var limit = new KeyGuessLimit(AddressScope, TotalScope, RefusalProofs.StandInKey, o.KeyFailuresPerAddress, o.KeyFailuresTotal, o.KeyFailureWindow);
        return limit.CheckAsync(db, clock, audit, candidate, remote, IsValid, cancellationToken);
    }

    /// <summary>
    /// <see cref="CheckAsync"/> of a request's header, at most once per request: the first call counts and
    /// remembers a pass in <see cref="HttpContext.Items"/>; a later one (the endpoint filter behind the
    /// middleware) only compares again, in constant time, so one request is never counted twice.
    /// </summary>
    public async Task<bool> CheckRequestAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidate = context.Request.Headers[HeaderName].ToString();
        if (context.Items.ContainsKey(Passed))
        {
            return IsValid(candidate);
        }
        if (!await CheckAsync(candidate, context.Connection.RemoteIpAddress, context.RequestAborted))
        {
            return false;
        }
        context.Items[Passed] = true;
        return true;
    }

    /// <summary>
    /// Endpoint filter of the <c>/stand-in/v1</c> group (a second line behind the gate in <see cref="StandInSetup.UseStandIn"/>):
    /// behind the gate it only compares again; without it (a pipeline that lost the gate) it counts like the gate.
    /// </summary>
    public static async ValueTask<object?> RequireAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!await http.RequestServices.GetRequiredService<StandInKey>().CheckRequestAsync(http))
        {
            throw new BinderyException(Errors.StandInKeyInvalid);
        }
        return await next(context);
    }
}
