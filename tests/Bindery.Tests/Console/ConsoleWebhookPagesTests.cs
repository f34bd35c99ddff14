using System.Net;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Tests.Webhooks;
using Bindery.Webhooks;

namespace Bindery.Tests.Console;

/// <summary>A server whose webhook worker retries fast and gives up after two attempts, and may post to the loopback receiver.</summary>
public sealed class ConsoleWebhookApp : BinderyApp
{
    public ConsoleWebhookApp()
        : base(WebhookApi.FastSettings(maxAttempts: 2))
    {
    }
}

/// <summary>
/// The console's webhook pages (docs/console.md): an endpoint registered with its secret shown once, its deliveries by
/// state, a dead letter sent again (as <c>POST /admin/v1/webhooks/{id}/deliveries/{eventId}/retry</c>), deletion.
/// </summary>
public sealed class ConsoleWebhookPagesTests(ConsoleWebhookApp app) : IClassFixture<ConsoleWebhookApp>
{
    [Fact]
    public async Task A_dead_letter_sent_again_from_the_console_is_pending_then_delivered()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        receiver.Status = 500;
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        var console = await ConsoleClient.SignedInAsync(app);

        var created = await console.PostFormAsync("/console/webhooks", new() { ["Url"] = receiver.Url, ["Pk"] = product.Pk, ["Enabled"] = "true" });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var page = await created.Content.ReadAsStringAsync();
        var secret = System.Text.RegularExpressions.Regex.Match(page, "id=\"created-secret\" type=\"text\" readonly value=\"([^\"]+)\"", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)).Groups[1].Value;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var id = ConsoleHtml.ById(page, "created-webhook-id");
        Assert.DoesNotContain(secret, await console.Http.GetStringAsync("/console/webhooks"), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await console.Http.GetStringAsync($"/console/webhooks/{id}"), StringComparison.Ordinal);

        await BindingApi.BindSnOkAsync(await tenant.CreateUserAsync(), device);
        using var admin = app.CreateAdminClient();
        var dead = Assert.Single(await WebhookApi.WaitForDeliveriesAsync(admin, id, DeliveryStates.Dead, 1));
        var eventId = dead.GetProperty("eventId").GetString()!;
        var deadLetters = await console.Http.GetStringAsync($"/console/webhooks/{id}?state=dead");
        Assert.Contains("Dead letters (1;", ConsoleHtml.ById(deadLetters, "deliveries"), StringComparison.Ordinal);
        Assert.Contains(eventId, deadLetters, StringComparison.Ordinal);

        receiver.Status = 200;
        var retried = await console.PostFormAsync($"/console/webhooks/{id}?state=dead", new() { ["EventId"] = eventId, ["State"] = "dead" },
            $"/console/webhooks/{id}?handler=Retry");
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal($"Delivery of event {eventId} is pending again: it is sent with a fresh attempt budget.",
            ConsoleHtml.Role(await retried.Content.ReadAsStringAsync(), "status"));
        await WebhookApi.WaitForDeliveriesAsync(admin, id, DeliveryStates.Delivered, 1);
        Assert.Empty((await WebhookApi.DeliveriesAsync(admin, id, DeliveryStates.Dead)).Data().GetProperty("items").EnumerateArray());

        // An unknown delivery: the admin API's refusal, shown as it gives it.
        var again = await console.PostFormAsync($"/console/webhooks/{id}", new() { ["EventId"] = "no-such-event" }, $"/console/webhooks/{id}?handler=Retry");
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.StartsWith($"{Bindery.Infrastructure.Errors.WebhookDeliveryNotFound.Code}: ", ConsoleHtml.Role(await again.Content.ReadAsStringAsync(), "alert"), StringComparison.Ordinal);

        var deleted = await console.PostFormAsync("/console/webhooks", new() { ["Id"] = id }, "/console/webhooks?handler=Delete");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(404, (int)(await admin.GetAsync($"{WebhookApi.Base}/{id}")).StatusCode);
    }

    [Fact]
    public async Task An_endpoint_the_admin_API_would_refuse_is_refused_with_its_code()
    {
        var tenant = await Tenant.CreateAsync(app);
        var console = await ConsoleClient.SignedInAsync(app);
        var both = await console.PostFormAsync("/console/webhooks", new() { ["Url"] = "https://example.com/hook", ["UserDomain"] = tenant.DomainId, ["Pk"] = "also-a-product" });
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.StartsWith($"{Bindery.Infrastructure.Errors.WebhookScopeInvalid.Code}: ", ConsoleHtml.Role(await both.Content.ReadAsStringAsync(), "alert"), StringComparison.Ordinal);
        var userInfo = await console.PostFormAsync("/console/webhooks", new() { ["Url"] = "https://user:pw@example.com/hook", ["UserDomain"] = tenant.DomainId });
        Assert.StartsWith($"{Bindery.Infrastructure.Errors.WebhookUrlInvalid.Code}: ", ConsoleHtml.Role(await userInfo.Content.ReadAsStringAsync(), "alert"), StringComparison.Ordinal);
    }
}
