using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.StandIn;

/// <summary>
/// A server in stand-in mode with a home-mode user domain, for the faults and journal tests (one per test class;
/// each test clears the rules and the journal first, through the API).
/// </summary>
public class StandInTrafficFixture : IAsyncLifetime
{
    public const string Key = "test-stand-in-key-0123456789";

    public StandInTrafficFixture()
        : this(null)
    {
    }

    protected StandInTrafficFixture(IDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Bindery:StandIn:Enabled"] = "true",
            ["Bindery:StandIn:Key"] = Key,
            ["Bindery:StandIn:PrintAddress"] = "false",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            all[name] = value;
        }
        App = new BinderyApp(all);
    }

    public BinderyApp App { get; }

    /// <summary>A home-mode user domain (the Tencent-style API's families).</summary>
    public Tenant Tenant { get; private set; } = null!;

    /// <summary>A user domain without home mode (the /v2 binds need no family).</summary>
    public Tenant Plain { get; private set; } = null!;

    /// <summary>A client of the stand-in API (sends <c>X-StandIn-Key</c>).</summary>
    public HttpClient StandIn { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Tenant = await Tenant.CreateAsync(App, homeMode: true);
        Plain = await Tenant.CreateAsync(App, homeMode: false);
        StandIn = App.CreateClient();
        StandIn.DefaultRequestHeaders.Add("X-StandIn-Key", Key);
    }

    public Task DisposeAsync()
    {
        StandIn.Dispose();
        App.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Clears the fault rules and the journal.</summary>
    public async Task ResetAsync()
    {
        (await StandIn.DeleteAsync("/stand-in/v1/faults")).EnsureSuccessStatusCode();
        (await StandIn.DeleteAsync("/stand-in/v1/journal")).EnsureSuccessStatusCode();
    }

    /// <summary>POST /stand-in/v1/faults; asserts 201 and returns the rule as listed.</summary>
    public async Task<JsonElement> AddFaultAsync(object rule)
    {
        var response = await StandIn.PostAsJsonAsync("/stand-in/v1/faults", rule);
        var envelope = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"adding {JsonSerializer.Serialize(rule)} answered {(int)response.StatusCode} {envelope}");
        return envelope.GetProperty("data");
    }

    public async Task<JsonElement[]> FaultsAsync()
    {
        var envelope = await StandIn.GetFromJsonAsync<JsonElement>("/stand-in/v1/faults");
        return [.. envelope.GetProperty("data").EnumerateArray()];
    }

    /// <summary>GET /stand-in/v1/journal?{query}: the entries, oldest first.</summary>
    public async Task<JsonElement[]> JournalAsync(string query = "")
    {
        var envelope = await StandIn.GetFromJsonAsync<JsonElement>("/stand-in/v1/journal" + (query.Length > 0 ? "?" + query : ""));
        Assert.Equal(200, envelope.GetProperty("code").GetInt32());
        return [.. envelope.GetProperty("data").GetProperty("entries").EnumerateArray()];
    }

    /// <summary>The raw text of the whole journal, as a test that greps it for secrets reads it.</summary>
    public Task<string> JournalDumpAsync() => StandIn.GetStringAsync("/stand-in/v1/journal");
}
