using System.Text.Json.Nodes;
using Bindery.Infrastructure;
using Microsoft.Extensions.Options;

namespace Bindery.StandIn;

/// <summary>The request journal's settings (<c>Bindery:StandIn:Journal</c>).</summary>
public sealed class StandInJournalOptions
{
    /// <summary>Whether requests are journaled at all while the stand-in mode is on.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How many entries are kept; the oldest is forgotten when a new one arrives.</summary>
    public int Capacity { get; set; } = 1000;

    /// <summary>Request and answer bodies longer than this are not kept (the entry says so).</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;
}

/// <summary>
/// One journaled request and its answer. <see cref="At"/> is Unix milliseconds (the server's clock when the
/// request arrived); <see cref="Parameters"/> (query and body) and <see cref="Answer"/> have every secret masked;
/// <see cref="AnswerCode"/> is the envelope's code (200, a catalogued number, or the Tencent error code string; 0 for a
/// Tencent success). <see cref="Fault"/> names the fault rule that answered, delayed or dropped it.
/// </summary>
public sealed record JournalEntry(
    long Seq,
    long At,
    string Dialect,
    string Method,
    string Path,
    string? Action,
    string? UserId,
    string? Pk,
    string? Dk,
    JsonObject Parameters,
    int Status,
    string? AnswerCode,
    JsonNode? Answer,
    long DurationMs,
    string? Fault);

/// <summary>A journal query: every criterion given must hold. Times are Unix milliseconds, both ends included.</summary>
public sealed record JournalQuery(string? Dialect, string? Path, string? Action, string? UserId, string? Pk, string? Dk, long? From, long? To, int? Limit);

/// <summary>
/// The stand-in mode's request journal: the app APIs' and the device API's requests and answers in a bounded ring
/// (<see cref="StandInJournalOptions.Capacity"/>), in memory, on this node (docs/stand-in.md, "Request journal").
/// </summary>
public sealed class RequestJournal(IOptions<StandInJournalOptions> options)
{
    private readonly Lock _lock = new();
    private readonly JournalEntry?[] _ring = new JournalEntry?[Math.Max(1, options.Value.Capacity)];
    private long _seq;

    public bool Enabled => options.Value.Enabled;

    public int Capacity => _ring.Length;

    /// <summary>The next sequence number (entries are numbered from 1 in arrival order).</summary>
    public long NextSeq() => Interlocked.Increment(ref _seq);

    public void Add(JournalEntry entry)
    {
        lock (_lock)
        {
            _ring[entry.Seq % _ring.Length] = entry;
        }
    }

    /// <summary>The entries matching <paramref name="query"/>, oldest first (the newest <c>limit</c> of them when a limit is given).</summary>
    public IReadOnlyList<JournalEntry> Find(JournalQuery query)
    {
        var dialect = query.Dialect is { Length: > 0 } d
            ? StandInDialects.Parse(d) ?? throw new BinderyException(Errors.InvalidParameterValue, $"dialect must be one of {string.Join(", ", StandInDialects.All)}")
            : null;
        if (query.From > query.To)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "from must not be after to (both Unix milliseconds)");
        }
        if (query.Limit is < 1)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "limit must be at least 1");
        }
        List<JournalEntry> entries;
        lock (_lock)
        {
            entries = [.. _ring.OfType<JournalEntry>()];
        }
        var found = entries
            .Where(e => dialect is null || e.Dialect == dialect)
            .Where(e => query.Path is not { Length: > 0 } p || PathMatches(p, e.Path))
            .Where(e => query.Action is not { Length: > 0 } a || string.Equals(a, e.Action, StringComparison.Ordinal))
            .Where(e => query.UserId is not { Length: > 0 } u || string.Equals(u, e.UserId, StringComparison.Ordinal))
            .Where(e => query.Pk is not { Length: > 0 } pk || string.Equals(pk, e.Pk, StringComparison.Ordinal))
            .Where(e => query.Dk is not { Length: > 0 } dk || string.Equals(dk, e.Dk, StringComparison.OrdinalIgnoreCase))
            .Where(e => query.From is not { } from || e.At >= from)
            .Where(e => query.To is not { } to || e.At <= to)
            .OrderBy(e => e.Seq)
            .ToList();
        return query.Limit is { } limit && found.Count > limit ? found[^limit..] : found;
    }

    /// <summary>Forgets every entry; how many there were.</summary>
    public int Clear()
    {
        lock (_lock)
        {
            var count = _ring.Count(e => e is not null);
            Array.Clear(_ring);
            return count;
        }
    }

    /// <summary>Exact path (any case, trailing slash ignored), or a prefix ending in <c>*</c>.</summary>
    public static bool PathMatches(string pattern, string path)
    {
        if (pattern.EndsWith('*'))
        {
            return path.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase);
        }
        static string Trim(string p) => p.Length > 1 ? p.TrimEnd('/') : p;
        return string.Equals(Trim(pattern), Trim(path), StringComparison.OrdinalIgnoreCase);
    }
}
