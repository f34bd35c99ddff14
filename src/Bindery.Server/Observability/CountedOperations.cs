using System.Diagnostics;
using Bindery.Infrastructure;

namespace Bindery.Observability;

/// <summary>
/// Which operation an endpoint's requests count as (a bind, an unbind, a device report), declared on the route with
/// <see cref="CountedOperations.CountsBind{TBuilder}"/> and its siblings; <see cref="CountedOperations.UseBinderyMetrics"/>
/// counts each such request once, with the catalogued code of its refusal, whatever refused it: the user's token,
/// a bad body, the binding core.
/// </summary>
public sealed record CountedOperation(CountedOperation.Kinds Kind, string Dialect, string Name)
{
    public enum Kinds
    {
        Bind,
        Unbind,
        DeviceReport,

        /// <summary>The Tencent-style action API: what is counted depends on the body's Action (<see cref="CountedOperations.TencentAction"/>).</summary>
        TencentAction,
    }
}

public static class CountedOperations
{
    /// <summary>The binding methods' tag values (<c>method</c>).</summary>
    public static class Methods
    {
        public const string Sn = "sn";
        public const string Wifi = "wifi";
        public const string PureBt = "pure_bt";
        public const string TencentToken = "tencent_token";
        public const string TencentSig = "tencent_sig";
        public const string TencentSecureAdd = "tencent_secure_add";
        public const string Dk = "dk";
        public const string SubDevice = "sub_device";
    }

    /// <summary>The Tencent actions that are counted, and as what.</summary>
    private static readonly Dictionary<string, CountedOperation> TencentActions = new(StringComparer.Ordinal)
    {
        ["AppTokenBindDeviceFamily"] = new(CountedOperation.Kinds.Bind, BinderyMetrics.Dialects.Tencent, Methods.TencentToken),
        ["AppSigBindDeviceInFamily"] = new(CountedOperation.Kinds.Bind, BinderyMetrics.Dialects.Tencent, Methods.TencentSig),
        ["AppSecureAddDeviceInFamily"] = new(CountedOperation.Kinds.Bind, BinderyMetrics.Dialects.Tencent, Methods.TencentSecureAdd),
        ["AppDeleteDeviceInFamily"] = new(CountedOperation.Kinds.Unbind, BinderyMetrics.Dialects.Tencent, ""),
        ["AppBindSubDeviceInFamily"] = new(CountedOperation.Kinds.Bind, BinderyMetrics.Dialects.Tencent, Methods.SubDevice),
    };

