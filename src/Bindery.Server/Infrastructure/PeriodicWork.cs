using Bindery.Storage;

namespace Bindery.Infrastructure;

/// <summary>
/// A background chore every node runs on a timer (pruning old rows): a first run after <see cref="FirstRunDelay"/>,
/// then one every <see cref="Interval"/>. A failed run is logged and tried again at the next tick; it never stops
/// the host, and nothing may depend on a run having happened.
/// </summary>
public abstract class PeriodicWork(ILogger logger) : BackgroundService
{
    protected abstract TimeSpan FirstRunDelay { get; }

    protected abstract TimeSpan Interval { get; }

    /// <summary>What the chore does, for the log ("Pruned 12 …").</summary>
    protected abstract string WhatItRemoves { get; }

    /// <summary>Rows a pruning statement removes per write, so no write holds the database for long.</summary>
    public const int BatchSize = 1000;

    /// <summary>
    /// Runs <paramref name="deleteBatchSql"/> (a DELETE of at most <c>@Batch</c> rows, with the other parameters from
    /// <paramref name="parameters"/>) in short writes until a write removes fewer than a batch; returns the total.
    /// </summary>
    protected static async Task<int> DeleteInBatchesAsync(IDatabase db, string deleteBatchSql, Dictionary<string, object> parameters, CancellationToken cancellationToken)
    {
        var arguments = new Dapper.DynamicParameters(parameters);
        arguments.Add("Batch", BatchSize);
        var total = 0;
        while (true)
        {
            var deleted = await db.WriteAsync(tx => tx.ExecuteAsync(deleteBatchSql, arguments), cancellationToken);
            total += deleted;
            if (deleted < BatchSize)
            {
                return total;
            }
        }
    }

    /// <summary>
    /// <see cref="DeleteInBatchesAsync"/> for a retention: the rows <paramref name="deleteBatchSql"/> selects by
    /// <c>@Cutoff</c> (Unix ms, now less <paramref name="retention"/>); a retention of zero or less keeps everything.
    /// </summary>
    protected static Task<int> DeleteOlderThanAsync(IDatabase db, TimeProvider clock, TimeSpan retention, string deleteBatchSql, CancellationToken cancellationToken)
    {
        if (retention <= TimeSpan.Zero)
        {
            return Task.FromResult(0);
        }
        var cutoff = clock.GetUtcNow().ToUnixTimeMilliseconds() - (long)retention.TotalMilliseconds;
        return DeleteInBatchesAsync(db, deleteBatchSql, new() { ["Cutoff"] = cutoff }, cancellationToken);
    }

    /// <summary>One run; returns how many rows it removed.</summary>
    protected abstract Task<int> RunOnceAsync(CancellationToken cancellationToken);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(FirstRunDelay, stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var removed = await RunOnceAsync(stoppingToken);
                    if (removed > 0 && logger.IsEnabled(LogLevel.Information))
                    {
                        logger.LogInformation("Pruned {Count} {What}", removed, WhatItRemoves);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning("Pruning {What} failed ({ExceptionType}); trying again at the next interval", WhatItRemoves, ex.GetType().Name);
                }
                await Task.Delay(Interval > TimeSpan.Zero ? Interval : TimeSpan.FromHours(1), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
