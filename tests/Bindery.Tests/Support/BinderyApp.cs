using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bindery.Tests.Support;

/// <summary>
/// A Bindery server in memory on a fresh, empty SQLite data directory, with a known admin key and no demo
/// tenant. Each instance is isolated; dispose it to delete its data.
/// </summary>
public class BinderyApp : WebApplicationFactory<Program>
{
    public const string AdminKeyValue = "test-admin-key-0123456789";

    private readonly Dictionary<string, string?> _settings;

    public BinderyApp(IDictionary<string, string?>? settings = null)
    {
        DataDir = Path.Combine(Path.GetTempPath(), "bindery-test-" + Guid.NewGuid().ToString("N"));
        _settings = new Dictionary<string, string?>
        {
            ["Bindery:DataDir"] = DataDir,
            ["Bindery:AdminKey"] = AdminKeyValue,
            ["Bindery:SeedDemo"] = "false",
            ["Bindery:DataCenter"] = "dc-test",
            ["Storage:Synchronous"] = "NORMAL",
            // Full-strength hashing is tested in the accounts tests; elsewhere it only slows the suite down.
            ["Bindery:Accounts:PasswordHashIterations"] = "1000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                _settings[key] = value;
            }
        }
    }

    public string DataDir { get; }

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
            try
            {
                Directory.Delete(DataDir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by a pooled connection is cleaned up with the temp dir.
            }
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
