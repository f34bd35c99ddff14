using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Observability;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Bindery.Tencent;

/// <summary>
/// The Tencent-style action API (docs/tencent-api.md): <c>POST /api/exploreropen/tokenapi</c>, and the same
/// actions on <c>/api/exploreropen/appapi</c> and the open-source app's <c>/api/studioapp</c> and
/// <c>/api/studioapp/tokenapi</c>, each with or without a trailing slash or an appended <c>/{Action}</c> (iOS), each
/// a JSON body with Action, RequestId, AccessToken and the action's parameters (query parameters such as
/// <c>uin</c> and <c>cmd</c> are ignored), answered in the envelope <see cref="TencentEnvelope"/> decides.
/// </summary>
public static class TencentEndpoints
{
    public const string PathPrefix = "/api/exploreropen";

    /// <summary>The open-source (non-OEM) app's base path.</summary>
    public const string StudioPathPrefix = "/api/studioapp";

    /// <summary>
    /// The iOS <c>/{Action}</c> suffix: every Tencent app action is named <c>App…</c>, so under <c>/api/studioapp</c>
    /// any other segment stays an unknown path (404) rather than a route taking every name.
    /// </summary>
    private const string ActionSegment = "{action:regex(^App[A-Za-z0-9]+$)}";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    public static IServiceCollection AddTencent(this IServiceCollection services)
    {
        services.AddOptions<TencentOptions>().BindConfiguration("Tencent");
        services.AddSingleton<BindTokens>();
        services.AddSingleton<TencentActions>();
        services.AddSingleton<TencentShareActions>();
        services.AddSingleton<TencentFamilyActions>();
        services.AddSingleton<TencentSigBindActions>();
        services.AddSingleton<TencentEnvelopeChoice>();
        services.AddSingleton<TencentApps>();
        services.AddSingleton<TencentAppApi>();
        services.AddSingleton<VerificationCodes>();
        services.AddSingleton<IVerificationCodeSender, LogVerificationCodeSender>();
        return services;
    }

    public static IEndpointRouteBuilder MapTencent(this IEndpointRouteBuilder app)
    {
        // A trailing slash matches the same endpoint (routing ignores it); the ActionSegment suffix is the iOS form.
        var group = app.MapGroup(PathPrefix).WithTags("Tencent").WithErrorEnvelope(ErrorEnvelopes.Tencent).WithErrors(ErrorSets.Tencent).CountsTencentActions();
        group.MapPost("/tokenapi", HandleAsync).WithSummary("Tencent-style action (logged-in apps' path): the Action in the body");
        group.MapPost("/tokenapi/" + ActionSegment, HandleAsync).WithSummary("Tencent-style action, iOS form: the Action also in the path");
        group.MapPost("/appapi", HandleAsync).WithSummary("Tencent-style action (pre-login path; logged-in actions served too)");
        group.MapPost("/appapi/" + ActionSegment, HandleAsync).WithSummary("Tencent-style action on the pre-login path, iOS form");
        var studio = app.MapGroup(StudioPathPrefix).WithTags("Tencent").WithErrorEnvelope(ErrorEnvelopes.Tencent).WithErrors(ErrorSets.Tencent).CountsTencentActions();
        studio.MapPost("/", HandleAsync).WithSummary("Tencent-style action (the open-source app's path)");
        studio.MapPost("/" + ActionSegment, HandleAsync).WithSummary("Tencent-style action (the open-source app's path), iOS form");
        studio.MapPost("/tokenapi", HandleAsync).WithSummary("Tencent-style action (the open-source app's logged-in path)");
        studio.MapPost("/tokenapi/" + ActionSegment, HandleAsync).WithSummary("Tencent-style action (the open-source app's logged-in path), iOS form");

        // The device maker registers the apps that log users in (AppKey, AppSecret shown once, user domain).
        var admin = app.MapGroup("/admin/v1/tencent-apps").WithTags("Admin").WithErrorEnvelope(ErrorEnvelopes.Admin).WithErrors(ErrorSets.Admin);
        admin.MapPost("/", CreateAppAsync).WithSummary("Register a Tencent-style app (AppKey; the AppSecret is shown once)");
        admin.MapGet("/", ListAppsAsync).WithSummary("List the registered Tencent-style apps");
        admin.MapPatch("/{appKey}", UpdateAppAsync).WithSummary("Rename a Tencent-style app (never its secret)");
        admin.MapDelete("/{appKey}", DeleteAppAsync).WithSummary("Delete a Tencent-style app");
        return app;
    }

