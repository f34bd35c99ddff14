using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Dapper;

namespace Bindery.Tencent;

/// <summary>
/// The apps of the Tencent-style API: an AppKey and AppSecret per app, each logging its users into one user domain,
/// and the signature check of the pre-login requests they send (docs/tencent-api.md, "Apps and their login").
/// </summary>
public sealed class TencentApps(IDatabase db, TimeProvider clock)
{
    public const int MaxNameLength = 128;

    /// <summary>How far a request's Timestamp may be from the server's clock, either way.</summary>
    public static readonly TimeSpan TimestampWindow = TimeSpan.FromMinutes(5);

    public sealed record AppView(string AppKey, string Name, string UserDomain, long CreatedAt);

    /// <summary>What creating an app answers: the AppSecret is in this answer and in no other.</summary>
    public sealed record CreatedApp(string AppKey, string AppSecret, string Name, string UserDomain, long CreatedAt);

    public sealed record AppInput(string? UserDomain, string? Name);

    /// <summary>What may change on a registered app: its name (the AppKey, AppSecret and user domain stay).</summary>
    public sealed record AppPatch(string? Name);

    /// <summary>An app a signed request was verified for.</summary>
    public sealed record VerifiedApp(string AppKey, string DomainId);

    private sealed class AppRow
    {
        public string AppKey { get; set; } = "";

        public string AppSecret { get; set; } = "";

        public string DomainId { get; set; } = "";

        public string Name { get; set; } = "";

        public long CreatedAt { get; set; }
    }

    public async Task<CreatedApp> CreateAsync(AppInput input)
    {
        var domain = Validate.Required(input.UserDomain, Errors.InvalidParameter, 64, "userDomain");
        var name = Validate.Required(input.Name, Errors.InvalidParameter, MaxNameLength, "name");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var app = new AppRow
        {
            AppKey = "ak" + Secrets.RandomAlphanumeric(22),
            AppSecret = Secrets.RandomAlphanumeric(40),
            DomainId = domain,
            Name = name,
            CreatedAt = now,
        };
        var created = await db.WriteAsync(async tx =>
        {
            var exists = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM user_domains WHERE id = @Id", new { Id = domain });
            if (exists == 0)
            {
                return false;
            }
            await tx.ExecuteAsync(
                "INSERT INTO tencent_apps (app_key, app_secret, domain_id, name, created_at) VALUES (@AppKey, @AppSecret, @DomainId, @Name, @CreatedAt)",
                app);
            return true;
        });
        return created
            ? new CreatedApp(app.AppKey, app.AppSecret, app.Name, app.DomainId, app.CreatedAt)
            : throw new BinderyException(Errors.InvalidParameterValue, $"user domain '{domain}' does not exist");
    }

    public async Task<IReadOnlyList<AppView>> ListAsync() =>
        (await db.ReadAsync(c => c.QueryAsync<AppRow>(
            "SELECT app_key, app_secret, domain_id, name, created_at FROM tencent_apps ORDER BY app_key")))
        .Select(a => new AppView(a.AppKey, a.Name, a.DomainId, a.CreatedAt)).ToList();

    /// <summary>Renames an app; answers it as listed (never its secret). No such app: 9003.</summary>
    public async Task<AppView> UpdateAsync(string appKey, AppPatch patch)
    {
        var name = Validate.Required(patch.Name, Errors.InvalidParameter, MaxNameLength, "name");
        var row = await db.WriteAsync(async tx =>
        {
            var changed = await tx.ExecuteAsync("UPDATE tencent_apps SET name = @Name WHERE app_key = @AppKey", new { Name = name, AppKey = appKey });
            return changed == 0
                ? null
                : await tx.QuerySingleOrDefaultAsync<AppRow>(
                    "SELECT app_key, app_secret, domain_id, name, created_at FROM tencent_apps WHERE app_key = @AppKey", new { AppKey = appKey });
        });
        return row is null ? throw new BinderyException(Errors.NotFound, "no such app") : new AppView(row.AppKey, row.Name, row.DomainId, row.CreatedAt);
    }

