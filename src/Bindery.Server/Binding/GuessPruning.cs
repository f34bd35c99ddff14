using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Binding;

/// <summary>
/// Deletes guess records that no longer count: SN failures older than <see cref="BindingOptions.SnWindow"/> and
/// guess counters whose window started more than <see cref="BindingOptions.GuessCounterRetention"/> ago. Every
/// node runs it; the deletes are idempotent, so several nodes on one database do no harm.
/// </summary>
public sealed class GuessPruning(IDatabase db, TimeProvider clock, GuessLimiter guesses, IOptions<BindingOptions> options, ILogger<GuessPruning> logger)
    : BackgroundService
{
    public async Task<int> PruneOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return await db.WriteAsync(async tx =>
            await guesses.PruneSnFailuresAsync(tx, now)
            + await tx.ExecuteAsync(
                "DELETE FROM guess_counters WHERE window_started_at < @Before",
                new { Before = now - (long)options.Value.GuessCounterRetention.TotalMilliseconds }), cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PruneInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var deleted = await PruneOnceAsync(stoppingToken);
                if (logger.IsEnabled(LogLevel.Debug))
                {
                    logger.LogDebug("Pruned {Rows} expired guess records", deleted);
                }
            }
            catch (Exception ex) when (ex is StorageUnavailableException or UniqueViolationException)
            {
                // The next tick tries again; nothing depends on a prune having happened.
                logger.LogWarning("Pruning guess records failed: {ExceptionType}", ex.GetType().Name);
            }
        }
    }
}
