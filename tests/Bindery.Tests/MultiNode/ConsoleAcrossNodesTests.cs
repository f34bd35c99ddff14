using System.Net;
using System.Text.RegularExpressions;
using Bindery.AdminConsole;
using Bindery.Tests.Support;

namespace Bindery.Tests.MultiNode;

/// <summary>
/// The admin console behind a load balancer without sticky sessions (docs/console.md, "Several nodes"): a session
/// opened on one node is honoured by the other, a form rendered by one node is accepted by the other (the
/// antiforgery keys are in the database), and signing out on one node ends the session on both.
/// </summary>
[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed partial class ConsoleAcrossNodesTests(TwoNodes nodes)
{
    [SkippableFact]
    public async Task A_console_session_and_its_forms_work_across_nodes_and_end_everywhere_at_sign_out()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var cookies = new CookieContainer();
        using var a = Browser(nodes.NodeA.BaseUrl, cookies);
        using var b = Browser(nodes.NodeB.BaseUrl, cookies);

        var signIn = await PostFormAsync(a, "/console/signin", await TokenAsync(a, "/console/signin"), new() { ["AdminKey"] = BinderyApp.AdminKeyValue });
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/console/user-domains")).StatusCode);

        // A form node A rendered, posted to node B.
        var domainId = "xnode" + Bindery.Protocol.Secrets.NewId(8).ToLowerInvariant();
        var created = await PostFormAsync(b, "/console/user-domains", await TokenAsync(a, "/console/user-domains"), new() { ["Id"] = domainId });
        Assert.True(created.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.OK, $"HTTP {(int)created.StatusCode}");
        Assert.Contains(domainId, await a.GetStringAsync("/console/user-domains"), StringComparison.Ordinal);

        var signOut = await PostFormAsync(b, "/console/signout", await TokenAsync(b, "/console"), []);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        var after = await a.GetAsync("/console/user-domains");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/console/signin", after.Headers.Location?.OriginalString);
    }

    private static HttpClient Browser(string baseUrl, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = new Uri(baseUrl) };

    private static async Task<string> TokenAsync(HttpClient client, string path)
    {
        var match = TokenField().Match(await client.GetStringAsync(path));
        Assert.True(match.Success, $"{path} carries no antiforgery field");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    private static Task<HttpResponseMessage> PostFormAsync(HttpClient client, string path, string token, Dictionary<string, string> fields) =>
        client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>(fields) { [ConsoleSetup.AntiforgeryFieldName] = token }));

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
