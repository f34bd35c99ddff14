using Bindery.Infrastructure;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Audit;

/// <summary>
/// Deletes <c>security_events</c> rows older than <see cref="AuditOptions.RefusalRetention"/>, in small batches (one
/// short write each), one minute after start and then every <see cref="AuditOptions.RefusalPruneInterval"/>. Every
/// node runs it; concurrent runs delete the same rows and are harmless. (The binding events are pruned by
/// <see cref="Binding.BindingEventPruner"/> after <c>Binding:EventRetention</c>.)
/// </summary>
public sealed class SecurityEventPruner(IDatabase db, TimeProvider clock, IOptions<AuditOptions> options, ILogger<SecurityEventPruner> logger)
    : PeriodicWork(logger)
{
    protected override TimeSpan FirstRunDelay => TimeSpan.FromMinutes(1);

    protected override TimeSpan Interval => options.Value.RefusalPruneInterval;

    protected override string WhatItRemoves => "audit refusals past their retention";

    protected override Task<int> RunOnceAsync(CancellationToken cancellationToken) => PruneAsync(cancellationToken);

    /// <summary>Deletes every refusal older than the retention; returns how many went.</summary>
    public Task<int> PruneAsync(CancellationToken cancellationToken = default) =>
        DeleteOlderThanAsync(db, clock, options.Value.RefusalRetention,
            "DELETE FROM security_events WHERE seq IN (SELECT seq FROM security_events WHERE occurred_at < @Cutoff ORDER BY seq LIMIT @Batch)", cancellationToken);
}
