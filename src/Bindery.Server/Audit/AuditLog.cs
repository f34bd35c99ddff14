using System.Buffers.Text;
using System.Data;
using System.Globalization;
using System.Text;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Storage;
using Dapper;

namespace Bindery.Audit;

/// <summary>Who caused a binding event, as the audit log shows it.</summary>
public sealed record AuditActor(string Type, string? Id);

/// <summary>One <c>binding_events</c> row as <c>GET /admin/v1/audit/events</c> answers it.</summary>
public sealed record AuditEventView(long Seq, string EventId, long OccurredAt, string Kind, string? Pk, string? Dk, string? UserId,
    string? Fid, string? Method, bool? Verified, string? BindingId, string? ShareId, string? OwnerUserId, AuditActor Actor);

/// <summary>One <c>security_events</c> row as <c>GET /admin/v1/audit/refusals</c> answers it.</summary>
public sealed record AuditRefusalView(long Seq, long OccurredAt, string Reason, string Subject, string? Proof, string? UserId,
    string? UserDomain, string? Pk, string? Dk);

/// <summary>A page, newest first; <see cref="NextCursor"/> (null on the last page) asks for the next one.</summary>
public sealed record AuditPage<T>(IReadOnlyList<T> List, string? NextCursor);

/// <summary>
/// The filters both listings share, already checked: a device (pk, optional dk), a user, a time range in Unix ms
/// (both ends included), the page size and where the previous page ended (a seq: the next page holds only older rows,
/// so rows inserted meanwhile never shift a page).
/// </summary>
public sealed record AuditFilter(string? Pk, string? Dk, string? UserId, long? From, long? To, int Limit, long? BeforeSeq);

