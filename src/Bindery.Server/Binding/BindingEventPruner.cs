using Bindery.Infrastructure;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Binding;

/// <summary>
/// Deletes <c>binding_events</c> rows older than <see cref="BindingOptions.EventRetention"/>, in small batches (one
/// short write each), one minute after start and then every <see cref="BindingOptions.EventPruneInterval"/>. Every
/// node runs it; concurrent runs delete the same rows and are harmless.
/// </summary>
public sealed class BindingEventPruner(IDatabase db, TimeProvider clock, IOptions<BindingOptions> options, ILogger<BindingEventPruner> logger)
    : PeriodicWork(logger)
{
    protected override TimeSpan FirstRunDelay => TimeSpan.FromMinutes(1);

    protected override TimeSpan Interval => options.Value.EventPruneInterval;

    protected override string WhatItRemoves => "binding events past their retention";

    protected override Task<int> RunOnceAsync(CancellationToken cancellationToken) => PruneAsync(cancellationToken);

    /// <summary>Deletes every event older than the retention; returns how many went.</summary>
    public Task<int> PruneAsync(CancellationToken cancellationToken = default) =>
        DeleteOlderThanAsync(db, clock, options.Value.EventRetention,
            "DELETE FROM binding_events WHERE seq IN (SELECT seq FROM binding_events WHERE occurred_at < @Cutoff ORDER BY seq LIMIT @Batch)", cancellationToken);
}
