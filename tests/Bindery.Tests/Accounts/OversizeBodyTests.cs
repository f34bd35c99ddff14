using System.Net;
using System.Net.Http.Json;
using Bindery.Tests.Support;

namespace Bindery.Tests.Accounts;

/// <summary>
/// The body limit is Kestrel's (Bindery:MaxRequestBodyBytes), which the in-memory test server does not enforce,
/// so this class runs the app on real Kestrel on a free local port.
/// </summary>
public sealed class OversizeBodyTests : IDisposable
{
    private readonly BinderyApp _app = new(SharedApp.FastHashing(new() { ["urls"] = "http://127.0.0.1:0" }));

    public OversizeBodyTests()
    {
        _app.UseKestrel(0);
        _app.StartServer();
    }

    [Fact]
    public async Task Bodies_over_the_limit_are_refused_with_413_on_every_account_and_family_endpoint()
    {
        var user = await Seed.UserAsync(_app, await Seed.UserDomainAsync(_app));
        var oversize = new { userDomain = "x", username = "someone", familyName = "Home", password = new string('p', 200_000) };
        foreach (var (client, url) in new[]
        {
            (_app.CreateClient(), "/v2/enduser/enduserapi/register"),
            (_app.CreateClient(), "/v2/enduser/enduserapi/login"),
            (user.Client, "/v2/family/enduserapi/addFamily"),
        })
        {
            var response = await client.PostAsJsonAsync(url, oversize);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            // Kestrel may drop the envelope of a rejected body; when it is there it must say 9002.
            Assert.True(body.Length == 0 || body.Contains("\"code\":9002", StringComparison.Ordinal), body);
        }
    }

    public void Dispose() => _app.Dispose();
}
