using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Webhooks;

/// <summary>
/// The admin side of webhooks (docs/admin-api.md, "Webhooks"): endpoints scoped to a user domain or a product, their
/// secret (shown once, at registration and at rotation), and their deliveries (listed by state, re-triggered).
/// </summary>
public sealed class WebhookService(IDatabase db, TimeProvider clock, IOptions<WebhookOptions> options, WebhookDispatcher dispatcher)
{
    public const string ScopeDomain = "domain";
    public const string ScopeProduct = "product";
    private const int MaxIdLength = 128;

    private const string EndpointColumns = "id, scope_type, scope_id, url, kinds, enabled, secret, cursor_seq, created_at, updated_at";

    public const string DeliveryColumns =
        "endpoint_id, event_id, event_seq, ordering_key, occurred_at, kind, pk, dk, user_id, fid, method, verified, binding_id, share_id, "
        + "owner_user_id, actor_type, actor_id, state, attempts, next_attempt_at, last_status, last_error, delivered_at";

    /// <summary>Every <c>binding_events</c> kind (<see cref="BindingEventKinds"/>).</summary>
    public static IReadOnlySet<string> EventKinds { get; } = typeof(BindingEventKinds)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<WebhookWithSecret> CreateAsync(WebhookInput input, CancellationToken cancellationToken)
    {
        var uri = await CheckedUrlAsync(input.Url, cancellationToken);
        var kinds = Kinds(input.Kinds);
        var hasDomain = !string.IsNullOrEmpty(input.UserDomain);
        var hasPk = !string.IsNullOrEmpty(input.Pk);
        if (hasDomain == hasPk)
        {
            throw new BinderyException(Errors.WebhookScopeInvalid, "send exactly one of userDomain and pk");
        }
        var (scopeType, scopeId) = hasDomain ? (ScopeDomain, input.UserDomain!) : (ScopeProduct, input.Pk!);
        if (scopeId.Length > MaxIdLength)
        {
            throw new BinderyException(Errors.WebhookScopeInvalid, $"{(hasDomain ? "userDomain" : "pk")} is too long");
        }
        var row = new WebhookRow
        {
            Id = "wh_" + Secrets.NewId(),
            ScopeType = scopeType,
            ScopeId = scopeId,
            Url = uri.AbsoluteUri,
            Kinds = string.Join(',', kinds),
            Enabled = input.Enabled ?? true,
            Secret = WebhookSignature.NewSecret(),
            CreatedAt = Now,
        };
        row.UpdatedAt = row.CreatedAt;
        await db.WriteAsync(async tx =>
        {
            var exists = await tx.ExecuteScalarAsync<long>(
                scopeType == ScopeDomain ? "SELECT COUNT(*) FROM user_domains WHERE id = @Id" : "SELECT COUNT(*) FROM products WHERE pk = @Id",
                new { Id = scopeId });
            if (exists == 0)
            {
                throw new BinderyException(Errors.WebhookScopeInvalid, hasDomain ? "the user domain does not exist" : "the product does not exist");
            }
            // The endpoint gets the events from its registration on: its cursor starts at the outbox's end.
            row.CursorSeq = await tx.ExecuteScalarAsync<long?>("SELECT MAX(seq) FROM binding_events") ?? 0;
            await tx.ExecuteAsync(
                $"""
                INSERT INTO webhook_endpoints ({EndpointColumns})
                VALUES (@Id, @ScopeType, @ScopeId, @Url, @Kinds, @Enabled, @Secret, @CursorSeq, @CreatedAt, @UpdatedAt)
                """, row);
            return 0;
        }, cancellationToken);
        dispatcher.Wake();
        return new WebhookWithSecret(View(row, 0, 0), row.Secret);
    }

    public async Task<Page<WebhookView>> ListAsync(int? offset, int? limit, string? userDomain, string? pk, CancellationToken cancellationToken)
    {
        var (skip, take) = AdminPage.From(offset, limit);
        var where = userDomain is not null ? "WHERE scope_type = 'domain' AND scope_id = @Scope"
            : pk is not null ? "WHERE scope_type = 'product' AND scope_id = @Scope" : "";
        var scope = userDomain ?? pk;
        var (total, rows) = await db.ReadAsync(async c =>
        {
            var total = await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM webhook_endpoints {where}", new { Scope = scope });
            var rows = (await c.QueryAsync<WebhookRow>(
                $"SELECT {EndpointColumns} FROM webhook_endpoints {where} ORDER BY created_at, id LIMIT @Take OFFSET @Skip",
                new { Scope = scope, Take = take, Skip = skip })).ToList();
            return (total, rows);
        }, cancellationToken);
        var views = new List<WebhookView>(rows.Count);
        foreach (var row in rows)
        {
            views.Add(await ViewAsync(row, cancellationToken));
        }
        return new Page<WebhookView>(total, skip, take, views);
    }

