using Bindery.Infrastructure;
using Bindery.Observability;
using Bindery.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Bindery.Audit;

/// <summary>
/// The audit log under <c>/admin/v1/audit</c> (docs/events.md, "Audit log"; docs/admin-api.md): what happened to
/// bindings and shares, and the refusals that matter for support and security. Admin key required, admin envelope.
/// </summary>
public static class AuditEndpoints
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName);
        services.AddMetrics();
        services.AddSingleton<SecurityAudit>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<SecurityEventPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<SecurityEventPruner>());
        return services;
    }

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/admin/v1/audit")
            .AddEndpointFilter(AdminKey.RequireAsync)
            .WithTags("Admin")
            .WithErrorEnvelope(ErrorEnvelopes.Admin);

        audit.MapGet("/events", ListEventsAsync)
            .WithSummary("Binding events, newest first: filter by pk/dk, userId, fid, kind, from/to; page with cursor and limit")
            .WithErrors(Errors.AuditCursorInvalid, Errors.AuditLimitOutOfRange, Errors.AuditTimeRangeInvalid, Errors.AuditKindUnknown, Errors.AuditFilterInvalid);
        audit.MapGet("/refusals", ListRefusalsAsync)
            .WithSummary("Refusals (lock-outs, voided codes and tokens, replays), newest first: filter by pk/dk, userId, userDomain, reason, from/to")
            .WithErrors(Errors.AuditCursorInvalid, Errors.AuditLimitOutOfRange, Errors.AuditTimeRangeInvalid, Errors.AuditReasonUnknown, Errors.AuditFilterInvalid);
        return app;
    }

    private static async Task<Ok<QuectelEnvelope<AuditPage<AuditEventView>>>> ListEventsAsync(HttpContext context, AuditLog log)
    {
        var query = context.Request.Query;
        var filter = AuditLog.ParseFilter(query, refusals: false);
        var kinds = AuditLog.ParseList(query, "kind", AuditLog.EventKinds, Errors.AuditKindUnknown);
        return Envelope.OkResult(await log.EventsAsync(filter, AuditLog.Id(query, "fid"), kinds));
    }

    private static async Task<Ok<QuectelEnvelope<AuditPage<AuditRefusalView>>>> ListRefusalsAsync(HttpContext context, AuditLog log)
    {
        var query = context.Request.Query;
        var filter = AuditLog.ParseFilter(query, refusals: true);
        var reasons = AuditLog.ParseList(query, "reason", RefusalReasons.All, Errors.AuditReasonUnknown);
        return Envelope.OkResult(await log.RefusalsAsync(filter, AuditLog.Id(query, "userDomain"), reasons));
    }
}
