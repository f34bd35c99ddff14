using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Tests.Support;
using Dapper;

namespace Bindery.Tests.MultiNode;

/// <summary>
/// A Tencent-style bind token is single use on the whole cluster: the app fires the same bind through both nodes
/// at once (a retrying app, a replayed request) and exactly one consumes the token.
/// </summary>
[Trait("Store", "PostgresOnly")]
[Collection(TwoNodes.Collection)]
public sealed class TokenRacesAcrossNodesTests(TwoNodes nodes)
{
    private const string TokenApi = "/api/exploreropen/tokenapi";

    [SkippableFact]
    public async Task One_bind_token_presented_twenty_times_through_both_nodes_at_once_binds_once()
    {
        PostgresCluster.SkipUnlessAvailable();
        await nodes.StartAsync();
        var tenant = await ClusterTenant.CreateAsync(nodes, homeMode: true);
        var user = (await tenant.CreateUsersAsync(1))[0];
        var fid = (await Tenant.PostOkAsync(user.Client, "/v2/family/enduserapi/addFamily", new { familyName = "Home" })).GetProperty("fid").GetString()!;
        var pk = await tenant.CreateProductAsync(bindingMode: 1, methods: ["TOKEN"], userCap: 100);
        using var onA = Authorized(nodes.NodeA, user.Token);
        using var onB = Authorized(nodes.NodeB, user.Token);
        await using var db = await nodes.OpenDatabaseAsync();

        for (var round = 0; round < 10; round++)
        {
            var device = await tenant.CreateDeviceAsync(pk);
            var token = (await ActionOkAsync(round % 2 == 0 ? onA : onB, new { Action = "AppCreateDeviceBindToken", AccessToken = user.Token }))
                .GetProperty("Token").GetString()!;
            using var deviceHttp = nodes.Node(round + 1).CreateClient();
            await new DeviceClient(deviceHttp, device).OkAsync(HttpMethod.Post, "/device/v1/bind-token", new { token });

            using var start = new SemaphoreSlim(0);
            var attempts = Enumerable.Range(0, 20).Select(async i =>
            {
                await start.WaitAsync();
                return await ActionAsync(i % 2 == 0 ? onA : onB, new
                {
                    Action = "AppTokenBindDeviceFamily", AccessToken = user.Token, Token = token,
                    ProductId = device.Pk, DeviceName = device.Dk, FamilyId = fid, RoomId = "0",
                });
            }).ToList();
            start.Release(attempts.Count);
            var answers = await Task.WhenAll(attempts);

            // The same user presenting the same token for the same device and family is a client retrying: once the
            // token has bound, a retry answers success too (docs/tencent-api.md). What must hold is that it bound once:
            // at least one success, every other answer a refusal that binds nothing, one binding, one `bound` event.
            Assert.True(answers.Any(a => !a.TryGetProperty("Error", out _)), string.Join('\n', answers));
            Assert.All(answers.Where(a => a.TryGetProperty("Error", out _)), a => Assert.Contains(
                a.GetProperty("Error").GetProperty("Code").GetString(),
                new[] { "InvalidParameterValue.TokenNotExist", "UnsupportedOperation.CannotBindSameFamily" }));
            Assert.Equal(1, await db.ReadAsync(c => c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM bindings WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk })));
            Assert.Equal(1, await db.ReadAsync(c => c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM binding_events WHERE pk = @Pk AND dk = @Dk AND kind = 'bound'", new { device.Pk, device.Dk })));
        }
    }

    private static HttpClient Authorized(ServerProcess node, string token)
    {
        var client = node.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        return client;
    }

    /// <summary>Posts an action and returns the envelope's <c>Response</c>.</summary>
    private static async Task<JsonElement> ActionAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync(TokenApi, body);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("Response");
    }

    private static async Task<JsonElement> ActionOkAsync(HttpClient client, object body)
    {
        var answer = await ActionAsync(client, body);
        Assert.False(answer.TryGetProperty("Error", out _), answer.ToString());
        return answer.GetProperty("Data");
    }
}