    /// <summary>Requests to this Quectel-style endpoint count as binds by <paramref name="method"/>.</summary>
    public static TBuilder CountsBind<TBuilder>(this TBuilder builder, string method) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new CountedOperation(CountedOperation.Kinds.Bind, BinderyMetrics.Dialects.Quectel, method));

    /// <summary>Requests to this Quectel-style endpoint count as unbinds.</summary>
    public static TBuilder CountsUnbind<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new CountedOperation(CountedOperation.Kinds.Unbind, BinderyMetrics.Dialects.Quectel, ""));

    /// <summary>Requests to this device API endpoint count as device reports of <paramref name="kind"/> over HTTP.</summary>
    public static TBuilder CountsDeviceReport<TBuilder>(this TBuilder builder, string kind) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new CountedOperation(CountedOperation.Kinds.DeviceReport, BinderyMetrics.Dialects.Device, kind));

    /// <summary>Requests to these Tencent-style endpoints count by the Action they name.</summary>
    public static TBuilder CountsTencentActions<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new CountedOperation(CountedOperation.Kinds.TencentAction, BinderyMetrics.Dialects.Tencent, ""));

    /// <summary>The Tencent handler names the request's Action once it is read: a counted one is counted.</summary>
    public static void TencentAction(HttpContext context, string action)
    {
        if (context.Features.Get<CountedRequest>() is { } counted && TencentActions.TryGetValue(action, out var operation))
        {
            counted.Operation = operation;
        }
    }

    /// <summary>The counted operation of the request in flight (set by the middleware, refined by the Tencent handler).</summary>
    private sealed class CountedRequest(CountedOperation operation)
    {
        public CountedOperation Operation { get; set; } = operation;
    }

    /// <summary>
    /// Counts every request to an endpoint declaring a <see cref="CountedOperation"/>, once, when it ends: success when
    /// it ended without an exception or error status, else refused with the catalogued code the error handling answers
    /// (<see cref="ErrorHandling.Classify"/>); also the span of the operation. Goes right after the error handling, so
    /// every refusal after it (the user's token, the body, the handler) passes through.
    /// </summary>
    public static IApplicationBuilder UseBinderyMetrics(this IApplicationBuilder app)
    {
        var metrics = app.ApplicationServices.GetRequiredService<BinderyMetrics>();
        return app.Use(async (context, next) =>
        {
            var endpoint = context.GetEndpoint();
            if (endpoint?.Metadata.GetMetadata<PrometheusScrape>() is { } scrape && !scrape.Allows(context.Request))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await ErrorEnvelopes.Plain.WriteAsync(context, Errors.NoPermission, PrometheusScrape.Refusal, StatusCodes.Status401Unauthorized);
                return;
            }
            if (endpoint?.Metadata.GetMetadata<CountedOperation>() is not { } declared)
            {
                await next(context);
                return;
            }
            var counted = new CountedRequest(declared);
            context.Features.Set(counted);
            using var activity = BinderyMetrics.ActivitySource.StartActivity("bindery.operation");
            ErrorDef? refusal;
            try
            {
                await next(context);
                refusal = context.Response.StatusCode >= 400 ? StatusRefusal(context.Response.StatusCode) : null;
            }
            catch (Exception e) when (Record(metrics, counted.Operation, ErrorHandling.Classify(e).Error, activity))
            {
                throw; // never reached: Record answers false, so the exception goes on to the error handling untouched
            }
            Record(metrics, counted.Operation, refusal, activity);
        });
    }

    /// <summary>Counts the outcome; false, so that as an exception filter it lets the exception pass.</summary>
    private static bool Record(BinderyMetrics metrics, CountedOperation operation, ErrorDef? refusal, Activity? activity)
    {
        switch (operation.Kind)
        {
            case CountedOperation.Kinds.Bind:
                metrics.Bind(operation.Dialect, operation.Name, refusal);
                break;
            case CountedOperation.Kinds.Unbind:
                metrics.Unbind(operation.Dialect, refusal);
                break;
            case CountedOperation.Kinds.DeviceReport:
                metrics.DeviceReport(operation.Name, BinderyMetrics.Transports.Http, refusal);
                break;
            default:
                // A Tencent action that is not counted.
                activity?.SetTag("bindery.counted", false);
                return false;
        }
        if (activity is not null)
        {
            activity.DisplayName = operation.Kind switch
            {
                CountedOperation.Kinds.Bind => "bindery.bind",
                CountedOperation.Kinds.Unbind => "bindery.unbind",
                _ => "bindery.device.report",
            };
            activity.SetTag("bindery.dialect", operation.Dialect);
            activity.SetTag("bindery.operation", operation.Name);
            activity.SetTag("bindery.code", refusal?.Code ?? 0);
            if (refusal is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, refusal.Name);
            }
        }
        return false;
    }

    /// <summary>An error status set without an exception (the status-code pages answer it): the code they answer with.</summary>
    private static ErrorDef StatusRefusal(int status) => status switch
    {
        StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed => Errors.NotFound,
        StatusCodes.Status413PayloadTooLarge => Errors.RequestTooLarge,
        StatusCodes.Status415UnsupportedMediaType => Errors.InvalidParameter,
        StatusCodes.Status503ServiceUnavailable => Errors.StorageUnavailable,
        < 500 => Errors.InvalidParameter,
        _ => Errors.InternalError,
    };
}
