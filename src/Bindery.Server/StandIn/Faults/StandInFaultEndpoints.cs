using Bindery.Infrastructure;
using Bindery.Observability;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.StandIn;

/// <summary>The fault rules under <c>/stand-in/v1/faults</c> (docs/stand-in.md, "Faults").</summary>
public static class StandInFaultEndpoints
{
    public sealed record ClearedCount(int Cleared);

    public static RouteGroupBuilder MapStandInFaults(this RouteGroupBuilder group)
    {
        var faults = group.MapGroup("/faults");
        faults.MapPost("", AddAsync).WithSummary("Add a fault rule: matching requests answer a catalogued error, wait, or lose their connection")
            .WithErrors(Errors.InvalidParameter, Errors.InvalidParameterValue);
        faults.MapGet("", List).WithSummary("List the fault rules, with how often each matched and fired");
        faults.MapDelete("", Clear).WithSummary("Remove every fault rule");
        faults.MapDelete("/{id}", Remove).WithSummary("Remove one fault rule").WithErrors(Errors.NotFound);
        return group;
    }

    private static Created<QuectelEnvelope<FaultRuleView>> AddAsync([FromBody] FaultRuleInput? body, StandInFaults rules)
    {
        var view = rules.Add(body);
        return TypedResults.Created($"/stand-in/v1/faults/{view.Id}", Envelope.Ok(view));
    }

    private static Ok<QuectelEnvelope<IReadOnlyList<FaultRuleView>>> List(StandInFaults rules) => Envelope.OkResult(rules.List());

    private static Ok<QuectelEnvelope<ClearedCount>> Clear(StandInFaults rules) => Envelope.OkResult(new ClearedCount(rules.Clear()));

    private static Ok<QuectelEnvelope<object?>> Remove(string id, StandInFaults rules)
    {
        rules.Remove(id);
        return Envelope.OkResult<object?>(null);
    }
}