    public async Task<WebhookView> GetAsync(string id, CancellationToken cancellationToken) =>
        await ViewAsync(await db.ReadAsync(c => ReadAsync(c, id), cancellationToken) ?? throw NotFound(), cancellationToken);

    public async Task<WebhookView> UpdateAsync(string id, WebhookPatch patch, CancellationToken cancellationToken)
    {
        var url = patch.Url is null ? null : (await CheckedUrlAsync(patch.Url, cancellationToken)).AbsoluteUri;
        var kinds = patch.Kinds is null ? null : string.Join(',', Kinds(patch.Kinds));
        var row = await db.WriteAsync(async tx =>
        {
            var row = await tx.QuerySingleOrDefaultAsync<WebhookRow>(
                $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE id = @Id{tx.Dialect.ForUpdate}", new { Id = id }) ?? throw NotFound();
            row.Url = url ?? row.Url;
            row.Kinds = kinds ?? row.Kinds;
            row.Enabled = patch.Enabled ?? row.Enabled;
            row.UpdatedAt = Now;
            await tx.ExecuteAsync(
                "UPDATE webhook_endpoints SET url = @Url, kinds = @Kinds, enabled = @Enabled, updated_at = @UpdatedAt WHERE id = @Id", row);
            return row;
        }, cancellationToken);
        dispatcher.Wake();
        return await ViewAsync(row, cancellationToken);
    }

    /// <summary>Deletes the endpoint and every delivery of it.</summary>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken) =>
        await db.WriteAsync(async tx =>
        {
            if (await tx.ExecuteAsync("DELETE FROM webhook_endpoints WHERE id = @Id", new { Id = id }) == 0)
            {
                throw NotFound();
            }
            await tx.ExecuteAsync("DELETE FROM webhook_deliveries WHERE endpoint_id = @Id", new { Id = id });
            await tx.ExecuteAsync("DELETE FROM webhook_batches WHERE endpoint_id = @Id", new { Id = id });
            return 0;
        }, cancellationToken);

    /// <summary>A new secret, shown once; the old one stops signing at once (deliveries in flight may still carry it).</summary>
    public async Task<WebhookWithSecret> RotateSecretAsync(string id, CancellationToken cancellationToken)
    {
        var secret = WebhookSignature.NewSecret();
        var row = await db.WriteAsync(async tx =>
        {
            if (await tx.ExecuteAsync("UPDATE webhook_endpoints SET secret = @Secret, updated_at = @Now WHERE id = @Id",
                    new { Secret = secret, Now, Id = id }) == 0)
            {
                throw NotFound();
            }
            return (await tx.QuerySingleOrDefaultAsync<WebhookRow>($"SELECT {EndpointColumns} FROM webhook_endpoints WHERE id = @Id", new { Id = id }))!;
        }, cancellationToken);
        return new WebhookWithSecret(await ViewAsync(row, cancellationToken), secret);
    }

    /// <summary>
    /// The endpoint's deliveries, oldest event first, optionally of one state: its delivery rows, and the events its
    /// cursor batches delivered at the first attempt (one <c>webhook_batches</c> row each, no delivery row; listed
    /// while the event is still in <c>binding_events</c>).
    /// </summary>
    public async Task<Page<DeliveryView>> ListDeliveriesAsync(string id, string? state, int? offset, int? limit, CancellationToken cancellationToken)
    {
        if (state is not null && !DeliveryStates.All.Contains(state))
        {
            throw new BinderyException(Errors.WebhookDeliveryStateInvalid, "state must be pending, delivered or dead");
        }
        var (skip, take) = AdminPage.From(offset, limit);
        var rows = $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE endpoint_id = @Id" + (state is null ? "" : " AND state = @State");
        return await db.ReadAsync(async c =>
        {
            var endpoint = await ReadAsync(c, id) ?? throw NotFound();
            var all = state is null or DeliveryStates.Delivered
                ? $"{rows} UNION ALL {WebhookEventFilter.FirstAttemptDeliveries(endpoint.ScopeType)}"
                : rows;
            var parameters = new { Id = id, State = state, endpoint.ScopeId, Take = take, Skip = skip };
            var total = await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM ({all}) x", parameters);
            var page = await c.QueryAsync<DeliveryRow>($"SELECT * FROM ({all}) x ORDER BY event_seq LIMIT @Take OFFSET @Skip", parameters);
            return new Page<DeliveryView>(total, skip, take, page.Select(r => r.ToView()).ToList());
        }, cancellationToken);
    }

    /// <summary>
    /// Sends a dead (or delivered) delivery again: it becomes pending with a fresh attempt budget, due now. It then
    /// holds back the device's later pending events for this endpoint until it is delivered or dead again. An event
    /// delivered at its first attempt (no row of its own) gets its row now.
    /// </summary>
    public async Task<DeliveryView> RetryDeliveryAsync(string id, string eventId, CancellationToken cancellationToken)
    {
        var row = await db.WriteAsync(async tx =>
        {
            var endpoint = await tx.QuerySingleOrDefaultAsync<WebhookRow>(
                $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE id = @Id{tx.Dialect.ForUpdate}", new { Id = id }) ?? throw NotFound();
            var now = Now;
            var row = await tx.QuerySingleOrDefaultAsync<DeliveryRow>(
                $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE endpoint_id = @Id AND event_id = @EventId{tx.Dialect.ForUpdate}",
                new { Id = id, EventId = eventId });
            if (row is null)
            {
                row = await tx.QuerySingleOrDefaultAsync<DeliveryRow>(
                    $"SELECT * FROM ({WebhookEventFilter.FirstAttemptDeliveries(endpoint.ScopeType)}) x WHERE event_id = @EventId",
                    new { Id = id, endpoint.ScopeId, EventId = eventId })
                    ?? throw new BinderyException(Errors.WebhookDeliveryNotFound, "no delivery of that event to this webhook");
                row.OrderingKey = WebhookDispatcher.OrderingKey(row);
                row.State = DeliveryStates.Pending;
                row.Attempts = 0;
                row.NextAttemptAt = now;
                row.LastStatus = null;
                row.DeliveredAt = null;
                await WebhookDispatcher.InsertRowsAsync(tx, [row], now);
                return row;
            }
            if (row.State == DeliveryStates.Pending)
            {
                throw new BinderyException(Errors.WebhookDeliveryStillPending);
            }
            await tx.ExecuteAsync(
                """
                UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = @Now, lease_owner = NULL,
                    lease_until = NULL, updated_at = @Now
                WHERE endpoint_id = @Id AND event_id = @EventId
                """, new { Now = now, Id = id, EventId = eventId });
            row.State = DeliveryStates.Pending;
            row.Attempts = 0;
            row.NextAttemptAt = now;
            return row;
        }, cancellationToken);
        dispatcher.Wake();
        return row.ToView();
    }

    private async Task<Uri> CheckedUrlAsync(string? url, CancellationToken cancellationToken)
    {
        var uri = WebhookUrls.Parse(url);
        await WebhookUrls.RequireAllowedAsync(uri, options.Value.AllowPrivateNetworks, cancellationToken);
        return uri;
    }

    private static string[] Kinds(string[]? kinds)
    {
        if (kinds is null)
        {
            return [];
        }
        foreach (var kind in kinds)
        {
            if (kind is null || !EventKinds.Contains(kind))
            {
                throw new BinderyException(Errors.WebhookKindsInvalid,
                    $"kinds must be among {string.Join(", ", EventKinds.Order(StringComparer.Ordinal))}");
            }
        }
        return kinds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    private static Task<WebhookRow?> ReadAsync(System.Data.Common.DbConnection c, string id) =>
        c.QuerySingleOrDefaultAsync<WebhookRow>($"SELECT {EndpointColumns} FROM webhook_endpoints WHERE id = @Id", new { Id = id });

    private async Task<WebhookView> ViewAsync(WebhookRow row, CancellationToken cancellationToken)
    {
        var counts = (await db.ReadAsync(c => c.QueryAsync<(string State, long Count)>(
            "SELECT state, COUNT(*) FROM webhook_deliveries WHERE endpoint_id = @Id AND state <> 'delivered' GROUP BY state",
            new { row.Id }), cancellationToken)).ToDictionary(x => x.State, x => x.Count);
        return View(row, counts.GetValueOrDefault(DeliveryStates.Pending), counts.GetValueOrDefault(DeliveryStates.Dead));
    }

    private static WebhookView View(WebhookRow row, long pending, long dead) => new(
        row.Id, row.Url, row.ScopeType == ScopeDomain ? row.ScopeId : null, row.ScopeType == ScopeProduct ? row.ScopeId : null,
        row.KindList, row.Enabled, row.CreatedAt, row.UpdatedAt, pending, dead);

    private static BinderyException NotFound() => new(Errors.WebhookNotFound);

}