    public async Task DeleteAsync(string appKey)
    {
        var deleted = await db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync("DELETE FROM tencent_app_signatures WHERE app_key = @AppKey", new { AppKey = appKey });
            return await tx.ExecuteAsync("DELETE FROM tencent_apps WHERE app_key = @AppKey", new { AppKey = appKey });
        });
        if (deleted == 0)
        {
            throw new BinderyException(Errors.NotFound, "no such app");
        }
    }

    /// <summary>A registered app (an AppKey is built into every copy of the app: it is no secret), or null.</summary>
    public sealed class RegisteredApp
    {
        public string AppKey { get; set; } = "";

        public string AppSecret { get; set; } = "";

        public string DomainId { get; set; } = "";
    }

    public Task<RegisteredApp?> FindAsync(string? appKey) =>
        appKey is null or { Length: > 64 }
            ? Task.FromResult<RegisteredApp?>(null)
            : db.ReadAsync(c => c.QuerySingleOrDefaultAsync<RegisteredApp?>(
                "SELECT app_key, app_secret, domain_id FROM tencent_apps WHERE app_key = @AppKey", new { AppKey = appKey }));

    /// <summary>
    /// Verifies a signed pre-login request: a known AppKey, a Timestamp (Unix seconds) within
    /// <see cref="TimestampWindow"/>, a Nonce, and Signature = Base64(HMAC-SHA1(AppSecret, every other parameter sorted
    /// by name as <c>name=value</c> joined by <c>&amp;</c>)), compared in constant time; then the signature is spent, so
    /// the same signed request is refused a second time. Every failure answers the same
    /// <c>InvalidParameterValue.SignatureFailure</c>-style refusal (no hint which check failed).
    /// </summary>
    public async Task<VerifiedApp> VerifyAsync(JsonElement body, RegisteredApp? app)
    {
        var appKey = Text(body, "AppKey");
        var signature = Text(body, "Signature");
        var timestamp = Text(body, "Timestamp");
        var nonce = Text(body, "Nonce");
        if (appKey is null || signature is null || timestamp is null || nonce is null || appKey.Length > 64 || signature.Length > 128)
        {
            throw new BinderyException(Errors.AppSignatureInvalid, "AppKey, Timestamp, Nonce and Signature are required");
        }
        if (app is not null && !string.Equals(app.AppKey, appKey, StringComparison.Ordinal))
        {
            app = null;   // looked up for another key than the body names: as good as unknown
        }
        var now = clock.GetUtcNow();
        var expected = Sign(app?.AppSecret ?? "no app has this key", body);
        var fresh = long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && Math.Abs(now.ToUnixTimeSeconds() - seconds) <= (long)TimestampWindow.TotalSeconds;
        if (!(Secrets.FixedTimeEquals(signature, expected) & app is not null & fresh))
        {
            throw new BinderyException(Errors.AppSignatureInvalid);
        }
        var spent = await db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync("DELETE FROM tencent_app_signatures WHERE app_key = @AppKey AND expires_at < @Now",
                new { AppKey = appKey, Now = now.ToUnixTimeMilliseconds() });
            return await tx.ExecuteAsync(
                "INSERT INTO tencent_app_signatures (app_key, signature, expires_at) VALUES (@AppKey, @Signature, @ExpiresAt) ON CONFLICT (app_key, signature) DO NOTHING",
                new { AppKey = appKey, Signature = signature, ExpiresAt = (seconds * 1000) + 2 * (long)TimestampWindow.TotalMilliseconds });
        });
        return spent == 1 ? new VerifiedApp(app!.AppKey, app.DomainId) : throw new BinderyException(Errors.AppSignatureInvalid);
    }

    /// <summary>The signature of a request body as the official clients compute it (docs/tencent-api.md).</summary>
    public static string Sign(string appSecret, JsonElement body)
    {
        var pairs = body.EnumerateObject()
            .Where(p => p.Name != "Signature")
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + ValueText(p.Value));
        // HMAC-SHA1 is what every official Tencent client signs with; HMAC (unlike a bare SHA-1) is not weakened by
        // SHA-1's collisions, and the protocol leaves no choice.
#pragma warning disable CA5350
        var hash = HMACSHA1.HashData(Encoding.UTF8.GetBytes(appSecret), Encoding.UTF8.GetBytes(string.Join('&', pairs)));
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }

    /// <summary>A value as JavaScript's template string renders it: text as is, numbers and booleans as written.</summary>
    private static string ValueText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null => "null",
        _ => value.GetRawText(),
    };

    /// <summary>The request's AppKey, read exactly as <see cref="VerifyAsync"/> reads it.</summary>
    public static string? AppKeyOf(JsonElement body) => Text(body, "AppKey");

    private static string? Text(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? (value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText())
            : null;
}
