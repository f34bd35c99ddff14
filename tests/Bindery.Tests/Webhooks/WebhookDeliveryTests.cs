using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Webhooks;

namespace Bindery.Tests.Webhooks;

/// <summary>One server with fast retries and private networks allowed (the receiver is on loopback).</summary>
public sealed class WebhookFixture() : BindingFixture(WebhookApi.FastSettings(maxAttempts: 4));

/// <summary>
/// Webhooks (docs/events.md, "Webhooks"): each binding event of the endpoint's scope is POSTed to a real receiver on
/// loopback, signed with the secret shown once at registration, once per event, in order per device, retried while
/// the receiver is down, dead after MaxAttempts and sent again when the admin re-triggers it.
/// </summary>
public sealed class WebhookDeliveryTests(WebhookFixture fx) : IClassFixture<WebhookFixture>
{
    private readonly HttpClient _admin = fx.App.CreateAdminClient();

    private async Task<(Tenant.Product Product, Tenant.Device[] Devices, Tenant.User User)> ProductAsync(int devices)
    {
        var product = await fx.Tenant.CreateProductAsync(bindingMode: 1);
        var list = new Tenant.Device[devices];
        for (var i = 0; i < devices; i++)
        {
            list[i] = await fx.Tenant.CreateDeviceAsync(product.Pk);
        }
        return (product, list, await fx.Tenant.CreateUserAsync());
    }

