using System.Text.Json.Serialization;
using Bindery.Binding;

namespace Bindery.Webhooks;

/// <summary>POST /admin/v1/webhooks: exactly one of <see cref="UserDomain"/> and <see cref="Pk"/>; no kinds = every kind.</summary>
public sealed record WebhookInput(string? Url, string? UserDomain, string? Pk, string[]? Kinds, bool? Enabled);

/// <summary>PATCH /admin/v1/webhooks/{id}: what is sent changes; the scope does not.</summary>
public sealed record WebhookPatch(string? Url, string[]? Kinds, bool? Enabled);

/// <summary>An endpoint as the admin API shows it: never its secret.</summary>
public sealed record WebhookView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("userDomain")] string? UserDomain,
    [property: JsonPropertyName("pk")] string? Pk,
    [property: JsonPropertyName("kinds")] IReadOnlyList<string> Kinds,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("createdAt")] long CreatedAt,
    [property: JsonPropertyName("updatedAt")] long UpdatedAt,
    [property: JsonPropertyName("pending")] long Pending,
    [property: JsonPropertyName("dead")] long Dead);

/// <summary>The answer to registration and to rotate-secret: the only two times the secret is shown.</summary>
public sealed record WebhookWithSecret(
    [property: JsonPropertyName("webhook")] WebhookView Webhook,
    [property: JsonPropertyName("secret")] string Secret);

/// <summary>One delivery: the event it carries and how sending it went.</summary>
public sealed record DeliveryView(
    [property: JsonPropertyName("eventId")] string EventId,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("pk")] string? Pk,
    [property: JsonPropertyName("dk")] string? Dk,
    [property: JsonPropertyName("occurredAt")] long OccurredAt,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("nextAttemptAt")] long? NextAttemptAt,
    [property: JsonPropertyName("lastStatus")] int? LastStatus,
    [property: JsonPropertyName("lastError")] string? LastError,
    [property: JsonPropertyName("deliveredAt")] long? DeliveredAt);

/// <summary>The body POSTed for one event (docs/events.md, "Webhooks", payload). Ids only: never a secret, code, token or SN.</summary>
public sealed record WebhookPayload(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("occurredAt")] long OccurredAt,
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("pk")] string? Pk,
    [property: JsonPropertyName("dk")] string? Dk,
    [property: JsonPropertyName("userId")] string? UserId,
    [property: JsonPropertyName("fid")] string? Fid,
    [property: JsonPropertyName("method")] string? Method,
    [property: JsonPropertyName("verified")] bool? Verified,
    [property: JsonPropertyName("bindingId")] string? BindingId,
    [property: JsonPropertyName("shareId")] string? ShareId,
    [property: JsonPropertyName("ownerUserId")] string? OwnerUserId,
    [property: JsonPropertyName("actor")] WebhookActor Actor,
    [property: JsonPropertyName("webhookId")] string WebhookId);

public sealed record WebhookActor(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("id")] string? Id);

/// <summary>The delivery states.</summary>
public static class DeliveryStates
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Dead = "dead";

    public static readonly string[] All = [Pending, Delivered, Dead];
}

/// <summary>A <c>webhook_endpoints</c> row.</summary>
public sealed class WebhookRow
{
    public string Id { get; set; } = "";

    public string ScopeType { get; set; } = "";

    public string ScopeId { get; set; } = "";

    public string Url { get; set; } = "";

    public string Kinds { get; set; } = "";

    public bool Enabled { get; set; }

    public string Secret { get; set; } = "";

    public long CursorSeq { get; set; }

    /// <summary>The node moving the cursor now (read by the worker only).</summary>
    public string? LeaseOwner { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public string[] KindList => Kinds.Length == 0 ? [] : Kinds.Split(',');
}

/// <summary>A <c>webhook_deliveries</c> row.</summary>
public sealed class DeliveryRow : RecordedBindingEvent
{
    public string EndpointId { get; set; } = "";

    public long EventSeq { get; set; }

    public string OrderingKey { get; set; } = "";

    public string State { get; set; } = "";

    public int Attempts { get; set; }

    public long NextAttemptAt { get; set; }

    public int? LastStatus { get; set; }

    public string? LastError { get; set; }

    public long? DeliveredAt { get; set; }

    public DeliveryView ToView() => new(EventId, EventSeq, Kind, Pk, Dk, OccurredAt, State, Attempts,
        State == DeliveryStates.Pending ? NextAttemptAt : null, LastStatus, LastError, DeliveredAt);

    public WebhookPayload ToPayload() => ToPayload(EndpointId);

    public WebhookPayload ToPayload(string webhookId) => new(EventId, EventSeq, Kind, OccurredAt,
        DateTimeOffset.FromUnixTimeMilliseconds(OccurredAt).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        Pk, Dk, UserId, Fid, Method, Verified, BindingId, ShareId, OwnerUserId, new WebhookActor(ActorType, ActorId), webhookId);
}

/// <summary>The payload's serializer, generated at build time (no reflection per POST).</summary>
[JsonSerializable(typeof(WebhookPayload))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;