    private static async Task<Created<QuectelEnvelope<TencentApps.CreatedApp>>> CreateAppAsync(
        [Microsoft.AspNetCore.Mvc.FromBody] TencentApps.AppInput? body, TencentApps apps)
    {
        var created = await apps.CreateAsync(body ?? new TencentApps.AppInput(null, null));
        return TypedResults.Created($"/admin/v1/tencent-apps/{created.AppKey}", Envelope.Ok(created));
    }

    private static async Task<Ok<QuectelEnvelope<IReadOnlyList<TencentApps.AppView>>>> ListAppsAsync(TencentApps apps) =>
        Envelope.OkResult(await apps.ListAsync());

    private static async Task<Ok<QuectelEnvelope<TencentApps.AppView>>> UpdateAppAsync(
        string appKey, [Microsoft.AspNetCore.Mvc.FromBody] TencentApps.AppPatch? body, TencentApps apps) =>
        Envelope.OkResult(await apps.UpdateAsync(appKey, body ?? new TencentApps.AppPatch(null)));

    private static async Task<Ok<QuectelEnvelope<object?>>> DeleteAppAsync(string appKey, TencentApps apps)
    {
        await apps.DeleteAsync(appKey);
        return Envelope.OkResult<object?>(null);
    }

    private static async Task<JsonHttpResult<object>> HandleAsync(
        HttpContext http, TencentActions actions, TencentAppApi appApi, IOptions<BinderyOptions> options)
    {
        // The AccessToken travels in the body, so the Content-Type is the first thing there is to check.
        RequestGate.RequireJson(http.Request);
        var body = await RequestBodies.ReadBoundedAsync(http.Request, options.Value.MaxRequestBodyBytes);
        using var document = JsonDocument.Parse(body, DocumentOptions);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new BinderyException(Errors.InvalidParameter, "the body must be a JSON object");
        }
        var parameters = new TencentParams(document.RootElement);
        // RequestId first: every later refusal echoes it (a RequestId that is not a string is itself refused, with a generated one).
        var requestId = parameters.Text("RequestId", 128)?.Trim();
        if (!string.IsNullOrEmpty(requestId))
        {
            TencentEnvelope.SetRequestId(http, requestId);
        }
        // A pre-login action (AppGetToken, …) is signed with the app's secret instead of carrying an AccessToken.
        var routeAction = http.Request.RouteValues["action"] as string;
        if (TencentAppApi.Serves(parameters.Text("Action")?.Trim() ?? routeAction?.Trim()))
        {
            var (appShape, appData) = await appApi.RunAsync(http, ActionOf(parameters, routeAction), document.RootElement, parameters);
            return TypedResults.Json(TencentEnvelope.Success(TencentEnvelope.Kind(http), appShape, appData, TencentEnvelope.RequestId(http)), TencentEnvelope.Json);
        }
        var caller = await actions.IdentifyAsync(http, parameters);
        // Read from the route only (a handler parameter would also bind "?action=" from the query, which is ignored).
        var name = ActionOf(parameters, http.Request.RouteValues["action"] as string);
        CountedOperations.TencentAction(http, name);
        var (shape, data) = await actions.RunAsync(name, caller, parameters);
        return TypedResults.Json(TencentEnvelope.Success(TencentEnvelope.Kind(http), shape, data, TencentEnvelope.RequestId(http)), TencentEnvelope.Json);
    }

    /// <summary>The body's Action, else the path's; both present and different is refused.</summary>
    private static string ActionOf(TencentParams parameters, string? pathAction)
    {
        var bodyAction = parameters.Text("Action")?.Trim();
        pathAction = pathAction?.Trim();
        if (pathAction?.Length > TencentParams.MaxIdLength)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"Action is longer than {TencentParams.MaxIdLength} characters");
        }
        if (string.IsNullOrEmpty(bodyAction))
        {
            return string.IsNullOrEmpty(pathAction) ? throw new BinderyException(Errors.InvalidParameter, "Action is required") : pathAction;
        }
        if (!string.IsNullOrEmpty(pathAction) && !string.Equals(bodyAction, pathAction, StringComparison.Ordinal))
        {
            throw new BinderyException(Errors.InvalidParameter, $"the path names Action {pathAction} but the body names {bodyAction}");
        }
        return bodyAction;
    }
}
