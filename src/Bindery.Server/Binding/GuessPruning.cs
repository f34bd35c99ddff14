using Bindery.Infrastructure;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Binding;

/// <summary>
/// Deletes guess records that no longer count: SN failures older than <see cref="BindingOptions.SnWindow"/> and
/// guess counters whose window started more than <see cref="BindingOptions.GuessCounterRetention"/> ago. Every
/// node runs it; the deletes are idempotent, so several nodes on one database do no harm.
/// </summary>
public sealed class GuessPruning(IDatabase db, TimeProvider clock, GuessLimiter guesses, IOptions<BindingOptions> options, ILogger<GuessPruning> logger)
    : PeriodicWork(logger)
{
    protected override TimeSpan FirstRunDelay => options.Value.PruneInterval;

    protected override TimeSpan Interval => options.Value.PruneInterval;

    protected override string WhatItRemoves => "expired guess records";

    protected override Task<int> RunOnceAsync(CancellationToken cancellationToken) => PruneOnceAsync(cancellationToken);

    public async Task<int> PruneOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await db.WriteAsync(async tx =>
            await guesses.PruneSnFailuresAsync(tx, now)
            + await tx.ExecuteAsync(
                "DELETE FROM guess_counters WHERE window_started_at < @Before",
                new { Before = now - (long)options.Value.GuessCounterRetention.TotalMilliseconds })
            // Spent device signatures (signature binding): a day old, their timestamps are refused anyway.
            + await tx.ExecuteAsync(
                "DELETE FROM tencent_sig_uses WHERE used_at < @Before",
                new { Before = now - (long)SignatureBindingProof.Retention.TotalMilliseconds }), cancellationToken);
    }
}
