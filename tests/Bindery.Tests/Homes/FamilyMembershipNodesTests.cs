using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.MultiNode;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>
/// Membership across two nodes on one PostgreSQL: an invitation made on one node is accepted on the other, a removal
/// on one node refuses the ex-member on the other at once, and a share token raced for through both nodes is used once.
/// </summary>
[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed class FamilyMembershipNodesTests(TwoNodes nodes)
{
    private const string Password = "correct horse battery staple";

    private sealed record NodeUser(HttpClient Client, string Uid, string Token) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }

    private static async Task<NodeUser> UserAsync(ServerProcess node, string domain, string username)
    {
        using var anonymous = node.CreateClient();
        await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/register", new { userDomain = domain, username, password = Password });
        var login = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = domain, username, password = Password });
        var token = login.GetProperty("accessToken").GetProperty("token").GetString()!;
        var client = node.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        return new NodeUser(client, login.GetProperty("uid").GetString()!, token);
    }

    private static async Task<JsonElement> SendAsync(NodeUser user, HttpMethod method, string url)
    {
        using var request = new HttpRequestMessage(method, Family.Api + url);
        return await (await user.Client.SendAsync(request)).ReadEnvelopeAsync();
    }

    private static async Task<JsonElement> TencentAsync(ServerProcess node, NodeUser user, string action, Dictionary<string, object?> parameters)
    {
        using var http = node.CreateClient();
        parameters["Action"] = action;
        parameters["AccessToken"] = user.Token;
        parameters["RequestId"] = Guid.NewGuid().ToString();
        var response = await http.PostAsJsonAsync("/api/exploreropen/tokenapi", parameters);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("Response");
    }

    [SkippableFact]
    public async Task An_invitation_and_a_removal_take_effect_on_the_other_node_at_once()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var domain = await nodes.SeedUserDomainAsync();
        using var ownerOnA = await UserAsync(nodes.NodeA, domain, "owner");
        using var memberOnB = await UserAsync(nodes.NodeB, domain, "member");
        var fid = (await Tenant.PostOkAsync(ownerOnA.Client, Family.Api + "addFamily", new { familyName = "Home" })).GetProperty("fid").GetString()!;

        var invalidTime = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        Assert.Equal(200, (await SendAsync(ownerOnA, HttpMethod.Post, $"inviteFamilyMember?fid={fid}&uid={memberOnB.Uid}&memberRole=3&invalidTime={invalidTime}")).Code());
        Assert.Equal(200, (await SendAsync(memberOnB, HttpMethod.Post, $"familyMemberInviteHandle?fid={fid}&decide=1")).Code());
        Assert.Equal(200, (await SendAsync(memberOnB, HttpMethod.Get, $"getFamilyDeviceList?fid={fid}")).Code());

        Assert.Equal(200, (await SendAsync(ownerOnA, HttpMethod.Delete, $"deleteFamilyMember?fid={fid}&memberUid={memberOnB.Uid}")).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await SendAsync(memberOnB, HttpMethod.Get, $"getFamilyDeviceList?fid={fid}")).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await SendAsync(memberOnB, HttpMethod.Get, $"getFamilyRoomList?fid={fid}")).Code());
    }

    [SkippableFact]
    public async Task A_share_token_raced_for_through_both_nodes_is_used_once()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var domain = await nodes.SeedUserDomainAsync();
        using var owner = await UserAsync(nodes.NodeA, domain, "host");
        var fid = (await Tenant.PostOkAsync(owner.Client, Family.Api + "addFamily", new { familyName = "Home" })).GetProperty("fid").GetString()!;
        var created = await TencentAsync(nodes.NodeA, owner, "AppCreateShareFamilyToken", new() { ["FamilyId"] = fid });
        var token = created.GetProperty("Data").GetProperty("ShareToken").GetString();

        var racers = new List<NodeUser>();
        for (var i = 0; i < 8; i++)
        {
            racers.Add(await UserAsync(nodes.Node(i), domain, $"racer{i}"));
        }
        var answers = await Task.WhenAll(racers.Select((r, i) => TencentAsync(nodes.Node(i), r, "AppJoinFamily", new() { ["ShareToken"] = token })));
        Assert.Single(answers, a => !a.TryGetProperty("Error", out _));
        Assert.All(answers.Where(a => a.TryGetProperty("Error", out _)),
            a => Assert.Equal(Errors.FamilyInviteInvalid.TencentCode, a.GetProperty("Error").GetProperty("Code").GetString()));
        var list = (await SendAsync(owner, HttpMethod.Get, $"getFamilyMemberList?fid={fid}")).Data().GetProperty("list");
        Assert.Equal(2, list.GetArrayLength());
        foreach (var racer in racers)
        {
            racer.Dispose();
        }
    }
}
