using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Audit;

/// <summary>A server with low guess limits, so a test reaches each lock-out in a few attempts.</summary>
public sealed class AuditFixture() : BindingFixture(new Dictionary<string, string?>
{
    ["Binding:FailuresPerCode"] = "2",
    ["Binding:FailuresPerUser"] = "3",
    ["Sharing:FailuresPerUser"] = "2",
    ["Sharing:FailuresPerUserDomain"] = "3",
    ["Families:GuessesPerUser"] = "2",
});

/// <summary>One answer of the audit API: the envelope, its raw text (to search for secrets) and the HTTP status.</summary>
public sealed record AuditAnswer(JsonElement Envelope, string Raw, HttpStatusCode Status)
{
    public int Code => Envelope.GetProperty("code").GetInt32();

    public JsonElement[] List => Envelope.GetProperty("data").GetProperty("list").EnumerateArray().ToArray();

    /// <summary>One field of every entry, in order (null as "").</summary>
    public string[] Field(string name) => List.Select(e => e.Text(name) ?? "").ToArray();

    public string? NextCursor => Envelope.GetProperty("data").GetProperty("nextCursor").GetString();

    /// <summary>Asserts that none of <paramref name="secrets"/> appears anywhere in the answer.</summary>
    public void AssertHoldsNone(params string?[] secrets)
    {
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)))
        {
            Assert.DoesNotContain(secret!, Raw, StringComparison.Ordinal);
        }
    }
}

/// <summary>The admin side of <c>/admin/v1/audit</c>.</summary>
public static class AuditApi
{
    public static Task<AuditAnswer> EventsAsync(BinderyApp app, params (string Name, object? Value)[] query) =>
        GetAsync(app.CreateAdminClient(), "/admin/v1/audit/events", query);

    public static Task<AuditAnswer> RefusalsAsync(BinderyApp app, params (string Name, object? Value)[] query) =>
        GetAsync(app.CreateAdminClient(), "/admin/v1/audit/refusals", query);

    public static async Task<AuditAnswer> GetAsync(HttpClient client, string path, params (string Name, object? Value)[] query)
    {
        var response = await client.GetAsync(query.Length == 0 ? path : $"{path}?{BindingApi.Query(query)}");
        var raw = await response.Content.ReadAsStringAsync();
        return new AuditAnswer(JsonDocument.Parse(raw).RootElement.Clone(), raw, response.StatusCode);
    }

    public static async Task<AuditAnswer> OkAsync(Task<AuditAnswer> call)
    {
        var answer = await call;
        Assert.True(answer.Code == 200 && answer.Status == HttpStatusCode.OK, answer.Raw);
        return answer;
    }

    public static string? Text(this JsonElement e, string name) =>
        e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();

    /// <summary>An event as (kind, userId, method, actor type, actor id).</summary>
    public static (string?, string?, string?, string?, string?) Summary(JsonElement e) =>
        (e.Text("kind"), e.Text("userId"), e.Text("method"), e.GetProperty("actor").Text("type"), e.GetProperty("actor").Text("id"));

    /// <summary>A refusal as (reason, subject, proof, userId, pk, dk).</summary>
    public static (string?, string?, string?, string?, string?, string?) Refusal(JsonElement e) =>
        (e.Text("reason"), e.Text("subject"), e.Text("proof"), e.Text("userId"), e.Text("pk"), e.Text("dk"));

    public static string Ms(long ms) => ms.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Counts what one server's <c>Bindery</c> meter records on one instrument (by tag), ignoring every other server of
/// the test run: instruments are told apart by the meter factory of <paramref name="app"/>.
/// </summary>
public sealed class InstrumentProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public InstrumentProbe(BinderyApp app, string instrument, string tag)
    {
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (i, listener) =>
        {
            if (i.Name == instrument && ReferenceEquals(i.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == tag)
                {
                    lock (_gate)
                    {
                        var key = Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "";
                        _counts[key] = _counts.GetValueOrDefault(key) + value;
                    }
                }
            }
        });
        _listener.Start();
    }

    public long this[string tagValue]
    {
        get
        {
            lock (_gate)
            {
                return _counts.GetValueOrDefault(tagValue);
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
