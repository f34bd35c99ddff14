using System.Collections.Concurrent;
using System.Text.Json;
using Bindery.Binding;
using Bindery.Protocol;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Webhooks;

/// <summary>
/// Delivers binding events to webhook endpoints (docs/events.md, "Webhooks"), on every node, never in a request's
/// path. Two paths:
/// <list type="number">
/// <item><b>Cursor (the common path).</b> Per endpoint, the node holding its lease (<c>webhook_endpoints.lease_owner</c>,
/// <c>lease_until</c>: a conditional update takes it when free or expired) reads a batch of events past the endpoint's
/// durable cursor on a reader connection, POSTs them (devices concurrently, each device's events one after another in seq
/// order) and then makes ONE write per batch: the cursor moves (conditional on the cursor and the lease), the lease is
/// renewed, one <c>webhook_batches</c> row stands for every event delivered at its first attempt (no row of its own: the
/// common case costs the single writer one row per batch, not one per event), and the rest get delivery rows, in one
/// multi-row INSERT per <see cref="RowsPerInsert"/> rows: <c>pending</c> for retry (its first attempt failed),
/// <c>pending</c> waiting behind an earlier undelivered event of the same device (in memory within a batch; through the
/// pending rows across batches) or <c>dead</c>. A node that dies mid-batch wrote nothing: the next lease holder sends
/// the batch again (at least once).</item>
/// <item><b>Rows (retries).</b> Due pending deliveries whose device has no earlier pending delivery for the same endpoint
/// are claimed with a conditional update that sets a lease and counts the attempt, POSTed, and their outcomes written
/// back in one write per pass: delivered, retried later (exponential backoff with jitter), or dead after
/// <see cref="WebhookOptions.MaxAttempts"/>.</item>
/// </list>
/// Both paths share the send slots: at most <see cref="WebhookOptions.MaxConcurrency"/> POSTs at once and
/// <see cref="WebhookOptions.MaxConcurrencyPerEndpoint"/> per endpoint.
/// </summary>
public sealed class WebhookDispatcher(
    IDatabase db, IHttpClientFactory httpClients, TimeProvider clock, IOptions<WebhookOptions> options, WebhookMetrics metrics,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "Bindery.Webhooks";

    /// <summary>Events read past an endpoint's cursor per batch (one write per batch).</summary>
    public const int CursorBatch = 1000;

    /// <summary>Batches of one endpoint per run of its cursor loop; then it yields to the next pass.</summary>
    private const int BatchesPerRun = 20;

    /// <summary>Delivery rows per multi-row INSERT (about 10 parameters each).</summary>
    private const int RowsPerInsert = 50;

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

    /// <summary>The endpoints whose cursor this node is moving now (one loop each).</summary>
    private readonly ConcurrentDictionary<string, Task> _cursors = new(StringComparer.Ordinal);

    /// <summary>The endpoint leases this node holds, with when they run out (as last written).</summary>
    private readonly ConcurrentDictionary<string, long> _leases = new(StringComparer.Ordinal);

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
        await StartCursorsAsync(endpoints, sendToken, cancellationToken);
        await ClaimAndSendAsync(endpoints.Where(e => e.Enabled).ToDictionary(e => e.Id, StringComparer.Ordinal), sendToken, cancellationToken);
        if (clock.GetUtcNow() >= _nextPendingRefresh)
        {
            metrics.Pending = await db.ReadAsync(c => c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'"), cancellationToken);
            _nextPendingRefresh = clock.GetUtcNow() + PendingRefresh;
        }
    }

    /// <summary>
    /// Starts the cursor delivery of every endpoint with events past its cursor that this node is not already
    /// delivering (one batch loop per endpoint at a time; the loop ends when it caught up, lost the lease or did
    /// <see cref="BatchesPerRun"/> batches).
    /// </summary>
    private async Task StartCursorsAsync(List<WebhookRow> endpoints, CancellationToken sendToken, CancellationToken cancellationToken)
    {
        var last = await db.ReadAsync(c => c.ExecuteScalarAsync<long?>("SELECT MAX(seq) FROM binding_events"), cancellationToken) ?? 0;
        foreach (var endpoint in endpoints.Where(e => e.CursorSeq < last))
        {
            if (_cursors.ContainsKey(endpoint.Id))
            {
                continue;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_cursors.TryAdd(endpoint.Id, done.Task))
            {
                continue;
            }
            var task = RunCursorAsync(endpoint.Id, sendToken, cancellationToken);
            _sends[task] = 0;
            _ = task.ContinueWith(t =>
            {
                _sends.TryRemove(t, out _);
                _cursors.TryRemove(endpoint.Id, out _);
                done.TrySetResult();
            }, TaskScheduler.Default);
        }
    }

    private async Task RunCursorAsync(string endpointId, CancellationToken sendToken, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            for (var i = 0; i < BatchesPerRun && !sendToken.IsCancellationRequested; i++)
            {
                if (!await CursorBatchAsync(endpointId, sendToken, cancellationToken))
                {
                    return;
                }
            }
            // More is waiting: go on in the next pass at once.
            Wake();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _leases.TryRemove(endpointId, out _);
            logger.LogWarning("Webhooks: a cursor batch failed ({ExceptionType}); its events are sent again", e.GetType().Name);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the batch is not written, its events are sent again by whoever moves the cursor next.
        }
    }

    /// <summary>
    /// One batch of the endpoint's cursor: take (or keep) the endpoint's lease, read up to <see cref="CursorBatch"/>
    /// settled events past the cursor on a reader connection, POST them (devices concurrently, each device's events one
    /// after another, a device's later events held back behind one that was not delivered), then ONE write moves the
    /// cursor (conditional on the cursor and the lease: a node that lost the lease writes nothing and its events are
    /// sent again by the new owner, at least once), renews the lease, records the first-attempt deliveries as one
    /// <c>webhook_batches</c> row and inserts, in one multi-row statement per <see cref="RowsPerInsert"/> rows, a delivery
    /// row for every other event: pending for retry (its first attempt failed), pending waiting behind an earlier
    /// undelivered event of its device, or dead. Returns whether a full batch moved (more may wait).
    /// </summary>
    private async Task<bool> CursorBatchAsync(string endpointId, CancellationToken sendToken, CancellationToken cancellationToken)
    {
        var timeoutMs = (long)Options.RequestTimeout.TotalMilliseconds;
        var leaseSpan = 2 * timeoutMs + 5_000;
        var now = Now;
        if (!_leases.TryGetValue(endpointId, out var leaseUntil) || leaseUntil - now < timeoutMs + 5_000 + Math.Max(timeoutMs / 2, 500))
        {
            leaseUntil = now + leaseSpan;
            var took = await db.WriteAsync(tx => tx.ExecuteAsync(
                """
                UPDATE webhook_endpoints SET lease_owner = @Node, lease_until = @Until
                WHERE id = @Id AND (lease_owner IS NULL OR lease_owner = @Node OR lease_until < @Now)
                """, new { Node = NodeId, Until = leaseUntil, Id = endpointId, Now = now }), cancellationToken);
            if (took == 0)
            {
                _leases.TryRemove(endpointId, out _);
                return false;
            }
            _leases[endpointId] = leaseUntil;
        }

        var settle = Options.FanOutSettle ?? (db.Dialect == SqlDialect.Postgres ? TimeSpan.FromSeconds(2) : TimeSpan.Zero);
        var cutoff = now - (long)settle.TotalMilliseconds;
        var read = await db.ReadAsync(async c =>
        {
            var endpoint = await c.QuerySingleOrDefaultAsync<WebhookRow>(
                "SELECT id, scope_type, scope_id, url, kinds, enabled, secret, cursor_seq, lease_owner FROM webhook_endpoints WHERE id = @Id",
                new { Id = endpointId });
            if (endpoint is null || endpoint.LeaseOwner != NodeId)
            {
                return null;
            }
            var seqs = (await c.QueryAsync<(long Seq, long OccurredAt)>(
                "SELECT seq, occurred_at FROM binding_events WHERE seq > @Cursor ORDER BY seq LIMIT @Batch",
                new { Cursor = endpoint.CursorSeq, Batch = CursorBatch })).ToList();
            // The cursor stops before the first event younger than the settle time (PostgreSQL: a lower seq may still commit).
            var settled = seqs.TakeWhile(s => s.OccurredAt <= cutoff).ToList();
            if (settled.Count == 0)
            {
                return new CursorRead(endpoint, endpoint.CursorSeq, false, [], []);
            }
            var end = settled[^1].Seq;
            if (!endpoint.Enabled)
            {
                return new CursorRead(endpoint, end, settled.Count == CursorBatch, [], []);
            }
            var kinds = endpoint.KindList;
            var kindFilter = kinds.Length == 0 ? "" : " AND " + db.Dialect.InList("e.kind", "@Kinds");
            var events = (await c.QueryAsync<DeliveryRow>(
                $"""
                SELECT event_id, seq AS event_seq, occurred_at, kind, pk, dk, user_id, fid, method, verified, binding_id, share_id,
                       owner_user_id, actor_type, actor_id
                FROM binding_events e
                WHERE e.seq > @Cursor AND e.seq <= @End AND {WebhookEventFilter.Scope(endpoint.ScopeType)}{kindFilter}
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = @Id AND d.event_id = e.event_id)
                ORDER BY e.seq
                """,
                new { Cursor = endpoint.CursorSeq, End = end, endpoint.ScopeId, Kinds = kinds, Id = endpointId })).ToList();
            // Devices with a pending delivery row (a retry, or events waiting behind one): their new events wait too.
            var blocked = events.Count == 0
                ? []
                : (await c.QueryAsync<string>(
                    "SELECT DISTINCT ordering_key FROM webhook_deliveries WHERE endpoint_id = @Id AND state = 'pending'",
                    new { Id = endpointId })).ToHashSet(StringComparer.Ordinal);
            return new CursorRead(endpoint, end, settled.Count == CursorBatch, events, blocked);
        }, cancellationToken);
        if (read is null)
        {
            _leases.TryRemove(endpointId, out _);
            return false;
        }
        if (read.End <= read.Endpoint.CursorSeq)
        {
            return false;
        }

        // Send: one task per device, each sending its events in seq order; the endpoint's and the node's send slots
        // bound how many POSTs are in flight. No POST starts once the lease could run out before it ends.
        var sendUntil = leaseUntil - timeoutMs - 5_000;
        var maxAttempts = Math.Max(1, Options.MaxAttempts);
        var target = new Target(read.Endpoint.Url, WebhookSignature.Key(read.Endpoint.Secret), endpointId);
        var slots = EndpointSlots(endpointId);
        var client = httpClients.CreateClient(HttpClientName);
        foreach (var e in read.Events)
        {
            e.EndpointId = endpointId;
            e.OrderingKey = OrderingKey(e);
        }
        // Each device's events in seq order, one after another; devices concurrently. A device whose event is not
        // delivered (failed, or out of lease time) holds its later events back as pending rows behind it; a device
        // with a pending row already (a retry) gets all its new events as pending rows behind that one.
        var chains = new List<List<DeliveryRow>>();
        foreach (var group in read.Events.GroupBy(e => e.OrderingKey, StringComparer.Ordinal))
        {
            if (read.Blocked.Contains(group.Key))
            {
                foreach (var e in group)
                {
                    e.State = DeliveryStates.Pending;
                    e.Attempts = 0;
                }
                continue;
            }
            chains.Add(group.ToList());
        }
        await Task.WhenAll(chains.Select(async chain =>
        {
            var heldBack = false;
            foreach (var e in chain)
            {
                if (heldBack || Now >= sendUntil || sendToken.IsCancellationRequested)
                {
                    // Behind an undelivered event of the device, or out of lease time: the retry path sends it.
                    e.State = DeliveryStates.Pending;
                    e.Attempts = 0;
                    heldBack = true;
                    continue;
                }
                var (kind, status, error) = await SendWithSlotsAsync(client, target, e, slots, sendToken);
                e.Attempts = 1;
                e.LastStatus = status;
                e.LastError = error;
                switch (kind)
                {
                    case OutcomeKind.Delivered:
                        e.State = DeliveryStates.Delivered;
                        break;
                    case OutcomeKind.Failed when maxAttempts <= 1:
                        // Dead at once: a dead letter does not hold its device's later events back.
                        e.State = DeliveryStates.Dead;
                        break;
                    case OutcomeKind.Failed:
                        e.State = DeliveryStates.Pending;
                        heldBack = true;
                        break;
                    default:
                        // Abandoned at shutdown: the batch is not written.
                        e.State = "";
                        return;
                }
            }
        }));
        if (sendToken.IsCancellationRequested || read.Events.Any(e => e.State.Length == 0))
        {
            return false;
        }

        // Delivered at the first attempt: no row, the batch's one webhook_batches row stands for them. Everything
        // else gets its delivery row.
        var written = Now;
        var newLease = written + leaseSpan;
        var rows = new List<DeliveryRow>();
        var delivered = 0;
        int? deliveredStatus = null;
        var statusesDiffer = false;
        foreach (var e in read.Events)
        {
            if (e.State == DeliveryStates.Delivered)
            {
                delivered++;
                statusesDiffer |= delivered > 1 && deliveredStatus != e.LastStatus;
                deliveredStatus = e.LastStatus;
                continue;
            }
            e.NextAttemptAt = e.State == DeliveryStates.Pending && e.Attempts > 0 ? written + Backoff(1) : written;
            e.DeliveredAt = null;
            rows.Add(e);
        }
        var moved = await db.WriteAsync(async tx =>
        {
            if (await tx.ExecuteAsync(
                    """
                    UPDATE webhook_endpoints SET cursor_seq = @End, lease_until = @Until
                    WHERE id = @Id AND cursor_seq = @Cursor AND lease_owner = @Node
                    """,
                    new { read.End, Until = newLease, Id = endpointId, Cursor = read.Endpoint.CursorSeq, Node = NodeId }) == 0)
            {
                return false;
            }
            if (delivered > 0)
            {
                await tx.ExecuteAsync(
                    """
                    INSERT INTO webhook_batches (endpoint_id, after_seq, last_seq, kinds, delivered, status, delivered_at)
                    VALUES (@Id, @Cursor, @End, @Kinds, @Delivered, @Status, @Now)
                    """,
                    new
                    {
                        Id = endpointId, Cursor = read.Endpoint.CursorSeq, read.End, read.Endpoint.Kinds, Delivered = delivered,
                        Status = statusesDiffer ? null : deliveredStatus, Now = written,
                    });
            }
            for (var i = 0; i < rows.Count; i += RowsPerInsert)
            {
                await InsertRowsAsync(tx, rows.GetRange(i, Math.Min(RowsPerInsert, rows.Count - i)), written);
            }
            return true;
        }, CancellationToken.None);
        if (!moved)
        {
            // Another node took the lease over (ours ran out) or the endpoint is gone: it sends these events again.
            _leases.TryRemove(endpointId, out _);
            return false;
        }
        _leases[endpointId] = newLease;
        metrics.Delivered(delivered);
        metrics.Failed(rows.Count(e => e.State == DeliveryStates.Pending && e.Attempts > 0));
        var dead = rows.Count(e => e.State == DeliveryStates.Dead);
        if (dead > 0)
        {
            metrics.DeadLettered(dead);
            logger.LogWarning("Webhooks: {Count} deliveries became dead after {MaxAttempts} attempts", dead, maxAttempts);
        }
        if (rows.Any(e => e.State == DeliveryStates.Pending))
        {
            Wake();
        }
        return read.Full;
    }

    private const string InsertHead =
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_seq, ordering_key, occurred_at, kind, pk, dk, user_id, fid, method, "
        + "verified, binding_id, share_id, owner_user_id, actor_type, actor_id, state, attempts, next_attempt_at, last_status, last_error, "
        + "created_at, updated_at, delivered_at) VALUES ";

    /// <summary>
    /// One multi-row INSERT of up to <see cref="RowsPerInsert"/> delivery rows (a row already there stays). Built on
    /// a plain command, not Dapper: the strings are parameters, numbers, booleans, states and NULLs are literals, and
    /// the endpoint id and the time are one shared parameter each, so a statement carries ~10 parameters per row
    /// (parameter lookups by name are linear in the count, on both sides of the provider).
    /// </summary>
    internal static async Task InsertRowsAsync(DbTx tx, List<DeliveryRow> rows, long now)
    {
        await using var command = tx.Connection.CreateCommand();
        command.Transaction = tx.Transaction;
        var sql = new System.Text.StringBuilder(InsertHead, InsertHead.Length + rows.Count * 200);
        var n = 0;
        void Text(string? value)
        {
            if (value is null)
            {
                sql.Append("NULL");
                return;
            }
            var name = "@p" + n++.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.DbType = System.Data.DbType.String;
            parameter.Value = value;
            command.Parameters.Add(parameter);
            sql.Append(name);
        }
        void Number(long? value) => sql.Append(value is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "NULL");
        Text(rows[0].EndpointId);
        sql.Length = InsertHead.Length; // @p0 is used in every row below
        var now0 = now.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            sql.Append(i == 0 ? "(@p0, " : ", (@p0, ");
            Text(r.EventId); sql.Append(", ");
            Number(r.EventSeq); sql.Append(", ");
            Text(r.OrderingKey); sql.Append(", ");
            Number(r.OccurredAt); sql.Append(", ");
            Text(r.Kind); sql.Append(", ");
            Text(r.Pk); sql.Append(", ");
            Text(r.Dk); sql.Append(", ");
            Text(r.UserId); sql.Append(", ");
            Text(r.Fid); sql.Append(", ");
            Text(r.Method); sql.Append(", ");
            sql.Append(r.Verified switch { true => "TRUE", false => "FALSE", null => "NULL" }).Append(", ");
            Text(r.BindingId); sql.Append(", ");
            Text(r.ShareId); sql.Append(", ");
            Text(r.OwnerUserId); sql.Append(", ");
            Text(r.ActorType); sql.Append(", ");
            Text(r.ActorId); sql.Append(", ");
            sql.Append(r.State switch
            {
                DeliveryStates.Delivered => "'delivered'",
                DeliveryStates.Dead => "'dead'",
                _ => "'pending'",
            }).Append(", ");
            Number(r.Attempts); sql.Append(", ");
            Number(r.NextAttemptAt); sql.Append(", ");
            Number(r.LastStatus); sql.Append(", ");
            Text(r.LastError); sql.Append(", ");
            sql.Append(now0).Append(", ").Append(now0).Append(", ");
            Number(r.DeliveredAt); sql.Append(')');
        }
        sql.Append(" ON CONFLICT (endpoint_id, event_id) DO NOTHING");
        command.CommandText = sql.ToString();
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The device (pk/dk), or the family, or the event alone: one endpoint gets one key's events one at a time, in seq order.</summary>
    internal static string OrderingKey(DeliveryRow e) =>
        e.Pk is not null && e.Dk is not null ? e.Pk + "/" + e.Dk : e.Fid is not null ? "family/" + e.Fid : "event/" + e.EventId;

    private SemaphoreSlim EndpointSlots(string endpointId)
    {
        var cap = Math.Max(1, Options.MaxConcurrencyPerEndpoint);
        lock (_gate)
        {
            if (!_endpointSlots.TryGetValue(endpointId, out var slots))
            {
                slots = new SemaphoreSlim(cap, cap);
                _endpointSlots[endpointId] = slots;
            }
            return slots;
        }
    }

    private async Task<(OutcomeKind Kind, int? Status, string? Error)> SendWithSlotsAsync(
        HttpClient client, Target target, DeliveryRow e, SemaphoreSlim endpointSlots, CancellationToken sendToken)
    {
        var haveEndpoint = false;
        var haveGlobal = false;
        try
        {
            await endpointSlots.WaitAsync(sendToken);
            haveEndpoint = true;
            await _globalSlots.WaitAsync(sendToken);
            haveGlobal = true;
            return await PostAsync(client, target, e, sendToken);
        }
        catch (OperationCanceledException)
        {
            return (OutcomeKind.Abandoned, null, "the node stopped before sending");
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

    /// <summary>Where and how to sign: the endpoint's URL and its HMAC key (made once per batch, not per POST).</summary>
    private sealed record Target(string Url, byte[] Key, string EndpointId);

    private sealed record CursorRead(WebhookRow Endpoint, long End, bool Full, List<DeliveryRow> Events, HashSet<string> Blocked);

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
        var (kind, status, error) = await PostAsync(client, new Target(claim.Url, WebhookSignature.Key(claim.Secret), claim.EndpointId),
            claim.ToRow(), sendToken);
        Finished(new Outcome(claim, kind, status, error));
    }

    /// <summary>One signed POST of one event; the outcome (never throws but for a bug).</summary>
    private async Task<(OutcomeKind Kind, int? Status, string? Error)> PostAsync(HttpClient client, Target target, DeliveryRow e, CancellationToken sendToken)
    {
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(e.ToPayload(target.EndpointId), WebhookJsonContext.Default.WebhookPayload);
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-8");
            request.Headers.TryAddWithoutValidation(WebhookSignature.EventIdHeader, e.EventId);
            request.Headers.TryAddWithoutValidation(WebhookSignature.EventKindHeader, e.Kind);
            request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Sign(target.Key, timestamp, body));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(sendToken);
            timeout.CancelAfter(Options.RequestTimeout);
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var status = (int)response.StatusCode;
                return status is >= 200 and < 300 ? (OutcomeKind.Delivered, status, null) : (OutcomeKind.Failed, status, $"HTTP {status}");
            }
            catch (OperationCanceledException) when (!sendToken.IsCancellationRequested)
            {
                return (OutcomeKind.Failed, null, $"timeout after {Options.RequestTimeout.TotalSeconds:0.###} s");
            }
            catch (HttpRequestException ex)
            {
                return (OutcomeKind.Failed, null, Describe(ex));
            }
        }
        catch (OperationCanceledException)
        {
            return (OutcomeKind.Abandoned, null, "the node stopped while sending");
        }
        catch (Exception ex)
        {
            return (OutcomeKind.Failed, null, ex.GetType().Name);
        }
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
            await db.WriteAsync(async tx =>
            {
                await tx.ExecuteAsync(
                    "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @Node AND state = 'pending'",
                    new { Node = NodeId });
                return await tx.ExecuteAsync(
                    "UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @Node", new { Node = NodeId });
            });
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
    private sealed class Claim : RecordedBindingEvent
    {
        public string EndpointId { get; set; } = "";

        public long EventSeq { get; set; }

        public string OrderingKey { get; set; } = "";

        public int Attempts { get; set; }

        public string Url { get; set; } = "";

        public string Secret { get; set; } = "";

        public DeliveryRow ToRow() => CopyEventTo(new DeliveryRow { EndpointId = EndpointId, EventSeq = EventSeq });
    }
}
