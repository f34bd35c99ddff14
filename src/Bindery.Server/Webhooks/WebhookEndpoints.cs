using Bindery.Infrastructure;
using Bindery.Observability;
using Bindery.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Bindery.Webhooks;

/// <summary>
/// Webhooks (docs/events.md, "Webhooks"; docs/admin-api.md, "Webhooks"): the admin API under <c>/admin/v1/webhooks</c>
/// and the delivery worker.
/// </summary>
public static class WebhookEndpoints
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName);
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<WebhookService>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddHostedService<WebhookDeliveryPruner>();
        services.AddHttpClient(WebhookDispatcher.HttpClientName, client =>
            {
                // Each attempt has its own deadline (Webhooks:RequestTimeout), set per request.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd("Bindery-Webhooks/1");
            })
            // No per-request log lines (the factory's default: four Information lines per POST, with the URL); the
            // worker logs what matters (failures, dead letters) itself.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
                return new SocketsHttpHandler
                {
                    // Redirects are not followed (a 3xx is a failed attempt): a redirect could point anywhere.
                    AllowAutoRedirect = false,
                    // A proxy would connect for us, past the address check.
                    UseProxy = false,
                    UseCookies = false,
                    MaxConnectionsPerServer = Math.Max(1, options.MaxConcurrencyPerEndpoint),
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectTimeout = options.RequestTimeout,
                    ConnectCallback = (context, cancellationToken) =>
                        WebhookUrls.ConnectAsync(context, options.AllowPrivateNetworks, cancellationToken),
                };
            });
        return services;
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("/admin/v1/webhooks")
            .AddEndpointFilter(AdminKey.RequireAsync)
            .WithTags("Admin")
            .WithErrorEnvelope(ErrorEnvelopes.Admin);

        webhooks.MapPost("", CreateAsync)
            .WithSummary("Register a webhook endpoint for a user domain or a product; the signing secret is shown once")
            .WithErrors(Errors.WebhookUrlInvalid, Errors.WebhookUrlForbidden, Errors.WebhookScopeInvalid, Errors.WebhookKindsInvalid);
        webhooks.MapGet("", ListAsync)
            .WithSummary("List webhook endpoints (never their secrets)");
        webhooks.MapGet("/{id}", GetAsync)
            .WithSummary("One webhook endpoint with its pending and dead delivery counts")
            .WithErrors(Errors.WebhookNotFound);
        webhooks.MapPatch("/{id}", UpdateAsync)
            .WithSummary("Change a webhook endpoint's URL, event kinds or enabled flag")
            .WithErrors(Errors.WebhookNotFound, Errors.WebhookUrlInvalid, Errors.WebhookUrlForbidden, Errors.WebhookKindsInvalid);
        webhooks.MapDelete("/{id}", DeleteAsync)
            .WithSummary("Delete a webhook endpoint and its deliveries")
            .WithErrors(Errors.WebhookNotFound);
        webhooks.MapPost("/{id}/rotate-secret", RotateSecretAsync)
            .WithSummary("Issue a new signing secret (shown once); later deliveries are signed with it")
            .WithErrors(Errors.WebhookNotFound);
        webhooks.MapGet("/{id}/deliveries", ListDeliveriesAsync)
            .WithSummary("An endpoint's deliveries by state (pending, delivered, dead), paged")
            .WithErrors(Errors.WebhookNotFound, Errors.WebhookDeliveryStateInvalid);
        webhooks.MapPost("/{id}/deliveries/{eventId}/retry", RetryDeliveryAsync)
            .WithSummary("Send a dead or delivered delivery again")
            .WithErrors(Errors.WebhookNotFound, Errors.WebhookDeliveryNotFound, Errors.WebhookDeliveryStillPending);
        return app;
    }

    private static async Task<IResult> CreateAsync([FromBody] WebhookInput? body, WebhookService webhooks, CancellationToken cancellationToken) =>
        Envelope.OkResult(await webhooks.CreateAsync(Body(body), cancellationToken));

    private static async Task<IResult> ListAsync(int? offset, int? limit, string? userDomain, string? pk, WebhookService webhooks, CancellationToken cancellationToken) =>
        Envelope.OkResult(await webhooks.ListAsync(offset, limit, userDomain, pk, cancellationToken));

    private static async Task<IResult> GetAsync(string id, WebhookService webhooks, CancellationToken cancellationToken) =>
        Envelope.OkResult(await webhooks.GetAsync(id, cancellationToken));

    private static async Task<IResult> UpdateAsync(string id, [FromBody] WebhookPatch? body, WebhookService webhooks, CancellationToken cancellationToken) =>
        Envelope.OkResult(await webhooks.UpdateAsync(id, Body(body), cancellationToken));

    private static async Task<IResult> DeleteAsync(string id, WebhookService webhooks, CancellationToken cancellationToken)
    {
        await webhooks.DeleteAsync(id, cancellationToken);
        return Envelope.OkResult(new { id });
    }

    private static async Task<IResult> RotateSecretAsync(string id, WebhookService webhooks, CancellationToken cancellationToken) =>
        Envelope.OkResult(await webhooks.RotateSecretAsync(id, cancellationToken));

    private static async Task<IResult> ListDeliveriesAsync(
        string id, string? state, int? offset, int? limit, WebhookService webhooks, CancellationToken cancellationToken) =>
        Envelope.OkResult(await webhooks.ListDeliveriesAsync(id, state, offset, limit, cancellationToken));

    private static async Task<IResult> RetryDeliveryAsync(string id, string eventId, WebhookService webhooks, CancellationToken cancellationToken) =>
        Envelope.OkResult(await webhooks.RetryDeliveryAsync(id, eventId, cancellationToken));

    /// <summary>An absent or <c>null</c> JSON body is answered like a missing field, not by the binder's message.</summary>
    private static T Body<T>(T? body) where T : class =>
        body ?? throw new BinderyException(Errors.InvalidParameter, "a JSON request body is required");
}
