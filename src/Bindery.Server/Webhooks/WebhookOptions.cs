namespace Bindery.Webhooks;

/// <summary>The <c>Webhooks</c> settings (docs/events.md, "Webhooks"). Must be the same on every node.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>Whether this node runs the delivery worker (the admin API works either way).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Attempts of one delivery before it becomes dead (a dead letter, re-triggerable by the admin).</summary>
    public int MaxAttempts { get; set; } = 12;

    /// <summary>The wait after the first failed attempt; doubled after each further one, up to <see cref="RetryMaxDelay"/>, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The whole of one POST (connect, send, response headers); past it the attempt failed.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>POSTs in flight on this node at once, over all endpoints.</summary>
    public int MaxConcurrency { get; set; } = 32;

    /// <summary>POSTs in flight on this node to one endpoint at once, so a slow endpoint cannot take every slot.</summary>
    public int MaxConcurrencyPerEndpoint { get; set; } = 8;

    /// <summary>How often the worker looks for new events and due retries when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How old an event must be before an endpoint's cursor moves past it. On PostgreSQL a transaction may commit
    /// after one with a higher seq; the cursor waits this long so that it does not skip it. Unset: zero on SQLite
    /// (one writer: seq order is commit order), 2 s on PostgreSQL.
    /// </summary>
    public TimeSpan? FanOutSettle { get; set; }

    /// <summary>
    /// Allow URLs and connections to loopback, private, link-local and other non-public addresses (default false:
    /// refused at registration and at connect time, against SSRF). For a receiver on the same host or network.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Delivered and dead deliveries older than this are deleted (zero or negative keeps them).</summary>
    public TimeSpan DeliveryRetention { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);
}
