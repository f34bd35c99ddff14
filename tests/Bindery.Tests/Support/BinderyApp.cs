using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bindery.Tests.Support;

/// <summary>
/// A Bindery server in memory on a fresh, empty store, with a known admin key and no demo tenant. The store is
/// the suite's (<see cref="TestStore"/>: SQLite by default, PostgreSQL with <c>BINDERY_TEST_STORE=postgres</c>).
/// Each instance is isolated; dispose it to delete its data.
/// </summary>
public class BinderyApp : WebApplicationFactory<Program>
{
    public const string AdminKeyValue = "test-admin-key-0123456789";

    private readonly Dictionary<string, string?> _settings;
    private readonly TestStorage _storage;

    public BinderyApp(IDictionary<string, string?>? settings = null)
    {
        _storage = TestStore.Create();
        _settings = _storage.Settings();
        _settings["Bindery:AdminKey"] = AdminKeyValue;
        _settings["Bindery:SeedDemo"] = "false";
        _settings["Bindery:DataCenter"] = "dc-test";
        _settings["Storage:Synchronous"] = "NORMAL";
        // Full-strength hashing is tested in the accounts tests; elsewhere it only slows the suite down.
        _settings["Bindery:Accounts:PasswordHashIterations"] = "1000";
        _settings["Bindery:Accounts:RegistrationsPerUserDomain"] = "10000000";
        // Race and lifecycle tests bind by SN thousands of times in one domain; the SN limits have tests of their own.
        _settings["Binding:SnAttemptsPerUser"] = "10000000";
        _settings["Binding:SnFailuresPerProduct"] = "10000000";
        _settings["Binding:SnFailuresPerUserDomain"] = "10000000";
        _settings["Logging:LogLevel:Default"] = "Warning";
        // The embedded MQTT broker stays off unless a test asks for it (on a port of its own: Mqtt:Port 0).
        _settings["Mqtt:Enabled"] = "false";
        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                _settings[key] = value;
            }
        }
    }

    public string DataDir => _storage.DataDir;

    /// <summary><c>sqlite</c> or <c>postgres</c>: the store this server runs on.</summary>
    public string StoreProvider => _storage.Provider;

    /// <summary>The server's clock: real time, which a test may push forward to expire codes and tokens.</summary>
    public ShiftableClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock)));
    }

    /// <summary>A client that sends the admin key.</summary>
    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Admin-Key", AdminKeyValue);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _storage.Dispose();
        }
    }
}

public static class EnvelopeAssertions
{
    /// <summary>Reads a Quectel-style envelope and returns it as a JSON element.</summary>
    public static async Task<JsonElement> ReadEnvelopeAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.TryGetProperty("code", out _), $"not an envelope: {body}");
        return body;
    }

    public static int Code(this JsonElement envelope) => envelope.GetProperty("code").GetInt32();

    public static JsonElement Data(this JsonElement envelope) => envelope.GetProperty("data");
}
