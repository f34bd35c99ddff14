using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Bindery.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Accounts;

/// <summary>One in-memory server shared by the tests of a class (xunit class fixture).</summary>
public sealed class SharedApp() : BinderyApp(FastHashing())
{
    /// <summary>
    /// Settings for account and family test servers: cheap password hashing (the hash format and every rule are
    /// the same; only the PBKDF2 iteration count is lower), so each test's handful of logins costs milliseconds.
    /// </summary>
    public static Dictionary<string, string?> FastHashing(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Bindery:Accounts:PasswordHashIterations"] = "1000" };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return settings;
    }
}

/// <summary>
/// Test data for the account and family tests. Users, families, rooms and members go through the HTTP API
/// (the same calls as <see cref="Tenant"/>); user domains, products, devices and bindings belong to the registry
/// and binding features, so these tests write those rows straight into the store and do not depend on them.
/// </summary>
public static class Seed
{
    public const string Password = "correct horse battery staple";

    public static async Task<string> UserDomainAsync(BinderyApp app, bool homeMode = true)
    {
        var id = "ud" + Secrets.NewId(14);
        await Db(app).WriteAsync(tx => tx.ExecuteAsync(
            "INSERT INTO user_domains (id, secret, home_mode, created_at) VALUES (@Id, @Secret, @HomeMode, 0)",
            new { Id = id, Secret = Secrets.RandomAlphanumeric(32), HomeMode = homeMode }));
        return id;
    }

    /// <summary>Registers and logs in through the API, like <see cref="Tenant.CreateUserAsync"/>.</summary>
    public static async Task<Tenant.User> UserAsync(BinderyApp app, string domain, string? username = null)
    {
        username ??= "user" + Guid.NewGuid().ToString("N")[..10];
        var anonymous = app.CreateClient();
        var registered = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/register", new { userDomain = domain, username, password = Password });
        var login = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = domain, username, password = Password });
        var token = login.GetProperty("accessToken").GetProperty("token").GetString()!;
        return new Tenant.User(registered.GetProperty("uid").GetString()!, username, Password, token, ClientWithToken(app, token));
    }

    public static HttpClient ClientWithToken(BinderyApp app, string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        return client;
    }

    /// <summary>A registered device bound by <paramref name="user"/> into family <paramref name="fid"/> (and room <paramref name="frid"/>).</summary>
    public static async Task<(string Pk, string Dk)> BoundDeviceAsync(BinderyApp app, Tenant.User user, string? fid, string? frid = null, string name = "Lamp", string method = "SN")
    {
        var pk = "p" + Secrets.NewId(10);
        var dk = DeviceKeys.ImeiFromBody("86" + Random.Shared.NextInt64(0, 999_999_999_999).ToString("D12"));
        await Db(app).WriteAsync(async tx =>
        {
            await tx.ExecuteAsync(
                """
                INSERT INTO products (pk, ps, name, logo_url, module_type, binding_mode, user_cap, methods, created_at)
                VALUES (@Pk, 'ps0123456789abcd', 'Test product', '', 'EC200U', 1, 5, 15, 0)
                """, new { Pk = pk });
            await tx.ExecuteAsync(
                """
                INSERT INTO devices (pk, dk, sn, device_secret, module_type, data_center, created_at)
                VALUES (@Pk, @Dk, @Sn, 'secret', 'EC200U', 'dc-test', 0)
                """, new { Pk = pk, Dk = dk, Sn = "SN" + dk });
            await BindAsync(tx, pk, dk, user, fid, frid, name, method, app.Clock.GetUtcNow());
        });
        return (pk, dk);
    }

    /// <summary>Another binding of an existing device, by another user (multi-user products).</summary>
    public static Task AlsoBoundByAsync(BinderyApp app, string pk, string dk, Tenant.User user, string? fid, string? frid = null) =>
        Db(app).WriteAsync(tx => BindAsync(tx, pk, dk, user, fid, frid, "Shared lamp", "SHARE", app.Clock.GetUtcNow()));

    /// <summary>A binding row as the server's clock dates it (so a test that advances the clock orders bindings).</summary>
    private static Task<int> BindAsync(DbTx tx, string pk, string dk, Tenant.User user, string? fid, string? frid, string name, string method, DateTimeOffset now) =>
        tx.ExecuteAsync(
            """
            INSERT INTO bindings (binding_id, pk, dk, user_id, is_exclusive, method, auth_key_hash, device_name, fid, frid, is_common, verified, bound_at)
            VALUES (@Id, @Pk, @Dk, @Uid, FALSE, @Method, 'x', @Name, @Fid, @Frid, FALSE, TRUE, @Now)
            """,
            new { Id = Secrets.NewId(), Pk = pk, Dk = dk, Uid = user.Uid, Method = method, Name = name, Fid = fid, Frid = frid, Now = now.ToUnixTimeMilliseconds() });

    public static IDatabase Db(BinderyApp app) => app.Services.GetRequiredService<IDatabase>();

    public static async Task<JsonElement> PostAsync(HttpClient client, string url, object body) =>
        await (await client.PostAsJsonAsync(url, body)).ReadEnvelopeAsync();

    public static async Task<JsonElement> PostRawAsync(HttpClient client, string url, string json) =>
        await (await client.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"))).ReadEnvelopeAsync();

    public static async Task<JsonElement> DeleteAsync(HttpClient client, string url) =>
        await (await client.DeleteAsync(url)).ReadEnvelopeAsync();

    public static async Task<JsonElement> PutAsync(HttpClient client, string url) =>
        await (await client.PutAsync(url, null)).ReadEnvelopeAsync();

    public static async Task<JsonElement> GetAsync(HttpClient client, string url) =>
        await (await client.GetAsync(url)).ReadEnvelopeAsync();

    public static async Task<JsonElement> GetOkAsync(HttpClient client, string url)
    {
        var envelope = await GetAsync(client, url);
        Assert.True(envelope.Code() == 200, $"GET {url} answered {envelope}");
        return envelope.Data();
    }

    public static string ExtMsg(this JsonElement envelope) => envelope.GetProperty("extMsg").GetString()!;

    public static string Msg(this JsonElement envelope) => envelope.GetProperty("msg").GetString()!;

    public static JsonElement[] Items(this JsonElement data) => data.GetProperty("list").EnumerateArray().ToArray();
}
