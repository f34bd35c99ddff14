using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Bindery.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Registry;

/// <summary>One in-memory server shared by the tests of a class.</summary>
public sealed class RegistryApp : BinderyApp
{
    public RegistryApp()
        : base(null)
    {
    }
}

/// <summary>
/// A server on real Kestrel (loopback, random port): the in-memory test server enforces no request body
/// limit, so the size-limit tests need the real one.
/// </summary>
public sealed class KestrelRegistryApp : BinderyApp
{
    public const long ImportLimitBytes = 1024 * 1024;

    public KestrelRegistryApp()
        : base(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Bindery:Import:MaxBodyBytes"] = ImportLimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
    {
        UseKestrel(0);
        StartServer();
    }
}

public sealed record AdminAnswer(HttpStatusCode Status, JsonElement Envelope)
{
    public int Code => Envelope.GetProperty("code").GetInt32();

    public JsonElement Data => Envelope.GetProperty("data");

    public string ExtMsg => Envelope.GetProperty("extMsg").GetString()!;

    public override string ToString() => $"HTTP {(int)Status} {Envelope}";
}

public static class AdminHttp
{
    /// <summary>
    /// An admin client that sends request bodies as they are written. The default test client follows redirects,
    /// and to replay a body on a redirect it first buffers the whole body, which would hide streaming.
    /// </summary>
    public static HttpClient CreateStreamingAdminClient(this BinderyApp app)
    {
        using var probe = app.CreateClient();
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            BaseAddress = probe.BaseAddress!,
        });
        client.DefaultRequestHeaders.Add("X-Admin-Key", BinderyApp.AdminKeyValue);
        return client;
    }

    public static async Task<AdminAnswer> SendAsync(this HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return await ReadAsync(await client.SendAsync(request));
    }

    public static async Task<AdminAnswer> SendRawAsync(this HttpClient client, HttpMethod method, string url, string content, string mediaType = "application/json")
    {
        using var request = new HttpRequestMessage(method, url) { Content = new StringContent(content, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
        return await ReadAsync(await client.SendAsync(request));
    }

    public static Task<AdminAnswer> GetAnswerAsync(this HttpClient client, string url) => client.SendAsync(HttpMethod.Get, url);

    public static async Task<AdminAnswer> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrEmpty(text), $"HTTP {(int)response.StatusCode} with an empty body");
        var envelope = JsonSerializer.Deserialize<JsonElement>(text);
        Assert.True(envelope.TryGetProperty("code", out _), $"not an envelope: {text}");
        return new AdminAnswer(response.StatusCode, envelope);
    }

    public static void AssertOk(this AdminAnswer answer) =>
        Assert.True(answer.Status == HttpStatusCode.OK && answer.Code == 200, answer.ToString());

    public static void AssertError(this AdminAnswer answer, ErrorDef error, HttpStatusCode status, string? extMsgContains = null)
    {
        Assert.True(answer.Code == error.Code && answer.Status == status, $"expected {error.Code}/{(int)status}, got {answer}");
        Assert.Equal(JsonValueKind.Null, answer.Data.ValueKind);
        if (extMsgContains is not null)
        {
            Assert.Contains(extMsgContains, answer.ExtMsg, StringComparison.Ordinal);
        }
    }
}

/// <summary>
/// Rows that other features create through their own APIs (users, bindings). Writing them directly keeps the
/// registry tests about the registry: what it refuses or cleans up when such rows exist.
/// </summary>
public static class OtherFeaturesRows
{
    public static async Task<string> InsertUserAsync(BinderyApp app, string domainId)
    {
        var id = Secrets.NewId();
        var db = app.Services.GetRequiredService<IDatabase>();
        await db.WriteAsync(tx => tx.ExecuteAsync(
            "INSERT INTO users (id, domain_id, username, password_hash, created_at) VALUES (@Id, @DomainId, @Username, 'x', 0)",
            new { Id = id, DomainId = domainId, Username = "u" + id }));
        return id;
    }

    public static async Task InsertBindingAsync(BinderyApp app, string pk, string dk, string userId)
    {
        var db = app.Services.GetRequiredService<IDatabase>();
        await db.WriteAsync(tx => tx.ExecuteAsync(
            """
            INSERT INTO bindings (binding_id, pk, dk, user_id, is_exclusive, method, auth_key_hash, device_name, is_common, verified, bound_at)
            VALUES (@Id, @Pk, @Dk, @UserId, FALSE, 'SN', 'h', 'd', FALSE, TRUE, 0)
            """,
            new { Id = Secrets.NewId(), Pk = pk, Dk = dk, UserId = userId }));
    }

    public static Task<long> CountAsync(BinderyApp app, string sql, object param) =>
        app.Services.GetRequiredService<IDatabase>().ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<long>(c, sql, param));
}

/// <summary>A request body written while it is being sent, so huge imports need no client-side buffer.</summary>
public sealed class StreamedContent : HttpContent
{
    private readonly Func<Stream, Task> _write;

    public StreamedContent(string mediaType, Func<Stream, Task> write)
    {
        _write = write;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _write(stream);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
