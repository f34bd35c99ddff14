using System.Net.Http.Json;
using Bindery.Registry;
using Bindery.TestSupport;
using Bindery.Tests.Support;
using Bindery.Webhooks;

namespace Bindery.Tests.Webhooks;

/// <summary>
/// Delivery goes on across a crash of the server in the middle of it: a real server process is killed (SIGKILL) while
/// the slow receiver is still getting the events, and restarted on the same store; the receiver then has every event,
/// in order per device. At least once: an event whose POST was in flight at the kill may come twice (same event id).
/// </summary>
public sealed class WebhookRestartTests : IDisposable
{
    private const int Devices = 4;
    private readonly TestStorage _storage = TestStore.Create();

    private Dictionary<string, string?> Settings()
    {
        var settings = _storage.ForServerProcess();
        foreach (var (key, value) in WebhookApi.FastSettings())
        {
            settings[key] = value;
        }
        // Short leases: a lease is 2 × the request timeout + 5 s, and the killed node's leases must run out. Not
        // shorter than 3 s: a fresh process's first POST compiles the whole HTTP client path, and an attempt that
        // times out after the receiver got it is one more legitimate duplicate (a retry), which this test would
        // mistake for more than the crash re-sends.
        settings["Webhooks:RequestTimeout"] = "00:00:03";
        return settings;
    }

    [Fact]
    public async Task Every_event_arrives_in_order_per_device_across_a_crash_in_the_middle_of_delivery()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        receiver.Delay = TimeSpan.FromMilliseconds(300);
        string webhookId;
        var firstOutput = "";
        var dks = new List<string>();
        await using (var server = await ServerProcess.StartAsync(Settings()))
        {
            using var admin = server.CreateAdminClient(BinderyApp.AdminKeyValue);
            var domain = (await Tenant.PostOkAsync(admin, "/admin/v1/user-domains", new { homeMode = false })).GetProperty("id").GetString()!;
            var pk = (await Tenant.PostOkAsync(admin, "/admin/v1/products", new
            {
                name = "Restart product", logoUrl = "https://example.invalid/logo.png", moduleType = "EC200U", bindingMode = 1, userCap = 5,
                methods = new[] { "SN" }, userDomains = new[] { domain },
            })).GetProperty("pk").GetString()!;
            var sns = new List<string>();
            for (var i = 0; i < Devices; i++)
            {
                var n = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999);
                var device = await Tenant.PostOkAsync(admin, $"/admin/v1/products/{pk}/devices",
                    new { dk = DeviceKeys.ImeiFromBody("86" + n.ToString("D12")), sn = "RS" + n.ToString("D12") });
                dks.Add(device.GetProperty("dk").GetString()!);
                sns.Add(device.GetProperty("sn").GetString()!);
            }
            using var anonymous = server.CreateClient();
            const string password = "correct horse battery staple";
            await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/register", new { userDomain = domain, username = "restarter", password });
            var login = await Tenant.PostOkAsync(anonymous, "/v2/enduser/enduserapi/login", new { userDomain = domain, username = "restarter", password });
            using var user = server.CreateClient();
            user.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", login.GetProperty("accessToken").GetProperty("token").GetString());
            (webhookId, _) = await WebhookApi.RegisterAsync(admin, receiver.Url, pk: pk);

            for (var i = 0; i < Devices; i++)
            {
                foreach (var request in new[]
                {
                    new HttpRequestMessage(HttpMethod.Post, $"/v2/binding/enduserapi/bindDeviceSn?pk={pk}&sn={sns[i]}"),
                    new HttpRequestMessage(HttpMethod.Delete, $"/v2/binding/enduserapi/unbundlingDeviceDk?pk={pk}&dk={dks[i]}"),
                    new HttpRequestMessage(HttpMethod.Post, $"/v2/binding/enduserapi/bindDeviceSn?pk={pk}&sn={sns[i]}"),
                })
                {
                    using var response = await user.SendAsync(request);
                    Assert.Equal(200, (await response.ReadEnvelopeAsync()).Code());
                }
            }

            // Crash once the receiver has some events but not all.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (receiver.Distinct().Count < 2 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            server.Kill();
            firstOutput = server.RecentOutput;
        }
        var beforeRestart = receiver.Distinct().Count;
        Assert.InRange(beforeRestart, 2, 3 * Devices - 1);

        await using var restarted = await ServerProcess.StartAsync(Settings());
        var received = await receiver.WaitForAsync(3 * Devices, TimeSpan.FromSeconds(90));
        foreach (var dk in dks)
        {
            Assert.Equal(["bound", "unbound", "bound"],
                received.Where(r => r.Json.GetProperty("dk").GetString() == dk).Select(r => r.Json.GetProperty("kind").GetString()));
        }
        // Duplicates only of the batch in flight at the kill (its cursor write never happened): each event at most twice.
        Assert.InRange(receiver.Requests.Count, 3 * Devices, 2 * 3 * Devices);
        var sentTooOften = receiver.Requests.GroupBy(r => r.EventId).Where(sent => sent.Count() > 2)
            .Select(sent => $"{sent.Key} (seq {sent.First().Json.GetProperty("seq")}) sent at {string.Join(", ", sent.Select(r => r.Timestamp))}").ToList();
        Assert.True(sentTooOften.Count == 0,
            $"sent more than twice: {string.Join("; ", sentTooOften)}\nfirst server:\n{firstOutput}\nrestarted server:\n{restarted.RecentOutput}");
        using var adminAgain = restarted.CreateAdminClient(BinderyApp.AdminKeyValue);
        await WebhookApi.WaitForDeliveriesAsync(adminAgain, webhookId, DeliveryStates.Delivered, 3 * Devices);
    }

    public void Dispose() => _storage.Dispose();
}
