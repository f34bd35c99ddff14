namespace Bindery.Binding;

/// <summary>
/// A <c>binding_events</c> row as read back, less its place in the outbox (<c>seq</c>): what the audit log lists and
/// what a webhook delivery copies and sends. Nothing secret (see <see cref="BindingLifecycle"/>). Mapped by Dapper from
/// the snake_case columns; readers add the columns of their own table in a subclass.
/// </summary>
public class RecordedBindingEvent
{
    public string EventId { get; set; } = "";

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

    /// <summary>Copies the event's columns onto <paramref name="target"/> and returns it.</summary>
    public T CopyEventTo<T>(T target) where T : RecordedBindingEvent
    {
        target.EventId = EventId;
        target.OccurredAt = OccurredAt;
        target.Kind = Kind;
        target.Pk = Pk;
        target.Dk = Dk;
        target.UserId = UserId;
        target.Fid = Fid;
        target.Method = Method;
        target.Verified = Verified;
        target.BindingId = BindingId;
        target.ShareId = ShareId;
        target.OwnerUserId = OwnerUserId;
        target.ActorType = ActorType;
        target.ActorId = ActorId;
        return target;
    }
}
