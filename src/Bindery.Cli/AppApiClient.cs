using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Protocol;

namespace Bindery.Cli;

/// <summary>The few app-side calls the simulator makes for convenience: logging a user in.</summary>
public sealed class AppApiClient(HttpClient http)
{
    public const string LoginPath = "/v2/enduser/enduserapi/login";

    public sealed record Session(string Uid, string Token, long ExpirationTime);

    /// <summary>POST /v2/enduser/enduserapi/login {userDomain, username, password} → {uid, accessToken {token, expirationTime}}.</summary>
    public async Task<Session> LoginAsync(string userDomain, string username, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, LoginPath)
        {
            Content = JsonContent.Create(new { userDomain, username, password }),
        };
        var data = await ApiEnvelope.SendAsync(http, request, "login");
        var token = data.GetProperty("accessToken");
        return new Session(data.GetProperty("uid").GetString()!, token.GetProperty("token").GetString()!, token.GetProperty("expirationTime").GetInt64());
    }
}
