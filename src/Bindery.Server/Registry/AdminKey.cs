using System.Net;
using Bindery.Audit;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Registry;

/// <summary>
/// The device maker's admin API key. Taken from <c>Bindery:AdminKey</c> when set; otherwise generated on first
/// start, printed once on standard output and written to <c>&lt;data dir&gt;/admin.key</c> (mode 600). Only its
/// SHA-256 hash is stored in the database.
/// Wrong keys are guesses (<see cref="CheckAsync"/>): limited per client address and in aggregate, in the database's
/// <c>guess_counters</c> so every node sees the same counts (<see cref="KeyGuessLimit"/>, shared with the stand-in key).
/// </summary>
public sealed class AdminKey(IDatabase db, IOptions<BinderyOptions> options, TimeProvider clock, SecurityAudit? audit = null)
{
    /// <summary><c>guess_counters</c> scope of wrong admin keys per client address (IPv4 address, IPv6 /64).</summary>
    public const string AddressScope = "admin-key-address";

    /// <summary><c>guess_counters</c> scope of wrong admin keys from everywhere (subject <c>*</c>).</summary>
    public const string TotalScope = "admin-key-all";

    public const string HeaderName = "X-Admin-Key";

    /// <summary>Every route under this prefix needs the key, unknown ones included.</summary>
    public const string PathPrefix = "/admin";
    private const string SettingName = "admin_key_sha256";
    private string? _hash;

    public async Task InitializeAsync()
    {
        var configured = options.Value.AdminKey;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _hash = Secrets.Sha256Hex(configured);
            return;
        }
        var stored = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string>("SELECT value FROM settings WHERE key = @Key", new { Key = SettingName }));
        if (stored is not null)
        {
            _hash = stored;
            return;
        }
        var key = "adm_" + Secrets.NewToken();
        var hash = Secrets.Sha256Hex(key);
        var inserted = await db.WriteAsync(tx => tx.ExecuteAsync(
            "INSERT INTO settings (key, value) VALUES (@Key, @Value) ON CONFLICT (key) DO NOTHING",
            new { Key = SettingName, Value = hash }));
        if (inserted == 0)
        {
            // Another node generated it first.
            _hash = await db.ReadAsync(c => c.QuerySingleAsync<string>("SELECT value FROM settings WHERE key = @Key", new { Key = SettingName }));
            return;
        }
        _hash = hash;
        await GeneratedKeyFile.WriteAndShowAsync(options.Value.DataDir, "admin.key", key, "admin API key");
    }

    /// <summary>
    /// Whether <paramref name="candidate"/> is the admin key, counting a wrong one as a guess of
    /// <paramref name="remote"/>'s address and of everyone. Once the address or everyone together reached its limit
    /// in the window (<see cref="BinderyOptions.AdminKeyFailuresPerAddress"/>, <see cref="BinderyOptions.AdminKeyFailuresTotal"/>),
    /// every key is refused unchecked, the right one too, with the same answer as a wrong one. No key at all is no
    /// guess (nothing was tried) and is not counted.
    /// </summary>
    public Task<bool> CheckAsync(string? candidate, IPAddress? remote, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        var limit = new KeyGuessLimit(AddressScope, TotalScope, RefusalProofs.AdminKey, o.AdminKeyFailuresPerAddress, o.AdminKeyFailuresTotal, o.AdminKeyFailureWindow);
        return limit.CheckAsync(db, clock, audit, candidate, remote, IsValid, cancellationToken);
    }

    /// <summary>A plain comparison, counting nothing: for a second look at a key <see cref="CheckAsync"/> already let through.</summary>
    public bool IsValid(string? candidate) =>
        _hash is not null && !string.IsNullOrEmpty(candidate) && candidate.Length <= 512 && Secrets.MatchesHash(candidate, _hash);

    /// <summary>Endpoint filter for the admin route group (a second line behind <see cref="AdminKeyGate.UseAdminKey"/>).</summary>
    public static async ValueTask<object?> RequireAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var adminKey = http.RequestServices.GetRequiredService<AdminKey>();
        if (!adminKey.IsValid(http.Request.Headers[HeaderName].ToString()))
        {
            throw new BinderyException(Errors.AdminKeyInvalid);
        }
        return await next(context);
    }
}

public static class AdminKeyGate
{
    /// <summary>
    /// Checks the key of every request under <see cref="AdminKey.PathPrefix"/> before anything else: before routing's
    /// answer (so unknown admin routes are not told apart from known ones), before the body is bound (so a bad
    /// body does not reveal a field name) and before the Content-Type is looked at.
    /// </summary>
    public static IApplicationBuilder UseAdminKey(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.Path.StartsWithSegments(AdminKey.PathPrefix)
            && !await context.RequestServices.GetRequiredService<AdminKey>().CheckAsync(
                context.Request.Headers[AdminKey.HeaderName].ToString(), context.Connection.RemoteIpAddress, context.RequestAborted))
        {
            throw new BinderyException(Errors.AdminKeyInvalid);
        }
        await next(context);
    });
}
