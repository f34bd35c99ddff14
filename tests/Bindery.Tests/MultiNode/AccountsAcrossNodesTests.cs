using System.Net.Http.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.MultiNode;

/// <summary>
/// Account rules hold when requests for one user land on different nodes: nothing that decides them lives in a
/// node's memory.
/// </summary>
[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed class AccountsAcrossNodesTests(TwoNodes nodes)
{
    private const string Password = "correct horse battery staple";

    [SkippableFact]
    public async Task The_same_username_registered_through_both_nodes_at_once_exists_once()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var domain = await nodes.SeedUserDomainAsync();

        for (var round = 0; round < 10; round++)
        {
            var username = $"racer{round}";
            var codes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => PostAsync(nodes.Node(i), "/v2/enduser/enduserapi/register",
                new { userDomain = domain, username, password = Password })));

            Assert.Equal(1, codes.Count(c => c == 200));
            Assert.All(codes.Where(c => c != 200), c => Assert.Equal(Errors.UsernameTaken.Code, c));
        }
    }

    [SkippableFact]
    public async Task Wrong_passwords_spread_over_both_nodes_meet_one_guess_limit()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var domain = await nodes.SeedUserDomainAsync();
        Assert.Equal(200, await PostAsync(nodes.NodeA, "/v2/enduser/enduserapi/register", new { userDomain = domain, username = "target", password = Password }));

        var codes = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => PostAsync(nodes.Node(i), "/v2/enduser/enduserapi/login",
            new { userDomain = domain, username = "target", password = "wrong password " + i })));

        // The limit is 5 failed attempts per user; every attempt beyond it is refused without being checked.
        Assert.Equal(5, codes.Count(c => c == Errors.LoginFailed.Code));
        Assert.Equal(19, codes.Count(c => c == Errors.TooManyAttempts.Code));
        Assert.Equal(Errors.TooManyAttempts.Code, await PostAsync(nodes.NodeB, "/v2/enduser/enduserapi/login",
            new { userDomain = domain, username = "target", password = Password }));
    }

    [SkippableFact]
    public async Task A_session_opened_on_one_node_works_on_the_other_and_ends_everywhere_at_logout()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var domain = await nodes.SeedUserDomainAsync();
        await PostAsync(nodes.NodeA, "/v2/enduser/enduserapi/register", new { userDomain = domain, username = "roamer", password = Password });
        using var anonymous = nodes.NodeA.CreateClient();
        var login = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = domain, username = "roamer", password = Password });
        var token = login.GetProperty("accessToken").GetProperty("token").GetString()!;
        using var onA = Authorized(nodes.NodeA, token);
        using var onB = Authorized(nodes.NodeB, token);

        Assert.Equal(200, (await (await onB.GetAsync("/v2/enduser/enduserapi/userInfo")).ReadEnvelopeAsync()).Code());

        Assert.Equal(200, (await (await onB.DeleteAsync("/v2/enduser/enduserapi/userLogout")).ReadEnvelopeAsync()).Code());

        Assert.Equal(Errors.TokenVerificationFailed.Code, (await (await onA.GetAsync("/v2/enduser/enduserapi/userInfo")).ReadEnvelopeAsync()).Code());
    }

    private static HttpClient Authorized(ServerProcess node, string token)
    {
        var client = node.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        return client;
    }

    private static async Task<int> PostAsync(ServerProcess node, string url, object body)
    {
        using var client = node.CreateClient();
        using var response = await client.PostAsJsonAsync(url, body);
        return (await response.ReadEnvelopeAsync()).Code();
    }
}
