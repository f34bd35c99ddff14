using Bindery.Infrastructure;
using Bindery.Observability;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.StandIn;

/// <summary>The request journal under <c>/stand-in/v1/journal</c> (docs/stand-in.md, "Request journal").</summary>
public static class StandInJournalEndpoints
{
    /// <summary>The entries found (oldest first), how many the journal keeps at most, and whether it is recording.</summary>
    public sealed record JournalPage(int Count, int Capacity, bool Enabled, IReadOnlyList<JournalEntry> Entries);

    public static RouteGroupBuilder MapStandInJournal(this RouteGroupBuilder group)
    {
        var journal = group.MapGroup("/journal");
        journal.MapGet("", Find).WithSummary("The journaled requests and answers (secrets masked), by dialect, path or Action, user, device and time")
            .WithErrors(Errors.InvalidParameter, Errors.InvalidParameterValue);
        journal.MapDelete("", Clear).WithSummary("Forget every journaled request");
        return group;
    }

    private static Ok<QuectelEnvelope<JournalPage>> Find(
        RequestJournal journal,
        [FromQuery] string? dialect,
        [FromQuery] string? path,
        [FromQuery] string? action,
        [FromQuery] string? userId,
        [FromQuery] string? pk,
        [FromQuery] string? dk,
        [FromQuery] long? from,
        [FromQuery] long? to,
        [FromQuery] int? limit)
    {
        var entries = journal.Find(new JournalQuery(dialect, path, action, userId, pk, dk, from, to, limit));
        return Envelope.OkResult(new JournalPage(entries.Count, journal.Capacity, journal.Enabled, entries));
    }

    private static Ok<QuectelEnvelope<StandInFaultEndpoints.ClearedCount>> Clear(RequestJournal journal) =>
        Envelope.OkResult(new StandInFaultEndpoints.ClearedCount(journal.Clear()));
}
