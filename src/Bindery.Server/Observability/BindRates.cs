using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Bindery.Observability;

/// <summary>
/// This node's bind attempts per minute over the last <see cref="Minutes"/> minutes, by method, outcome and catalogued
/// code: the admin console's dashboard (docs/console.md). Fed by <see cref="BinderyMetrics.Bind"/>, next to the
/// <c>bindery.binds</c> counter, with the same tag values (never an id, key, code or token). In memory and per node:
/// a cluster-wide view comes from the counter in Prometheus (docs/operations.md). A record costs a clock read, a
/// dictionary lookup of a few interned strings and an atomic add.
/// </summary>
public sealed class BindRates(TimeProvider clock)
{
    public const int Minutes = 60;

    private const long MinuteMs = 60_000;

    private readonly Bucket?[] _buckets = new Bucket?[Minutes];

    /// <summary>One minute's counts (by method, outcome, code).</summary>
    private sealed class Bucket(long minute)
    {
        public long Minute { get; } = minute;

        public ConcurrentDictionary<(string Method, string Outcome, string Code), StrongBox<long>> Counts { get; } = new();
    }

    public sealed record Row(long MinuteStart, string Method, string Outcome, string Code, long Count);

    public void Record(string method, string outcome, string code)
    {
        var minute = clock.GetUtcNow().ToUnixTimeMilliseconds() / MinuteMs;
        var slot = (int)(minute % Minutes);
        var bucket = Volatile.Read(ref _buckets[slot]);
        if (bucket is null || bucket.Minute != minute)
        {
            if (bucket is not null && bucket.Minute > minute)
            {
                return; // a clock that went back by an hour or more: nothing sensible to count into
            }
            var fresh = new Bucket(minute);
            bucket = Interlocked.CompareExchange(ref _buckets[slot], fresh, bucket) == bucket ? fresh : Volatile.Read(ref _buckets[slot])!;
            if (bucket.Minute != minute)
            {
                return;
            }
        }
        Interlocked.Increment(ref bucket.Counts.GetOrAdd((method, outcome, code), static _ => new StrongBox<long>()).Value);
    }

    /// <summary>The counts of the last <see cref="Minutes"/> minutes (the current one included), oldest first.</summary>
    public IReadOnlyList<Row> Snapshot()
    {
        var current = clock.GetUtcNow().ToUnixTimeMilliseconds() / MinuteMs;
        var rows = new List<Row>();
        foreach (var bucket in _buckets)
        {
            if (bucket is null || bucket.Minute <= current - Minutes || bucket.Minute > current)
            {
                continue;
            }
            foreach (var ((method, outcome, code), count) in bucket.Counts)
            {
                rows.Add(new Row(bucket.Minute * MinuteMs, method, outcome, code, Interlocked.Read(ref count.Value)));
            }
        }
        return rows.OrderBy(r => r.MinuteStart).ThenBy(r => r.Method, StringComparer.Ordinal).ThenBy(r => r.Code, StringComparer.Ordinal).ToList();
    }

    /// <summary>The start (Unix ms) of the minute now in progress.</summary>
    public long CurrentMinuteStart => clock.GetUtcNow().ToUnixTimeMilliseconds() / MinuteMs * MinuteMs;
}
