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
/// </summary>
public sealed class AdminKey(IDatabase db, IOptions<BinderyOptions> options)
{
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
        var file = Path.Combine(options.Value.DataDir, "admin.key");
        Directory.CreateDirectory(options.Value.DataDir);
        await File.WriteAllTextAsync(file, key + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        // Deliberately stdout, not the logger: the key must never reach a log pipeline.
        Console.WriteLine($"Bindery admin API key (shown once, also saved to {file}): {key}");
    }

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
    public static IApplicationBuilder UseAdminKey(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Request.Path.StartsWithSegments(AdminKey.PathPrefix)
            && !context.RequestServices.GetRequiredService<AdminKey>().IsValid(context.Request.Headers[AdminKey.HeaderName].ToString()))
        {
            throw new BinderyException(Errors.AdminKeyInvalid);
        }
        return next(context);
    });
}
