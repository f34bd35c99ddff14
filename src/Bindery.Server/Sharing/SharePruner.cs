using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Sharing;

/// <summary>
/// Deletes shares whose time ended — pending ones past their accepting time, any past its sharing time — and shares
/// whose owner no longer holds a verified binding, each through <see cref="BindingLifecycle"/> so each removal writes
/// <c>unshared</c> with actor <c>system</c>. Every read already treats such rows as gone (<see cref="LiveShares"/>);
/// this only tidies the table. One short write per batch, the batch's devices locked in (pk, dk) order and each row
/// re-checked under the lock; every node runs it and concurrent runs are harmless.
/// </summary>
public sealed class SharePruner(IDatabase db, TimeProvider clock, IOptions<SharingOptions> options, ILogger<SharePruner> logger)
    : PeriodicWork(logger)
{
    /// <summary>Shares removed per write.</summary>
    public const int PruneBatch = 100;

    protected override TimeSpan FirstRunDelay => TimeSpan.FromMinutes(1);

    protected override TimeSpan Interval => options.Value.PruneInterval;

    protected override string WhatItRemoves => "expired shares";

    protected override Task<int> RunOnceAsync(CancellationToken cancellationToken) => PruneAsync(cancellationToken);

    private sealed class Candidate
    {
        public string ShareId { get; set; } = "";

        public string Pk { get; set; } = "";

        public string Dk { get; set; } = "";
    }

    private static readonly string DeadSql = $"({LiveShares.Expired("s")} OR NOT {LiveShares.OwnerHolds("s")})";

    /// <summary>Removes every expired or ownerless share; returns how many went.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        var total = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var removed = await db.WriteAsync(async tx =>
            {
                var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
                var batch = (await tx.QueryAsync<Candidate>(
                    $"SELECT s.share_id, s.pk, s.dk FROM device_shares s WHERE {DeadSql} ORDER BY s.pk, s.dk, s.share_id LIMIT @Batch",
                    new { Now = now, Batch = PruneBatch })).ToList();
                var count = 0;
                foreach (var device in batch.GroupBy(c => (c.Pk, c.Dk)))
                {
                    await BindingCore.LockDeviceAsync(tx, device.Key.Pk, new DeviceTarget.ByDk(device.Key.Dk));
                    foreach (var share in device)
                    {
                        var stillDead = await tx.ExecuteScalarAsync<long>(
                            $"SELECT COUNT(*) FROM device_shares s WHERE s.share_id = @Id AND {DeadSql}", new { Id = share.ShareId, Now = now });
                        if (stillDead > 0 && await BindingLifecycle.RemoveShareAsync(tx, share.ShareId, BindingActor.System, now))
                        {
                            count++;
                        }
                    }
                }
                return (Seen: batch.Count, Removed: count);
            }, cancellationToken);
            total += removed.Removed;
            if (removed.Seen < PruneBatch)
            {
                break;
            }
        }
        return total;
    }
}
