using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Storage;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Webhooks;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bindery.Tests.Webhooks;

/// <summary>
/// What is stored of a delivery (docs/events.md, "What is stored of a delivery"): an event delivered at its first
/// attempt gets no row of its own. Its cursor batch writes one <c>webhook_batches</c> row, and the admin list derives
/// the event's delivery from it. Listed like any other delivery, sent again on request, kept for the delivery
/// retention.
/// </summary>
public sealed class WebhookDeliveryRecordTests : IAsyncLifetime, IDisposable
{
    private readonly BinderyApp _app = new(WebhookApi.FastSettings(maxAttempts: 4));
    private Tenant _tenant = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _tenant = await Tenant.CreateAsync(_app);
        _admin = _app.CreateAdminClient();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _admin?.Dispose();
        _app.Dispose();
    }

    private Task<long> CountAsync(string sql, object param) =>
        _app.Services.GetRequiredService<IDatabase>().ReadAsync(c => c.ExecuteScalarAsync<long>(sql, param));

    private async Task<(Tenant.Product Product, Tenant.Device[] Devices, Tenant.User User)> ProductAsync(int devices)
    {
        var product = await _tenant.CreateProductAsync(bindingMode: 1);
        var list = new Tenant.Device[devices];
        for (var i = 0; i < devices; i++)
        {
            list[i] = await _tenant.CreateDeviceAsync(product.Pk);
        }
        return (product, list, await _tenant.CreateUserAsync());
    }

    private static async Task BindUnbindAsync(Tenant.User user, Tenant.Device device)
    {
        Assert.Equal(200, (await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn)).Code());
        Assert.Equal(200, (await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code());
    }

    private async Task<List<JsonElement>> DeliveriesAsync(string id, string? state = null) =>
        (await WebhookApi.DeliveriesAsync(_admin, id, state)).Data().GetProperty("items").EnumerateArray().ToList();

    /// <summary>Waits until the endpoint's cursor has passed every event so far (none of them is still to be sent).</summary>
    private async Task CursorPastEveryEventAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await CountAsync(
                   "SELECT COUNT(*) FROM webhook_endpoints WHERE id = @Id AND cursor_seq >= (SELECT MAX(seq) FROM binding_events)", new { Id = id }) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the cursor did not pass the events");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Events_delivered_at_the_first_attempt_are_listed_as_delivered_from_their_batch_without_a_row_each()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(3);
        var (id, _) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        foreach (var device in devices)
        {
            await BindUnbindAsync(user, device);
        }
        var received = await receiver.WaitForAsync(6);
        var listed = await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Delivered, 6);

        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = @Id", new { Id = id }));
        Assert.InRange(await CountAsync("SELECT COUNT(*) FROM webhook_batches WHERE endpoint_id = @Id", new { Id = id }), 1, 6);
        Assert.Equal(received.Select(r => r.EventId).Order(StringComparer.Ordinal),
            listed.Select(d => d.GetProperty("eventId").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(listed.Select(d => d.GetProperty("seq").GetInt64()).Order(), listed.Select(d => d.GetProperty("seq").GetInt64()));
        foreach (var delivery in listed)
        {
            Assert.Equal(DeliveryStates.Delivered, delivery.GetProperty("state").GetString());
            Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
            Assert.Equal(200, delivery.GetProperty("lastStatus").GetInt32());
            Assert.InRange(delivery.GetProperty("deliveredAt").GetInt64(), before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            Assert.Contains(delivery.GetProperty("kind").GetString(), new[] { "bound", "unbound" });
            Assert.Equal(product.Pk, delivery.GetProperty("pk").GetString());
        }
        Assert.Equal(6, (await WebhookApi.DeliveriesAsync(_admin, id)).Data().GetProperty("total").GetInt64());
        Assert.Empty(await DeliveriesAsync(id, DeliveryStates.Pending));
        Assert.Empty(await DeliveriesAsync(id, DeliveryStates.Dead));
    }

    [Fact]
    public async Task An_event_delivered_at_the_first_attempt_can_be_sent_again_and_is_then_listed_once()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(1);
        var (id, secret) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk);
        await BindUnbindAsync(user, devices[0]);
        await receiver.WaitForAsync(2);
        var bound = (await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Delivered, 2))[0];
        var eventId = bound.GetProperty("eventId").GetString()!;

        var retried = await WebhookApi.PostAsync(_admin, $"{WebhookApi.Base}/{id}/deliveries/{eventId}/retry", null);
        Assert.True(retried.Code() == 200, retried.ToString());
        Assert.Equal(DeliveryStates.Pending, retried.Data().GetProperty("state").GetString());
        Assert.Equal(0, retried.Data().GetProperty("attempts").GetInt32());

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (receiver.Requests.Count < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var again = receiver.Requests.ToList();
        Assert.Equal(3, again.Count);
        Assert.Equal(eventId, again[^1].EventId);
        Assert.True(again[^1].IsSignedWith(secret));
        Assert.Equal("bound", again[^1].Kind);
        List<JsonElement> listed;
        do
        {
            await Task.Delay(100);
            listed = await DeliveriesAsync(id);
        }
        while (listed.Any(d => d.GetProperty("state").GetString() != DeliveryStates.Delivered) && DateTime.UtcNow < deadline);
        Assert.Equal(2, listed.Count);
        Assert.All(listed, d => Assert.Equal(DeliveryStates.Delivered, d.GetProperty("state").GetString()));
        Assert.Single(listed, d => d.GetProperty("eventId").GetString() == eventId);
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = @Id", new { Id = id }));
    }

    [Fact]
    public async Task Sending_again_an_event_the_endpoint_never_got_is_refused()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(1);
        var (other, _, _) = await ProductAsync(1);
        var (id, _) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: other.Pk);
        var (mine, _) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk);
        await BindUnbindAsync(user, devices[0]);
        var eventId = (await WebhookApi.WaitForDeliveriesAsync(_admin, mine, DeliveryStates.Delivered, 2))[0].GetProperty("eventId").GetString()!;

        // Another product's endpoint: the event is in its batch's seq range but not in its scope.
        Assert.Equal(Errors.WebhookDeliveryNotFound.Code,
            (await WebhookApi.PostAsync(_admin, $"{WebhookApi.Base}/{id}/deliveries/{eventId}/retry", null)).Code());
        Assert.Empty(await DeliveriesAsync(id));
    }

    [Fact]
    public async Task Changing_the_kinds_later_does_not_change_what_the_list_says_was_delivered()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(2);
        var (id, _) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk, kinds: ["bound"]);
        await BindUnbindAsync(user, devices[0]);
        await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Delivered, 1);
        await CursorPastEveryEventAsync(id);

        var patched = await (await _admin.PatchAsJsonAsync($"{WebhookApi.Base}/{id}", new { kinds = new[] { "unbound" } })).ReadEnvelopeAsync();
        Assert.True(patched.Code() == 200, patched.ToString());
        await BindUnbindAsync(user, devices[1]);
        await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Delivered, 2);
        await Task.Delay(500);

        var listed = await DeliveriesAsync(id);
        Assert.Equal(
            [(devices[0].Dk, "bound"), (devices[1].Dk, "unbound")],
            listed.Select(d => (d.GetProperty("dk").GetString(), d.GetProperty("kind").GetString())));
        Assert.Equal(["bound", "unbound"], receiver.Requests.Select(r => r.Kind));
    }

    [Fact]
    public async Task A_batch_is_pruned_with_the_delivery_retention_and_its_events_leave_the_list()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var (product, devices, user) = await ProductAsync(1);
        var (id, _) = await WebhookApi.RegisterAsync(_admin, receiver.Url, pk: product.Pk);
        await BindUnbindAsync(user, devices[0]);
        await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Delivered, 2);
        var pruner = _app.Services.GetServices<IHostedService>().OfType<WebhookDeliveryPruner>().Single();

        Assert.Equal(0, await pruner.PruneAsync());
        _app.Clock.Advance(TimeSpan.FromDays(8));
        Assert.InRange(await pruner.PruneAsync(), 1, 2);

        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM webhook_batches WHERE endpoint_id = @Id", new { Id = id }));
        Assert.Empty(await DeliveriesAsync(id));
    }
}
