using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Bindery.Protocol;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Webhooks;

/// <summary>
/// Delivers binding events to webhook endpoints (docs/events.md, "Webhooks"), on every node, never in a request's
/// path. Each pass:
/// <list type="number">
/// <item><b>Fan-out.</b> For each endpoint, the events past its durable cursor (<c>webhook_endpoints.cursor_seq</c>)
/// that match its scope and kinds become <c>pending</c> rows of <c>webhook_deliveries</c>; the cursor moves in the same
/// write, by a conditional update (two nodes never fan the same range out twice; the primary key would absorb it anyway).</item>
/// <item><b>Claim.</b> Due pending deliveries whose device has no earlier pending delivery for the same endpoint (in
/// order per device) are claimed with a conditional update that sets a lease (<c>lease_owner</c>, <c>lease_until</c>)
/// and counts the attempt: two nodes never both send one delivery while its lease runs; a node that dies mid-send
/// leaves a lease that expires, and the delivery is sent again (at least once).</item>
/// <item><b>Send.</b> POST, signed, with a timeout, at most <see cref="WebhookOptions.MaxConcurrency"/> at once and
/// <see cref="WebhookOptions.MaxConcurrencyPerEndpoint"/> per endpoint; outcomes are written back in one write per
/// pass: delivered, retried later (exponential backoff with jitter), or dead after <see cref="WebhookOptions.MaxAttempts"/>.</item>
/// </list>
/// </summary>
public sealed class WebhookDispatcher(
    IDatabase db, IHttpClientFactory httpClients, TimeProvider clock, IOptions<WebhookOptions> options, WebhookMetrics metrics,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "Bindery.Webhooks";

    /// <summary>Events read per endpoint per fan-out write.</summary>
    public const int FanOutBatch = 500;

    /// <summary>Fan-out writes per endpoint per pass, so one busy endpoint does not hold up sending.</summary>
    private const int FanOutBatchesPerPass = 20;

    private static readonly TimeSpan PendingRefresh = TimeSpan.FromSeconds(5);
    /// <summary>A pass at most this often: each one writes, so finished sends are written back together.</summary>
    private static readonly TimeSpan MinPassGap = TimeSpan.FromMilliseconds(50);

    /// <summary>Claims a node holds per send slot (claimed, waiting for a slot or sending).</summary>
    private const int QueuedPerSlot = 16;

    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private readonly ConcurrentDictionary<Task, byte> _sends = new();
    private readonly Dictionary<string, int> _perEndpoint = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SemaphoreSlim> _endpointSlots = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _globalSlots = new(Math.Max(1, options.Value.MaxConcurrency));

    /// <summary>Claims held by this node: waiting for a slot or sending.</summary>
    private int _inFlight;
    private DateTimeOffset _nextPendingRefresh = DateTimeOffset.MinValue;

    /// <summary>This process's lease owner id (random per start).</summary>
    public string NodeId { get; } = "node-" + Secrets.NewId();

    private WebhookOptions Options => options.Value;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Starts a pass at once (an endpoint or a delivery changed, a send finished).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        _globalSlots.Dispose();
        foreach (var slots in _endpointSlots.Values)
        {
            slots.Dispose();
        }
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.Enabled)
        {
            return;
        }
        using var sending = new CancellationTokenSource();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await PassAsync(sending.Token, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning("Webhooks: a delivery pass failed ({ExceptionType}); trying again", e.GetType().Name);
                }
                var interval = Options.PollInterval > TimeSpan.Zero ? Options.PollInterval : TimeSpan.FromSeconds(1);
                await _wake.WaitAsync(interval, stoppingToken);
                await Task.Delay(MinPassGap, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: below.
        }
        await StopSendingAsync(sending);
    }

    /// <summary>One pass: write back finished sends, fan new events out, claim and start due deliveries.</summary>
    public async Task PassAsync(CancellationToken sendToken, CancellationToken cancellationToken)
    {
        await WriteOutcomesAsync(cancellationToken);
        var endpoints = (await db.ReadAsync(c => c.QueryAsync<WebhookRow>(
            "SELECT id, scope_type, scope_id, url, kinds, enabled, secret, cursor_seq FROM webhook_endpoints"), cancellationToken)).ToList();
        if (endpoints.Count == 0)
        {
            metrics.Pending = 0;
            return;
        }
        await FanOutAsync(endpoints, cancellationToken);
        await ClaimAndSendAsync(endpoints.Where(e => e.Enabled).ToDictionary(e => e.Id, StringComparer.Ordinal), sendToken, cancellationToken);
        if (clock.GetUtcNow() >= _nextPendingRefresh)
        {
            metrics.Pending = await db.ReadAsync(c => c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'"), cancellationToken);
            _nextPendingRefresh = clock.GetUtcNow() + PendingRefresh;
        }
    }

    private async Task FanOutAsync(List<WebhookRow> endpoints, CancellationToken cancellationToken)
    {
        var last = await db.ReadAsync(c => c.ExecuteScalarAsync<long?>("SELECT MAX(seq) FROM binding_events"), cancellationToken) ?? 0;
        foreach (var endpoint in endpoints.Where(e => e.CursorSeq < last))
        {
            for (var i = 0; i < FanOutBatchesPerPass; i++)
            {
                if (!await FanOutBatchAsync(endpoint, cancellationToken))
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Fans out the next batch past the endpoint's cursor; returns whether a full batch moved (more may wait). The
    /// events are read outside the write transaction (so that the write, SERIALIZABLE on PostgreSQL, never reads
    /// <c>binding_events</c> and cannot conflict with a bind), then inserted with the cursor's conditional move.
    /// </summary>
    private async Task<bool> FanOutBatchAsync(WebhookRow endpoint, CancellationToken cancellationToken)
    {
        var settle = Options.FanOutSettle ?? (db.Dialect == SqlDialect.Postgres ? TimeSpan.FromSeconds(2) : TimeSpan.Zero);
        var cutoff = Now - (long)settle.TotalMilliseconds;
        var kinds = endpoint.KindList;
        var scopeFilter = endpoint.ScopeType == WebhookService.ScopeProduct
            ? "e.pk = @ScopeId"
            : """
              EXISTS (SELECT 1 FROM users u WHERE u.domain_id = @ScopeId
                      AND u.id = COALESCE(e.user_id, e.owner_user_id, CASE WHEN e.actor_type = 'user' THEN e.actor_id END))
              """;
        var kindFilter = kinds.Length == 0 ? "" : " AND " + db.Dialect.InList("e.kind", "@Kinds");
        var (cursor, end, full, events) = await db.ReadAsync(async c =>
        {
            var cursor = await c.ExecuteScalarAsync<long?>("SELECT cursor_seq FROM webhook_endpoints WHERE id = @Id", new { endpoint.Id });
            if (cursor is null)
            {
                return (0L, 0L, false, new List<DeliveryRow>());
            }
            var seqs = (await c.QueryAsync<(long Seq, long OccurredAt)>(
                "SELECT seq, occurred_at FROM binding_events WHERE seq > @Cursor ORDER BY seq LIMIT @Batch",
                new { Cursor = cursor, Batch = FanOutBatch })).ToList();
            // The cursor stops before the first event younger than the settle time (PostgreSQL: a lower seq may still commit).
            var settled = seqs.TakeWhile(s => s.OccurredAt <= cutoff).ToList();
            if (settled.Count == 0)
            {
                return (cursor.Value, cursor.Value, false, new List<DeliveryRow>());
            }
            var end = settled[^1].Seq;
            var rows = endpoint.Enabled
                ? (await c.QueryAsync<DeliveryRow>(
                    $"""
                    SELECT event_id, seq AS event_seq, occurred_at, kind, pk, dk, user_id, fid, method, verified, binding_id, share_id,
                           owner_user_id, actor_type, actor_id
                    FROM binding_events e
                    WHERE e.seq > @Cursor AND e.seq <= @End AND {scopeFilter}{kindFilter}
                    ORDER BY e.seq
                    """,
                    new { Cursor = cursor, End = end, endpoint.ScopeId, Kinds = kinds })).ToList()
                : [];
            return (cursor.Value, end, settled.Count == FanOutBatch, rows);
        }, cancellationToken);
        if (end <= cursor)
        {
            return false;
        }
        var now = Now;
        foreach (var e in events)
        {
            e.EndpointId = endpoint.Id;
            e.OrderingKey = e.Pk is not null && e.Dk is not null ? e.Pk + "/" + e.Dk : e.Fid is not null ? "family/" + e.Fid : "event/" + e.EventId;
            e.NextAttemptAt = now;
        }
        var moved = await db.WriteAsync(async tx =>
        {
            if (await tx.ExecuteAsync("UPDATE webhook_endpoints SET cursor_seq = @End WHERE id = @Id AND cursor_seq = @Cursor",
                    new { End = end, endpoint.Id, Cursor = cursor }) == 0)
            {
                return false;
            }
            if (events.Count > 0)
            {
                await tx.ExecuteAsync(
                    """
                    INSERT INTO webhook_deliveries (endpoint_id, event_id, event_seq, ordering_key, occurred_at, kind, pk, dk, user_id, fid,
                        method, verified, binding_id, share_id, owner_user_id, actor_type, actor_id, state, attempts, next_attempt_at,
                        created_at, updated_at)
                    VALUES (@EndpointId, @EventId, @EventSeq, @OrderingKey, @OccurredAt, @Kind, @Pk, @Dk, @UserId, @Fid,
                        @Method, @Verified, @BindingId, @ShareId, @OwnerUserId, @ActorType, @ActorId, 'pending', 0, @NextAttemptAt,
                        @NextAttemptAt, @NextAttemptAt)
                    ON CONFLICT (endpoint_id, event_id) DO NOTHING
                    """, events);
            }
            return true;
        }, cancellationToken);
        endpoint.CursorSeq = end;
        return moved && full;
    }

    /// <summary>
    /// Claims due deliveries and starts sending them. A node holds at most <see cref="QueuedPerSlot"/> claims per send
    /// slot (per endpoint and overall): claims wait for a slot (<see cref="WebhookOptions.MaxConcurrencyPerEndpoint"/> per
    /// endpoint, <see cref="WebhookOptions.MaxConcurrency"/> overall), so one pass feeds many POSTs, and each claim's
    /// lease covers its wait: its place in the endpoint's queue ÷ the endpoint's slots, plus two, request timeouts, plus 5 s.
    /// </summary>
    private async Task ClaimAndSendAsync(Dictionary<string, WebhookRow> enabled, CancellationToken sendToken, CancellationToken cancellationToken)
    {
        var perEndpointCap = Math.Max(1, Options.MaxConcurrencyPerEndpoint);
        var room = Math.Max(1, Options.MaxConcurrency) * QueuedPerSlot - Volatile.Read(ref _inFlight);
        if (room <= 0 || enabled.Count == 0)
        {
            return;
        }
        var now = Now;
        // In next_attempt_at order straight off the partial index of pending rows (no join, no sort: the delivered
        // rows are never visited); the endpoint's URL and secret come from this pass's read of the endpoints.
        var candidates = (await db.ReadAsync(c => c.QueryAsync<Claim>(
            $"""
            SELECT {Prefixed("d")}
            FROM webhook_deliveries d
            WHERE d.state = 'pending' AND d.next_attempt_at <= @Now AND (d.lease_until IS NULL OR d.lease_until < @Now)
              AND {db.Dialect.InList("d.endpoint_id", "@Enabled")}
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                              WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key
                                AND p.state = 'pending' AND p.event_seq < d.event_seq)
            ORDER BY d.next_attempt_at
            LIMIT @Limit
            """,
            new { Now = now, Limit = Math.Min(room, 1000), Enabled = enabled.Keys.ToArray() }), cancellationToken)).ToList();
        if (candidates.Count == 0)
        {
            return;
        }
        var timeoutMs = (long)Options.RequestTimeout.TotalMilliseconds;
        var chosen = new List<(Claim Claim, long LeaseUntil)>();
        lock (_gate)
        {
            var planned = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var candidate in candidates)
            {
                if (!enabled.TryGetValue(candidate.EndpointId, out var endpoint))
                {
                    continue;
                }
                candidate.Url = endpoint.Url;
                candidate.Secret = endpoint.Secret;
                var position = _perEndpoint.GetValueOrDefault(candidate.EndpointId) + planned.GetValueOrDefault(candidate.EndpointId);
                if (position < perEndpointCap * QueuedPerSlot)
                {
                    chosen.Add((candidate, now + (position / perEndpointCap + 2) * timeoutMs + 5_000));
                    planned[candidate.EndpointId] = position + 1 - _perEndpoint.GetValueOrDefault(candidate.EndpointId);
                }
            }
        }
        if (chosen.Count == 0)
        {
            return;
        }
        var claimed = await db.WriteAsync(async tx =>
        {
            var won = new List<Claim>();
            foreach (var (claim, leaseUntil) in chosen)
            {
                if (await tx.ExecuteAsync(
                        """
                        UPDATE webhook_deliveries SET lease_owner = @Node, lease_until = @LeaseUntil, attempts = attempts + 1, updated_at = @Now
                        WHERE endpoint_id = @EndpointId AND event_id = @EventId AND state = 'pending' AND attempts = @Attempts
                          AND (lease_until IS NULL OR lease_until < @Now)
                        """,
                        new { Node = NodeId, LeaseUntil = leaseUntil, Now = now, claim.EndpointId, claim.EventId, claim.Attempts }) == 1)
                {
                    won.Add(claim);
                }
            }
            return won;
        }, cancellationToken);
        var client = httpClients.CreateClient(HttpClientName);
        foreach (var claim in claimed)
        {
            claim.Attempts++;
            SemaphoreSlim slots;
            lock (_gate)
            {
                _perEndpoint[claim.EndpointId] = _perEndpoint.GetValueOrDefault(claim.EndpointId) + 1;
                if (!_endpointSlots.TryGetValue(claim.EndpointId, out slots!))
                {
                    slots = new SemaphoreSlim(perEndpointCap, perEndpointCap);
                    _endpointSlots[claim.EndpointId] = slots;
                }
            }
            Interlocked.Increment(ref _inFlight);
            var task = SendWhenFreeAsync(client, claim, slots, sendToken);
            _sends[task] = 0;
            _ = task.ContinueWith(t => _sends.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    /// <summary>Waits for a slot of the endpoint and one of the node, then sends.</summary>
    private async Task SendWhenFreeAsync(HttpClient client, Claim claim, SemaphoreSlim endpointSlots, CancellationToken sendToken)
    {
        var haveEndpoint = false;
        var haveGlobal = false;
        try
        {
            await endpointSlots.WaitAsync(sendToken);
            haveEndpoint = true;
            await _globalSlots.WaitAsync(sendToken);
            haveGlobal = true;
            await SendAsync(client, claim, sendToken);
        }
        catch (OperationCanceledException)
        {
            Finished(new Outcome(claim, OutcomeKind.Abandoned, null, "the node stopped before sending"));
        }
        finally
        {
            if (haveGlobal)
            {
                _globalSlots.Release();
            }
            if (haveEndpoint)
            {
                endpointSlots.Release();
            }
        }
    }

    private async Task SendAsync(HttpClient client, Claim claim, CancellationToken sendToken)
    {
        Outcome outcome;
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(claim.ToPayload());
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, claim.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.Add(WebhookSignature.EventIdHeader, claim.EventId);
            request.Headers.Add(WebhookSignature.EventKindHeader, claim.Kind);
            request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(claim.Secret, timestamp, body));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(sendToken);
            timeout.CancelAfter(Options.RequestTimeout);
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var status = (int)response.StatusCode;
                outcome = status is >= 200 and < 300
                    ? new Outcome(claim, OutcomeKind.Delivered, status, null)
                    : new Outcome(claim, OutcomeKind.Failed, status, $"HTTP {status}");
            }
            catch (OperationCanceledException) when (!sendToken.IsCancellationRequested)
            {
                outcome = new Outcome(claim, OutcomeKind.Failed, null, $"timeout after {Options.RequestTimeout.TotalSeconds:0.###} s");
            }
            catch (HttpRequestException e)
            {
                outcome = new Outcome(claim, OutcomeKind.Failed, null, Describe(e));
            }
        }
        catch (OperationCanceledException)
        {
            outcome = new Outcome(claim, OutcomeKind.Abandoned, null, "the node stopped while sending");
        }
        catch (Exception e)
        {
            outcome = new Outcome(claim, OutcomeKind.Failed, null, e.GetType().Name);
        }
        Finished(outcome);
    }

    private void Finished(Outcome outcome)
    {
        _outcomes.Enqueue(outcome);
        lock (_gate)
        {
            var left = _perEndpoint.GetValueOrDefault(outcome.Claim.EndpointId) - 1;
            if (left <= 0)
            {
                _perEndpoint.Remove(outcome.Claim.EndpointId);
            }
            else
            {
                _perEndpoint[outcome.Claim.EndpointId] = left;
            }
        }
        Interlocked.Decrement(ref _inFlight);
        Wake();
    }

    private static string Describe(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is RefusedAddressException)
            {
                return "refused: the host has no public address (Webhooks:AllowPrivateNetworks is off)";
            }
        }
        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "the host name did not resolve",
            HttpRequestError.ConnectionError => "could not connect",
            HttpRequestError.SecureConnectionError => "TLS handshake failed",
            _ => "request failed: " + e.HttpRequestError,
        };
    }

    /// <summary>Writes back every finished send in one write (delivered, retry later, dead), and counts them.</summary>
    private async Task WriteOutcomesAsync(CancellationToken cancellationToken)
    {
        var batch = new List<Outcome>();
        while (_outcomes.TryDequeue(out var outcome))
        {
            batch.Add(outcome);
        }
        if (batch.Count == 0)
        {
            return;
        }
        var now = Now;
        var maxAttempts = Math.Max(1, Options.MaxAttempts);
        try
        {
            await db.WriteAsync(async tx =>
            {
                foreach (var o in batch)
                {
                    var key = new { Node = NodeId, Now = now, o.Claim.EndpointId, o.Claim.EventId, o.Status, o.Error };
                    switch (o.Kind)
                    {
                        case OutcomeKind.Delivered:
                            await tx.ExecuteAsync(
                                """
                                UPDATE webhook_deliveries SET state = 'delivered', delivered_at = @Now, last_status = @Status, last_error = NULL,
                                    lease_owner = NULL, lease_until = NULL, updated_at = @Now
                                WHERE endpoint_id = @EndpointId AND event_id = @EventId AND state = 'pending'
                                """, key);
                            break;
                        case OutcomeKind.Failed when o.Claim.Attempts >= maxAttempts:
                            await tx.ExecuteAsync(
                                """
                                UPDATE webhook_deliveries SET state = 'dead', last_status = @Status, last_error = @Error,
                                    lease_owner = NULL, lease_until = NULL, updated_at = @Now
                                WHERE endpoint_id = @EndpointId AND event_id = @EventId AND state = 'pending' AND lease_owner = @Node
                                """, key);
                            break;
                        case OutcomeKind.Failed:
                            await tx.ExecuteAsync(
                                """
                                UPDATE webhook_deliveries SET next_attempt_at = @Next, last_status = @Status, last_error = @Error,
                                    lease_owner = NULL, lease_until = NULL, updated_at = @Now
                                WHERE endpoint_id = @EndpointId AND event_id = @EventId AND state = 'pending' AND lease_owner = @Node
                                """, new { key.Node, key.Now, key.EndpointId, key.EventId, key.Status, key.Error, Next = now + Backoff(o.Claim.Attempts) });
                            break;
                        default:
                            await tx.ExecuteAsync(
                                """
                                UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL, attempts = attempts - 1, updated_at = @Now
                                WHERE endpoint_id = @EndpointId AND event_id = @EventId AND state = 'pending' AND lease_owner = @Node
                                """, key);
                            break;
                    }
                }
                return 0;
            }, cancellationToken);
        }
        catch
        {
            // Not written: try again next pass (the leases still hold the rows meanwhile).
            foreach (var o in batch)
            {
                _outcomes.Enqueue(o);
            }
            throw;
        }
        metrics.Delivered(batch.Count(o => o.Kind == OutcomeKind.Delivered));
        metrics.Failed(batch.Count(o => o.Kind == OutcomeKind.Failed && o.Claim.Attempts < maxAttempts));
        metrics.DeadLettered(batch.Count(o => o.Kind == OutcomeKind.Failed && o.Claim.Attempts >= maxAttempts));
        var dead = batch.Count(o => o.Kind == OutcomeKind.Failed && o.Claim.Attempts >= maxAttempts);
        if (dead > 0)
        {
            logger.LogWarning("Webhooks: {Count} deliveries became dead after {MaxAttempts} attempts", dead, maxAttempts);
        }
    }

    /// <summary>The wait after the <paramref name="attempts"/>-th failed attempt: base × 2^(n−1), capped, the upper half jittered.</summary>
    public long Backoff(int attempts)
    {
        var ceiling = Math.Min(Options.RetryMaxDelay.TotalMilliseconds,
            Options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempts - 1, 0, 30)));
        return (long)(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    /// <summary>Lets sends in flight finish (a few seconds at most), cancels the rest, writes what is known and frees the leases.</summary>
    private async Task StopSendingAsync(CancellationTokenSource sending)
    {
        try
        {
            var pending = _sends.Keys.ToArray();
            if (pending.Length > 0)
            {
                await Task.WhenAny(Task.WhenAll(pending), Task.Delay(TimeSpan.FromSeconds(3)));
                await sending.CancelAsync();
                await Task.WhenAll(_sends.Keys.ToArray());
            }
            await WriteOutcomesAsync(CancellationToken.None);
            await db.WriteAsync(tx => tx.ExecuteAsync(
                "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @Node AND state = 'pending'",
                new { Node = NodeId }));
        }
        catch (Exception e)
        {
            logger.LogWarning("Webhooks: could not release this node's deliveries at shutdown ({ExceptionType}); their leases expire", e.GetType().Name);
        }
    }

    private static string Prefixed(string alias) => string.Join(", ",
        "endpoint_id, event_id, event_seq, ordering_key, occurred_at, kind, pk, dk, user_id, fid, method, verified, binding_id, share_id, owner_user_id, actor_type, actor_id, attempts"
            .Split(", ").Select(c => alias + "." + c));

    private enum OutcomeKind
    {
        Delivered,
        Failed,
        Abandoned,
    }

    private sealed record Outcome(Claim Claim, OutcomeKind Kind, int? Status, string? Error);

    /// <summary>A due delivery with where and how to send it.</summary>
    private sealed class Claim
    {
        public string EndpointId { get; set; } = "";

        public string EventId { get; set; } = "";

        public long EventSeq { get; set; }

        public string OrderingKey { get; set; } = "";

        public long OccurredAt { get; set; }

        public string Kind { get; set; } = "";

        public string? Pk { get; set; }

        public string? Dk { get; set; }

        public string? UserId { get; set; }

        public string? Fid { get; set; }

        public string? Method { get; set; }

        public bool? Verified { get; set; }

        public string? BindingId { get; set; }

        public string? ShareId { get; set; }

        public string? OwnerUserId { get; set; }

        public string ActorType { get; set; } = "";

        public string? ActorId { get; set; }

        public int Attempts { get; set; }

        public string Url { get; set; } = "";

        public string Secret { get; set; } = "";

        public WebhookPayload ToPayload() => new DeliveryRow
        {
            EndpointId = EndpointId, EventId = EventId, EventSeq = EventSeq, OccurredAt = OccurredAt, Kind = Kind, Pk = Pk, Dk = Dk,
            UserId = UserId, Fid = Fid, Method = Method, Verified = Verified, BindingId = BindingId, ShareId = ShareId,
            OwnerUserId = OwnerUserId, ActorType = ActorType, ActorId = ActorId,
        }.ToPayload();
    }
}
