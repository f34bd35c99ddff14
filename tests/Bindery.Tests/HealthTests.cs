using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests;

public sealed class HealthTests : IDisposable
{
    private readonly BinderyApp _app = new();

    [Fact]
    public async Task Readyz_reports_the_store_once_migrations_ran()
    {
        var response = await _app.CreateClient().GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(TestStore.Provider, body.GetProperty("store").GetString());
    }

    [Fact]
    public async Task Unknown_route_answers_with_an_envelope_not_an_empty_404()
    {
        var response = await _app.CreateClient().GetAsync("/v2/no/such/thing");
        var envelope = await response.ReadEnvelopeAsync();
        Assert.Equal(9003, envelope.Code());
    }

    [Fact]
    public async Task OpenApi_document_is_served()
    {
        var response = await _app.CreateClient().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.TryGetProperty("openapi", out _));
    }

    public void Dispose() => _app.Dispose();
}