    private static async Task BindAsync(Tenant.User user, Tenant.Device device) =>
        Assert.Equal(200, (await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn)).Code());

    private static async Task UnbindAsync(Tenant.User user, Tenant.Device device) =>
        Assert.Equal(200, (await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code());

    /// <summary>bound, unbound, bound for each device: three events per device.</summary>
    private static async Task BindUnbindBindAsync(Tenant.User user, Tenant.Device[] devices)
    {
        foreach (var device in devices)
        {
            await BindAsync(user, device);
            await UnbindAsync(user, device);
            await BindAsync(user, device);
        }
    }

    private static void AssertInOrderPerDevice(IEnumerable<WebhookReceiver.Received> received, Tenant.Device[] devices)
    {
        foreach (var device in devices)
        {
            var mine = received.Where(r => r.Json.GetProperty("dk").GetString() == device.Dk).ToList();
            Assert.Equal(["bound", "unbound", "bound"], mine.Select(r => r.Json.GetProperty("kind").GetString()));
            var seqs = mine.Select(r => r.Json.GetProperty("seq").GetInt64()).ToList();
            Assert.Equal(seqs.Order(), seqs);
        }
    }

    [Fact]
    public async Task Each_event_reaches_the_receiver_once_signed_in_order_per_device_and_carries_no_secret()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(3);
        var (id, secret) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk);

        await BindUnbindBindAsync(user, devices);

        var received = await receiver.WaitForAsync(9);
        await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Delivered, 9);
        await Task.Delay(500);
        Assert.Equal(9, receiver.Requests.Count);
        AssertInOrderPerDevice(received, devices);
        foreach (var r in received)
        {
            Assert.True(r.IsSignedWith(secret), "signature does not verify");
            Assert.False(r.IsSignedWith(secret + "x"));
            Assert.StartsWith("application/json", r.ContentType, StringComparison.Ordinal);
            var json = r.Json;
            Assert.Equal(r.EventId, json.GetProperty("id").GetString());
            Assert.Equal(r.Kind, json.GetProperty("kind").GetString());
            Assert.Equal(product.Pk, json.GetProperty("pk").GetString());
            Assert.Equal(user.Uid, json.GetProperty("userId").GetString());
            Assert.Equal("SN", json.GetProperty("method").GetString());
            Assert.Equal("user", json.GetProperty("actor").GetProperty("type").GetString());
            Assert.Equal(id, json.GetProperty("webhookId").GetString());
            Assert.InRange(long.Parse(r.Timestamp, System.Globalization.CultureInfo.InvariantCulture),
                DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
            var text = System.Text.Encoding.UTF8.GetString(r.Body);
            foreach (var device in devices)
            {
                Assert.DoesNotContain(device.Sn, text, StringComparison.Ordinal);
                Assert.DoesNotContain(device.DeviceSecret, text, StringComparison.Ordinal);
            }
            Assert.DoesNotContain(user.Token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
        await AssertOpensslRecipeVerifiesAsync(received[0], secret);
    }

    /// <summary>The recipe of docs/events.md, run as written (when the machine has openssl).</summary>
    private static async Task AssertOpensslRecipeVerifiesAsync(WebhookReceiver.Received request, string secret)
    {
        if (!File.Exists("/usr/bin/openssl") && !File.Exists("/bin/openssl"))
        {
            return;
        }
        var dir = Directory.CreateTempSubdirectory("bindery-webhook-");
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "body.json"), request.Body);
            var start = new System.Diagnostics.ProcessStartInfo("bash",
                ["-c", "printf '%s.' \"$TS\" | cat - body.json | openssl dgst -sha256 -hmac \"$SECRET\" | awk '{print $NF}'"])
            {
                WorkingDirectory = dir.FullName,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            start.Environment["TS"] = request.Timestamp;
            start.Environment["SECRET"] = secret;
            using var process = System.Diagnostics.Process.Start(start)!;
            var output = (await process.StandardOutput.ReadToEndAsync()).Trim();
            await process.WaitForExitAsync();
            Assert.Equal(request.Signature["v1=".Length..], output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Only_the_scope_and_kinds_registered_are_sent()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(1);
        var other = await ProductAsync(1);
        // Scoped to the user domain, bound events only: the other product's binds (same domain) come too; unbinds do not.
        var domain = await Tenant.CreateAsync(fx.App);
        var (_, _) = await WebhookApi.RegisterAsync(_admin, receiver.Url, userDomain: fx.Tenant.DomainId, kinds: ["bound"]);
        var foreignProduct = await domain.CreateProductAsync(bindingMode: 1);
        var foreignDevice = await domain.CreateDeviceAsync(foreignProduct.Pk);
        var foreignUser = await domain.CreateUserAsync();

        await BindUnbindBindAsync(user, devices);
        await BindAsync(other.User, other.Devices[0]);
        await BindAsync(foreignUser, foreignDevice);

        var received = await receiver.WaitForAsync(3);
        await Task.Delay(1500);
        Assert.Equal(3, receiver.Distinct().Count);
        Assert.All(receiver.Distinct(), r => Assert.Equal("bound", r.Kind));
        Assert.DoesNotContain(receiver.Distinct(), r => r.Json.GetProperty("pk").GetString() == foreignProduct.Pk);
        Assert.Equal(2, received.Count(r => r.Json.GetProperty("pk").GetString() == product.Pk));
    }

    [Fact]
    public async Task A_receiver_that_is_down_gets_every_event_in_order_once_it_is_back()
    {
        var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(2);
        var (id, secret) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk);
        await receiver.StopAsync();

        await BindUnbindBindAsync(user, devices);
        // Attempts fail (connection refused) and are retried with backoff; nothing moves past a device's first event.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var pending = (await WebhookApi.DeliveriesAsync(_admin, id, DeliveryStates.Pending)).Data().GetProperty("items").EnumerateArray().ToList();
            if (pending.Count == 6 && pending.Any(d => d.GetProperty("attempts").GetInt32() >= 2))
            {
                Assert.All(pending.Where(d => d.GetProperty("attempts").GetInt32() > 0), d => Assert.Equal("bound", d.GetProperty("kind").GetString()));
                Assert.Contains(pending, d => d.GetProperty("lastError").GetString() == "could not connect");
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "the deliveries were not retried");
            await Task.Delay(100);
        }

        await receiver.StartAsync();
        var received = await receiver.WaitForAsync(6);
        AssertInOrderPerDevice(received, devices);
        Assert.All(received, r => Assert.True(r.IsSignedWith(secret)));
        await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Delivered, 6);
        await receiver.DisposeAsync();
    }

    [Fact]
    public async Task After_MaxAttempts_a_delivery_is_dead_later_events_go_on_and_a_retrigger_delivers_it()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        receiver.Status = 500;
        var (product, devices, user) = await ProductAsync(1);
        var (id, _) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk);

        await BindAsync(user, devices[0]);
        var dead = await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Dead, 1);
        Assert.Equal(4, dead[0].GetProperty("attempts").GetInt32());
        Assert.Equal(500, dead[0].GetProperty("lastStatus").GetInt32());
        Assert.Equal("HTTP 500", dead[0].GetProperty("lastError").GetString());
        Assert.Equal(4, receiver.Requests.Count);
        var deadEventId = dead[0].GetProperty("eventId").GetString()!;

        // The device's next event is not held back by the dead letter.
        receiver.Status = 200;
        await UnbindAsync(user, devices[0]);
        var next = await receiver.WaitForAsync(2);
        Assert.Equal("unbound", next[^1].Kind);

        // Re-triggered: pending again with a fresh budget (a second re-trigger meanwhile is refused), then delivered
        // late, with its original seq and time.
        receiver.Delay = TimeSpan.FromSeconds(1);
        var retried = await WebhookApi.PostAsync(_admin, $"{WebhookApi.Base}/{id}/deliveries/{deadEventId}/retry", null);
        Assert.True(retried.Code() == 200, retried.ToString());
        Assert.Equal(DeliveryStates.Pending, retried.Data().GetProperty("state").GetString());
        Assert.Equal(Errors.WebhookDeliveryStillPending.Code,
            (await WebhookApi.PostAsync(_admin, $"{WebhookApi.Base}/{id}/deliveries/{deadEventId}/retry", null)).Code());
        await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Delivered, 2);
        Assert.Empty((await WebhookApi.DeliveriesAsync(_admin, id, DeliveryStates.Dead)).Data().GetProperty("items").EnumerateArray());
        Assert.Equal("bound", receiver.Requests.Last().Kind);
        Assert.Equal(deadEventId, receiver.Requests.Last().EventId);

        // A delivered one may be sent again too.
        receiver.Delay = TimeSpan.Zero;
        var sent = receiver.Requests.Count;
        Assert.Equal(200, (await WebhookApi.PostAsync(_admin, $"{WebhookApi.Base}/{id}/deliveries/{deadEventId}/retry", null)).Code());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (receiver.Requests.Count == sent && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(deadEventId, receiver.Requests.Last().EventId);
    }

    [Fact]
    public async Task The_secret_is_shown_once_and_a_rotated_secret_signs_what_follows()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(1);
        var (id, secret) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk);
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);

        var got = await (await _admin.GetAsync($"{WebhookApi.Base}/{id}")).Content.ReadAsStringAsync();
        var listed = await (await _admin.GetAsync($"{WebhookApi.Base}?pk={product.Pk}")).Content.ReadAsStringAsync();
        var patched = await (await _admin.PatchAsJsonAsync($"{WebhookApi.Base}/{id}", new { enabled = true })).Content.ReadAsStringAsync();
        foreach (var answer in new[] { got, listed, patched })
        {
            Assert.Contains(id, answer, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, answer, StringComparison.Ordinal);
            Assert.DoesNotContain("\"secret\"", answer, StringComparison.Ordinal);
        }

        var rotated = await WebhookApi.PostAsync(_admin, $"{WebhookApi.Base}/{id}/rotate-secret", null);
        var newSecret = rotated.Data().GetProperty("secret").GetString()!;
        Assert.NotEqual(secret, newSecret);
        Assert.DoesNotContain(newSecret, await (await _admin.GetAsync($"{WebhookApi.Base}/{id}")).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await BindAsync(user, devices[0]);
        var received = await receiver.WaitForAsync(1);
        Assert.True(received[0].IsSignedWith(newSecret));
        Assert.False(received[0].IsSignedWith(secret));
    }

    [Fact]
    public async Task A_disabled_endpoint_gets_nothing_and_a_deleted_one_is_gone()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(1);
        var (id, _) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk);
        var disabled = await (await _admin.PatchAsJsonAsync($"{WebhookApi.Base}/{id}", new { enabled = false })).ReadEnvelopeAsync();
        Assert.False(disabled.Data().GetProperty("enabled").GetBoolean());

        await BindAsync(user, devices[0]);
        await Task.Delay(1500);
        Assert.Empty(receiver.Requests);

        Assert.Equal(200, (await (await _admin.DeleteAsync($"{WebhookApi.Base}/{id}")).ReadEnvelopeAsync()).Code());
        Assert.Equal(Errors.WebhookNotFound.Code, (await (await _admin.GetAsync($"{WebhookApi.Base}/{id}")).ReadEnvelopeAsync()).Code());
    }

    [Fact]
    public async Task Bad_input_is_refused_with_its_catalogued_code()
    {
        var (product, _, _) = await ProductAsync(0);
        const string url = "https://hooks.example.com/bindery";
        async Task<int> RegisterCode(object body) => (await WebhookApi.PostAsync(_admin, WebhookApi.Base, body)).Code();

        Assert.Equal(Errors.WebhookScopeInvalid.Code, await RegisterCode(new { url }));
        Assert.Equal(Errors.WebhookScopeInvalid.Code, await RegisterCode(new { url, pk = product.Pk, userDomain = fx.Tenant.DomainId }));
        Assert.Equal(Errors.WebhookScopeInvalid.Code, await RegisterCode(new { url, pk = "no-such-product" }));
        Assert.Equal(Errors.WebhookScopeInvalid.Code, await RegisterCode(new { url, userDomain = "no-such-domain" }));
        Assert.Equal(Errors.WebhookKindsInvalid.Code, await RegisterCode(new { url, pk = product.Pk, kinds = new[] { "bound", "exploded" } }));
        Assert.Equal(Errors.WebhookUrlInvalid.Code, await RegisterCode(new { pk = product.Pk }));
        Assert.Equal(Errors.InvalidParameter.Code, (await (await _admin.PostAsync(WebhookApi.Base,
            new StringContent("{\"url\":", System.Text.Encoding.UTF8, "application/json"))).ReadEnvelopeAsync()).Code());

        var (id, _) = await WebhookApi.RegisterAsync(_admin, url, pk: product.Pk);
        Assert.Equal(Errors.WebhookDeliveryStateInvalid.Code, (await WebhookApi.DeliveriesAsync(_admin, id, "lost")).Code());
        Assert.Equal(Errors.WebhookNotFound.Code, (await WebhookApi.DeliveriesAsync(_admin, "wh_nope")).Code());
        Assert.Equal(Errors.WebhookNotFound.Code, (await WebhookApi.PostAsync(_admin, $"{WebhookApi.Base}/wh_nope/rotate-secret", null)).Code());
        Assert.Equal(Errors.WebhookDeliveryNotFound.Code, (await WebhookApi.PostAsync(_admin, $"{WebhookApi.Base}/{id}/deliveries/abc/retry", null)).Code());
        Assert.Equal(Errors.WebhookKindsInvalid.Code,
            (await (await _admin.PatchAsJsonAsync($"{WebhookApi.Base}/{id}", new { kinds = new[] { "nope" } })).ReadEnvelopeAsync()).Code());
        Assert.Equal(Errors.InvalidParameterValue.Code, (await (await _admin.GetAsync($"{WebhookApi.Base}?limit=0")).ReadEnvelopeAsync()).Code());
    }

    [Fact]
    public async Task The_admin_key_is_required()
    {
        using var anonymous = fx.App.CreateClient();
        using var wrong = fx.App.CreateClient();
        wrong.DefaultRequestHeaders.Add("X-Admin-Key", "not-the-key");
        foreach (var client in new[] { anonymous, wrong })
        {
            var list = await client.GetAsync(WebhookApi.Base);
            Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
            Assert.Equal(Errors.AdminKeyInvalid.Code, (await list.ReadEnvelopeAsync()).Code());
            var create = await client.PostAsJsonAsync(WebhookApi.Base, new { url = "https://hooks.example.com/x", pk = "p" });
            Assert.Equal(Errors.AdminKeyInvalid.Code, (await create.ReadEnvelopeAsync()).Code());
        }
    }
}
