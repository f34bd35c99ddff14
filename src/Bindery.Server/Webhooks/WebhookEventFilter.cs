namespace Bindery.Webhooks;

/// <summary>
/// The SQL that picks an endpoint's events out of <c>binding_events</c> (alias <c>e</c>), shared by the dispatcher (what
/// a cursor batch sends) and the admin list (which events a <c>webhook_batches</c> row stands for), so both always
/// agree on it.
/// </summary>
internal static class WebhookEventFilter
{
    /// <summary>
    /// The endpoint's scope, with parameter <c>@ScopeId</c>: the product's events, or the events of the domain's users
    /// (the bound user, the owner, or the user who acted).
    /// </summary>
    public static string Scope(string scopeType) => scopeType == WebhookService.ScopeProduct
        ? "e.pk = @ScopeId"
        : """
          EXISTS (SELECT 1 FROM users u WHERE u.domain_id = @ScopeId
                  AND u.id = COALESCE(e.user_id, e.owner_user_id, CASE WHEN e.actor_type = 'user' THEN e.actor_id END))
          """;

    /// <summary>
    /// The event's kind is among the comma-separated <paramref name="kindsColumn"/> ('' = every kind). The kind is matched
    /// between commas with its underscores escaped, so one kind never matches another by LIKE's wildcard.
    /// </summary>
    public static string KindIn(string kindsColumn) =>
        $"({kindsColumn} = '' OR (',' || {kindsColumn} || ',') LIKE ('%,' || REPLACE(e.kind, '_', '!_') || ',%') ESCAPE '!')";

    /// <summary>
    /// The events an endpoint got at their first attempt (parameters <c>@Id</c>, <c>@ScopeId</c>), as delivery rows: the
    /// ranges of its <c>webhook_batches</c> rows, filtered by its scope and the kinds each batch had, less the events
    /// that have a delivery row of their own. Their <c>ordering_key</c> is empty: only a row needs one, and
    /// <see cref="WebhookDispatcher.OrderingKey"/> makes it when one is written.
    /// </summary>
    public static string FirstAttemptDeliveries(string scopeType) =>
        $"""
        SELECT b.endpoint_id, e.event_id, e.seq AS event_seq, '' AS ordering_key, e.occurred_at, e.kind, e.pk, e.dk,
               e.user_id, e.fid, e.method, e.verified, e.binding_id, e.share_id, e.owner_user_id, e.actor_type, e.actor_id,
               'delivered' AS state, 1 AS attempts, b.delivered_at AS next_attempt_at, b.status AS last_status,
               CAST(NULL AS TEXT) AS last_error, b.delivered_at
        FROM webhook_batches b
        JOIN binding_events e ON e.seq > b.after_seq AND e.seq <= b.last_seq
        WHERE b.endpoint_id = @Id AND {Scope(scopeType)} AND {KindIn("b.kinds")}
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = b.endpoint_id AND d.event_id = e.event_id)
        """;
}
