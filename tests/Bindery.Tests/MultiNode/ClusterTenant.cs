using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Registry;
using Bindery.Tests.Support;

namespace Bindery.Tests.MultiNode;

/// <summary>
/// <see cref="Tenant"/> for a cluster of real server processes: a user domain, products, devices and users made
/// through the admin and account APIs, alternating between the nodes. Each user is pinned to one node, as a
/// load balancer with sticky-free round robin would spread them.
/// </summary>
public sealed class ClusterTenant
{
    private static long _deviceCounter = Random.Shared.NextInt64(1_000_000, 9_000_000) * 1000;
    private readonly TwoNodes _nodes;

    private ClusterTenant(TwoNodes nodes, string domainId)
    {
        _nodes = nodes;
        DomainId = domainId;
    }

    public string DomainId { get; }

    /// <summary>An app user and the node their requests go to.</summary>
    public sealed record User(string Uid, string Token, ServerProcess Node, HttpClient Client);

    public static async Task<ClusterTenant> CreateAsync(TwoNodes nodes, bool homeMode = false)
    {
        using var admin = nodes.NodeA.CreateAdminClient(BinderyApp.AdminKeyValue);
        var domain = await Tenant.PostOkAsync(admin, "/admin/v1/user-domains", new { homeMode });
        return new ClusterTenant(nodes, domain.GetProperty("id").GetString()!);
    }

    /// <summary>Through node B: POST /admin/v1/products → pk.</summary>
    public async Task<string> CreateProductAsync(int bindingMode, string[] methods, int userCap = 10)
    {
        using var admin = _nodes.NodeB.CreateAdminClient(BinderyApp.AdminKeyValue);
        var data = await Tenant.PostOkAsync(admin, "/admin/v1/products", new
        {
            name = $"Cluster product mode {bindingMode}",
            logoUrl = "https://example.invalid/logo.png",
            moduleType = "EC200U",
            bindingMode,
            userCap,
            methods,
            userDomains = new[] { DomainId },
        });
        return data.GetProperty("pk").GetString()!;
    }

    /// <summary>Through node A: POST /admin/v1/products/{pk}/devices.</summary>
    public async Task<Tenant.Device> CreateDeviceAsync(string pk)
    {
        var n = Interlocked.Increment(ref _deviceCounter);
        using var admin = _nodes.NodeA.CreateAdminClient(BinderyApp.AdminKeyValue);
        var data = await Tenant.PostOkAsync(admin, $"/admin/v1/products/{pk}/devices",
            new { dk = DeviceKeys.ImeiFromBody("86" + n.ToString("D12")), sn = "CL" + n.ToString("D12") });
        return new Tenant.Device(pk, data.GetProperty("dk").GetString()!, data.GetProperty("sn").GetString()!, data.GetProperty("deviceSecret").GetString()!);
    }

    /// <summary>Registers and logs in <paramref name="count"/> users; user i registers, logs in and stays on node i % 2.</summary>
    public async Task<List<User>> CreateUsersAsync(int count)
    {
        var users = new List<User>();
        for (var i = 0; i < count; i++)
        {
            var node = _nodes.Node(i);
            var username = "cl" + Guid.NewGuid().ToString("N")[..12];
            const string password = "correct horse battery staple";
            using var anonymous = node.CreateClient();
            var registered = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/register", new { userDomain = DomainId, username, password });
            var login = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = DomainId, username, password });
            var token = login.GetProperty("accessToken").GetProperty("token").GetString()!;
            var client = node.CreateClient();
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
            users.Add(new User(registered.GetProperty("uid").GetString()!, token, node, client));
        }
        return users;
    }

    /// <summary>
    /// Sends one request per user, all released at the same moment, and returns each envelope's code.
    /// </summary>
    public static async Task<int[]> RaceAsync(IReadOnlyList<User> users, Func<User, Task<HttpResponseMessage>> send)
    {
        using var start = new SemaphoreSlim(0);
        var attempts = users.Select(async user =>
        {
            await start.WaitAsync();
            using var response = await send(user);
            var envelope = await response.Content.ReadFromJsonAsync<JsonElement>();
            return envelope.GetProperty("code").GetInt32();
        }).ToList();
        start.Release(users.Count);
        return await Task.WhenAll(attempts);
    }
}
