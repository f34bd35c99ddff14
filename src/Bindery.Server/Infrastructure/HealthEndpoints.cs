using Bindery.Storage;
using Dapper;

namespace Bindery.Infrastructure;

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // Liveness: the process answers.
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).ExcludeFromDescription().WithErrorEnvelope(ErrorEnvelopes.Plain);

        // Readiness: start-up finished and the store answers a query.
        app.MapGet("/readyz", async Task<IResult> (Startup startup, IDatabase db) =>
        {
            if (!startup.IsReady)
            {
                return TypedResults.Json(new { status = "starting" }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            try
            {
                await db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT 1"));
                return TypedResults.Ok(new { status = "ready", store = db.Dialect.Provider });
            }
            catch (Exception)
            {
                return TypedResults.Json(new { status = "store unavailable" }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }).ExcludeFromDescription().WithErrorEnvelope(ErrorEnvelopes.Plain);

        // A bare endpoint that does no work: the benchmark's yardstick for what the framework costs.
        app.MapGet("/bench/noop", () => TypedResults.Ok(new { code = Envelope.SuccessCode })).ExcludeFromDescription().WithErrorEnvelope(ErrorEnvelopes.Plain);
        return app;
    }
}
