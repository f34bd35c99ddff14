using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Protocol;

namespace Bindery.Cli;

/// <summary>The stand-in API (<c>/stand-in/v1</c>, header <c>X-StandIn-Key</c>) as the fault and journal commands call it.</summary>
public sealed class StandInApiClient(HttpClient http, string key)
{
    public const string KeyHeader = "X-StandIn-Key";
    public const string KeyVariable = "BINDERY_STANDIN_KEY";

    public Task<JsonElement> GetAsync(string path, string what) => SendAsync(HttpMethod.Get, path, null, what);

    public Task<JsonElement> DeleteAsync(string path, string what) => SendAsync(HttpMethod.Delete, path, null, what);

    public Task<JsonElement> PostAsync(string path, object body, string what) => SendAsync(HttpMethod.Post, path, body, what);

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, string what)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add(KeyHeader, key);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return await ApiEnvelope.SendAsync(http, request, what);
    }
}
