using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Webhooks;

/// <summary>The admin API of webhooks (docs/admin-api.md, "Webhooks"), as the tests call it.</summary>
public static class WebhookApi
{
    public const string Base = "/admin/v1/webhooks";

    /// <summary>Settings that make retries and polling fast enough for a test, and let the loopback receiver in.</summary>
    public static Dictionary<string, string?> FastSettings(int maxAttempts = 4) => new()
    {
        ["Webhooks:AllowPrivateNetworks"] = "true",
        ["Webhooks:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Webhooks:RetryBaseDelay"] = "00:00:00.200",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.800",
        ["Webhooks:RequestTimeout"] = "00:00:02",
        ["Webhooks:PollInterval"] = "00:00:00.100",
        ["Webhooks:FanOutSettle"] = "00:00:00.300",
    };

    public static async Task<JsonElement> PostAsync(HttpClient admin, string url, object? body) =>
        await (await admin.PostAsJsonAsync(url, body)).ReadEnvelopeAsync();

    /// <summary>POST /admin/v1/webhooks → data {webhook {id, url, userDomain, pk, kinds, enabled, …}, secret}, asserting success.</summary>
    public static async Task<(string Id, string Secret)> RegisterAsync(HttpClient admin, string url, string? pk = null, string? userDomain = null, string[]? kinds = null)
    {
        var envelope = await PostAsync(admin, Base, new { url, pk, userDomain, kinds });
        Assert.True(envelope.Code() == 200, envelope.ToString());
        return (envelope.Data().GetProperty("webhook").GetProperty("id").GetString()!, envelope.Data().GetProperty("secret").GetString()!);
    }

    public static async Task<JsonElement> DeliveriesAsync(HttpClient admin, string id, string? state = null) =>
        await (await admin.GetAsync($"{Base}/{id}/deliveries" + (state is null ? "" : $"?state={state}"))).ReadEnvelopeAsync();

    /// <summary>Waits until the endpoint has <paramref name="count"/> deliveries in <paramref name="state"/>; returns them.</summary>
    public static async Task<List<JsonElement>> WaitForDeliveriesAsync(HttpClient admin, string id, string state, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        List<JsonElement> items = [];
        while (DateTime.UtcNow < deadline)
        {
            items = (await DeliveriesAsync(admin, id, state)).Data().GetProperty("items").EnumerateArray().ToList();
            if (items.Count >= count)
            {
                return items;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"{items.Count} deliveries are {state}, not {count}");
        return items;
    }
}