/// <summary>
/// The audit log's reads (docs/events.md, "Audit log"): binding events and refusals, filtered, newest first, paged
/// by seq with an opaque cursor.
/// </summary>
public sealed class AuditLog(IDatabase db)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
    public const int MaxIdLength = 128;

    private const string EventsCursor = "e";
    private const string RefusalsCursor = "r";

    public static IReadOnlyList<string> EventKinds { get; } =
    [
        BindingEventKinds.Bound, BindingEventKinds.Unbound, BindingEventKinds.Displaced, BindingEventKinds.Reset,
        BindingEventKinds.DeviceDeleted, BindingEventKinds.FamilyDeleted, BindingEventKinds.LeftFamily,
        BindingEventKinds.Shared, BindingEventKinds.ShareAccepted, BindingEventKinds.ShareUpdated, BindingEventKinds.Unshared,
    ];

    private sealed class EventRow : Binding.RecordedBindingEvent
    {
        public long Seq { get; set; }
    }

    private sealed class RefusalRow
    {
        public long Seq { get; set; }
        public long OccurredAt { get; set; }
        public string Reason { get; set; } = "";
        public string Subject { get; set; } = "";
        public string? Proof { get; set; }
        public string? UserId { get; set; }
        public string? DomainId { get; set; }
        public string? Pk { get; set; }
        public string? Dk { get; set; }
    }

    /// <summary>Binding events matching <paramref name="filter"/>, of one of <paramref name="kinds"/> (any when empty), in family <paramref name="fid"/>.</summary>
    public async Task<AuditPage<AuditEventView>> EventsAsync(AuditFilter filter, string? fid, IReadOnlyList<string> kinds)
    {
        var (where, parameters) = Where(filter);
        if (fid is not null)
        {
            where.Add("fid = @Fid");
            parameters.Add("Fid", fid, DbType.String);
        }
        if (kinds.Count > 0)
        {
            where.Add(db.Dialect.InList("kind", "@Kinds"));
            parameters.Add("Kinds", kinds.ToArray());
        }
        var rows = (await db.ReadAsync(c => c.QueryAsync<EventRow>(
            $"""
            SELECT seq, event_id, occurred_at, kind, pk, dk, user_id, fid, method, verified, binding_id, share_id, owner_user_id,
                   actor_type, actor_id
            FROM binding_events {Clause(where)} ORDER BY seq DESC LIMIT @Take
            """, parameters))).ToList();
        return PageOf(rows, filter.Limit, r => r.Seq, EventsCursor, r => new AuditEventView(r.Seq, r.EventId, r.OccurredAt, r.Kind,
            r.Pk, r.Dk, r.UserId, r.Fid, r.Method, r.Verified, r.BindingId, r.ShareId, r.OwnerUserId, new AuditActor(r.ActorType, r.ActorId)));
    }

    /// <summary>Refusals matching <paramref name="filter"/>, in user domain <paramref name="userDomain"/>, with one of <paramref name="reasons"/> (any when empty).</summary>
    public async Task<AuditPage<AuditRefusalView>> RefusalsAsync(AuditFilter filter, string? userDomain, IReadOnlyList<string> reasons)
    {
        var (where, parameters) = Where(filter);
        if (userDomain is not null)
        {
            where.Add("domain_id = @DomainId");
            parameters.Add("DomainId", userDomain, DbType.String);
        }
        if (reasons.Count > 0)
        {
            where.Add(db.Dialect.InList("reason", "@Reasons"));
            parameters.Add("Reasons", reasons.ToArray());
        }
        var rows = (await db.ReadAsync(c => c.QueryAsync<RefusalRow>(
            $"""
            SELECT seq, occurred_at, reason, subject, proof, user_id, domain_id, pk, dk
            FROM security_events {Clause(where)} ORDER BY seq DESC LIMIT @Take
            """, parameters))).ToList();
        return PageOf(rows, filter.Limit, r => r.Seq, RefusalsCursor,
            r => new AuditRefusalView(r.Seq, r.OccurredAt, r.Reason, r.Subject, r.Proof, r.UserId, r.DomainId, r.Pk, r.Dk));
    }

    private static (List<string> Where, DynamicParameters Parameters) Where(AuditFilter filter)
    {
        var where = new List<string>();
        var parameters = new DynamicParameters();
        parameters.Add("Take", filter.Limit + 1);
        if (filter.Pk is not null)
        {
            where.Add("pk = @Pk");
            parameters.Add("Pk", filter.Pk, DbType.String);
        }
        if (filter.Dk is not null)
        {
            where.Add("dk = @Dk");
            parameters.Add("Dk", filter.Dk, DbType.String);
        }
        if (filter.UserId is not null)
        {
            where.Add("user_id = @UserId");
            parameters.Add("UserId", filter.UserId, DbType.String);
        }
        if (filter.From is { } from)
        {
            where.Add("occurred_at >= @From");
            parameters.Add("From", from);
        }
        if (filter.To is { } to)
        {
            where.Add("occurred_at <= @To");
            parameters.Add("To", to);
        }
        if (filter.BeforeSeq is { } before)
        {
            where.Add("seq < @Before");
            parameters.Add("Before", before);
        }
        return (where, parameters);
    }

    private static string Clause(List<string> where) => where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);

    private static AuditPage<TView> PageOf<TRow, TView>(List<TRow> rows, int limit, Func<TRow, long> seq, string listing, Func<TRow, TView> view)
    {
        var more = rows.Count > limit;
        var page = more ? rows.Take(limit).ToList() : rows;
        return new AuditPage<TView>(page.Select(view).ToList(), more ? CursorOf(listing, seq(page[^1])) : null);
    }

    /// <summary>The cursor of a page that ended at <paramref name="seq"/>: opaque to callers, base64url of "v1:{listing}:{seq}".</summary>
    private static string CursorOf(string listing, long seq) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"v1:{listing}:{seq}")));

    /// <summary>The seq a cursor of <paramref name="listing"/> stands for; null when it is not one this listing handed out.</summary>
    private static long? SeqOf(string listing, string cursor)
    {
        if (cursor.Length is 0 or > 64 || !Base64Url.IsValid(cursor))
        {
            return null;
        }
        string text;
        try
        {
            text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            return null;
        }
        var prefix = "v1:" + listing + ":";
        return text.StartsWith(prefix, StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq > 0
            ? seq
            : null;
    }

    /// <summary>
    /// Reads the shared filters from the query string, refusing what is wrong with the audit codes: 9401 a cursor not
    /// handed out by this listing, 9402 a limit outside 1–<see cref="MaxLimit"/>, 9403 a malformed or inverted time
    /// range, 9406 dk without pk or an id over <see cref="MaxIdLength"/> characters.
    /// </summary>
    public static AuditFilter ParseFilter(IQueryCollection query, bool refusals)
    {
        var pk = Id(query, "pk");
        var dk = Id(query, "dk");
        if (dk is not null && pk is null)
        {
            throw new BinderyException(Errors.AuditFilterInvalid, "dk needs pk: a device is named by both");
        }
        var from = Time(query, "from");
        var to = Time(query, "to");
        if (from is not null && to is not null && from > to)
        {
            throw new BinderyException(Errors.AuditTimeRangeInvalid, "from is after to");
        }
        var limit = DefaultLimit;
        if (Single(query, "limit") is { } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            throw new BinderyException(Errors.AuditLimitOutOfRange, $"limit is 1-{MaxLimit} (default {DefaultLimit})");
        }
        long? before = null;
        if (Single(query, "cursor") is { } cursor)
        {
            before = SeqOf(refusals ? RefusalsCursor : EventsCursor, cursor)
                ?? throw new BinderyException(Errors.AuditCursorInvalid, "pass the nextCursor of a previous page of this listing as it was");
        }
        return new AuditFilter(pk, dk, Id(query, "userId"), from, to, limit, before);
    }

    /// <summary>A multi-valued filter (<c>kind=a&amp;kind=b</c> or <c>kind=a,b</c>), each value one of <paramref name="known"/>.</summary>
    public static IReadOnlyList<string> ParseList(IQueryCollection query, string name, IReadOnlyList<string> known, ErrorDef unknown)
    {
        var values = query[name].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal).ToList();
        foreach (var value in values)
        {
            if (!known.Contains(value, StringComparer.Ordinal))
            {
                throw new BinderyException(unknown, $"{name} is one or several of: {string.Join(", ", known)}");
            }
        }
        return values;
    }

    /// <summary>An id filter: null when absent or blank; one value of at most <see cref="MaxIdLength"/> characters.</summary>
    public static string? Id(IQueryCollection query, string name)
    {
        var value = Single(query, name)?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        return value.Length <= MaxIdLength
            ? value
            : throw new BinderyException(Errors.AuditFilterInvalid, $"{name} is at most {MaxIdLength} characters");
    }

    private static long? Time(IQueryCollection query, string name) =>
        Single(query, name) is not { } text
            ? null
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                ? ms
                : throw new BinderyException(Errors.AuditTimeRangeInvalid, $"{name} is Unix milliseconds");

    private static string? Single(IQueryCollection query, string name)
    {
        var values = query[name];
        if (values.Count > 1)
        {
            throw new BinderyException(Errors.AuditFilterInvalid, $"{name} may be given once");
        }
        var value = values.Count == 1 ? values[0] : null;
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
