using Bindery.Infrastructure;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Webhooks;

/// <summary>
/// Deletes delivered and dead deliveries (rows, and the <c>webhook_batches</c> rows of first-attempt deliveries) last changed longer than <see cref="WebhookOptions.DeliveryRetention"/> ago,
/// in batches, every <see cref="WebhookOptions.PruneInterval"/>. Every node runs it; concurrent runs are harmless.
/// </summary>
public sealed class WebhookDeliveryPruner(IDatabase db, TimeProvider clock, IOptions<WebhookOptions> options, ILogger<WebhookDeliveryPruner> logger)
    : PeriodicWork(logger)
{
    protected override TimeSpan FirstRunDelay => TimeSpan.FromMinutes(2);

    protected override TimeSpan Interval => options.Value.PruneInterval;

    protected override string WhatItRemoves => "webhook deliveries past their retention";

    protected override Task<int> RunOnceAsync(CancellationToken cancellationToken) => PruneAsync(cancellationToken);

    public async Task<int> PruneAsync(CancellationToken cancellationToken = default) =>
        await DeleteOlderThanAsync(db, clock, options.Value.DeliveryRetention,
            """
            DELETE FROM webhook_deliveries WHERE (endpoint_id, event_id) IN (
                SELECT endpoint_id, event_id FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < @Cutoff LIMIT @Batch)
            """, cancellationToken)
        + await DeleteOlderThanAsync(db, clock, options.Value.DeliveryRetention,
            """
            DELETE FROM webhook_batches WHERE (endpoint_id, after_seq) IN (
                SELECT endpoint_id, after_seq FROM webhook_batches WHERE delivered_at < @Cutoff LIMIT @Batch)
            """, cancellationToken);
}
