using System.Diagnostics.Metrics;

namespace Bindery.Webhooks;

/// <summary>
/// The webhook instruments on the <c>Bindery</c> meter (docs/operations.md): <c>bindery.webhook.deliveries</c>, a
/// counter of finished attempts by <c>outcome</c> (<c>delivered</c>; <c>failed</c>: the attempt failed and the delivery
/// will be retried; <c>dead_lettered</c>: the last attempt failed), and <c>bindery.webhook.pending</c>, the deliveries
/// still to be sent (cluster-wide: every node reports the database's count, refreshed every few seconds).
/// </summary>
public sealed class WebhookMetrics
{
    public const string MeterName = "Bindery";
    private static readonly KeyValuePair<string, object?> OutcomeDelivered = new("outcome", "delivered");
    private static readonly KeyValuePair<string, object?> OutcomeFailed = new("outcome", "failed");
    private static readonly KeyValuePair<string, object?> OutcomeDead = new("outcome", "dead_lettered");
    private readonly Counter<long> _deliveries;
    private long _pending;

    public WebhookMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _deliveries = meter.CreateCounter<long>("bindery.webhook.deliveries", "{attempt}",
            "Webhook delivery attempts finished, by outcome (delivered, failed = will be retried, dead_lettered)");
        meter.CreateObservableGauge("bindery.webhook.pending", () => Interlocked.Read(ref _pending), "{delivery}",
            "Webhook deliveries waiting to be sent or retried (whole cluster)");
    }

    public long Pending
    {
        get => Interlocked.Read(ref _pending);
        set => Interlocked.Exchange(ref _pending, value);
    }

    public void Delivered(int count) => Add(count, OutcomeDelivered);

    public void Failed(int count) => Add(count, OutcomeFailed);

    public void DeadLettered(int count) => Add(count, OutcomeDead);

    private void Add(int count, KeyValuePair<string, object?> outcome)
    {
        if (count > 0)
        {
            _deliveries.Add(count, outcome);
        }
    }
}
