using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Bindery.Infrastructure;

/// <summary>
/// Turns every failure into the error envelope of the endpoint it happened on: catalogued errors, bad JSON, oversize
/// bodies, unknown routes and wrong methods included. The envelope is the one the endpoint's route group declares
/// (<see cref="ErrorEnvelopes.WithErrorEnvelope{TBuilder}"/>); for a request that matched no endpoint, the one
/// declared for the longest group prefix its path lies under (<see cref="ErrorEnvelopeTable"/>), else
/// <see cref="ErrorEnvelopes.Plain"/>. No stack trace ever reaches a client.
/// </summary>
public static class ErrorHandling
{
    /// <summary>
    /// Writes the body of an error in a dialect's shape. <see cref="ErrorEnvelope.WriteAsync"/> sets the HTTP status
    /// first and passes <paramref name="keepStatus"/> true.
    /// </summary>
    public delegate Task ErrorWriter(HttpContext context, ErrorDef error, string? detail, bool keepStatus);

    /// <summary>Registers the <see cref="ErrorEnvelopeTable"/> the route groups' declarations fill.</summary>
    public static IServiceCollection AddBinderyErrors(this IServiceCollection services) =>
        services.AddSingleton<ErrorEnvelopeTable>();

    /// <summary>The envelope declared on <paramref name="endpoint"/>; without one, the one declared for the request's path.</summary>
    public static ErrorEnvelope EnvelopeOf(HttpContext context, Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<ErrorEnvelope>()
        ?? context.RequestServices.GetService<ErrorEnvelopeTable>()?.Find(context.Request.Path)
        ?? ErrorEnvelopes.Plain;

    /// <summary>
    /// Writes an error in the envelope of the request's endpoint. When <paramref name="status"/> is given the HTTP
    /// status is already decided (e.g. 404 for an unknown route); otherwise the envelope decides it.
    /// </summary>
    public static Task WriteErrorAsync(HttpContext context, ErrorDef error, string? detail = null, int? status = null) =>
        EnvelopeOf(context, context.GetEndpoint()).WriteAsync(context, error, detail, status);

    /// <summary>
    /// The exception handler (thrown errors, in the envelope of the endpoint that threw) and the status-code writer
    /// (404, 405, 413 and 415 set without a body, in the envelope of the path): the one place errors are answered.
    /// </summary>
    public static IApplicationBuilder UseBinderyErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A catalogued 404 (the admin API's unknown product, …) is an answer, not a handler that found nothing.
            AllowStatusCode404Response = true,
            // Refused input is not worth an error log with a stack trace; only what becomes InternalError is.
            SuppressDiagnosticsCallback = ctx => Classify(ctx.Exception).Error != Errors.InternalError,
            ExceptionHandler = async context =>
            {
                var feature = context.Features.Get<IExceptionHandlerFeature>();
                var (error, detail) = Classify(feature?.Error);
                if (error == Errors.InternalError)
                {
                    context.RequestServices.GetRequiredService<ILoggerFactory>()
                        .CreateLogger("Bindery.Errors")
                        .LogError("Unhandled {ExceptionType} on {Method} {Path}", feature?.Error.GetType().Name, context.Request.Method, context.Request.Path);
                }
                // The handler runs with the endpoint cleared; the feature keeps the one that threw.
                await EnvelopeOf(context, feature?.Endpoint).WriteAsync(context, error, detail);
            },
        });
        return app.UseStatusCodePages(WriteStatusCodeAsync);
    }

    /// <summary>
    /// A response that ended with an error status and no body: unknown routes, wrong methods, Kestrel's body limit
    /// hit while a minimal API binds the body (the framework sets 413 without throwing), an unsupported Content-Type.
    /// They answer in the envelope with the status kept, never with an empty body.
    /// </summary>
    public static Task WriteStatusCodeAsync(StatusCodeContext status)
    {
        var context = status.HttpContext;
        var code = context.Response.StatusCode;
        (ErrorDef Error, string? Detail)? answer = code switch
        {
            StatusCodes.Status404NotFound => (Errors.NotFound, "No such endpoint"),
            StatusCodes.Status405MethodNotAllowed => (Errors.NotFound, "Method not allowed"),
            StatusCodes.Status413PayloadTooLarge => (Errors.RequestTooLarge, null),
            StatusCodes.Status415UnsupportedMediaType => (Errors.InvalidParameter, RequestGate.JsonContentTypeRequired),
            _ => null,
        };
        return answer is var (error, detail) ? WriteErrorAsync(context, error, detail, code) : Task.CompletedTask;
    }

    public static (ErrorDef Error, string? Detail) Classify(Exception? exception) => exception switch
    {
        BinderyException b => (b.Error, b.Detail),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (Errors.RequestTooLarge, null),
        BadHttpRequestException { InnerException: JsonException j } => (Errors.InvalidParameter, DescribeJsonError(j)),
        BadHttpRequestException b => (Errors.InvalidParameter, b.Message),
        JsonException j => (Errors.InvalidParameter, DescribeJsonError(j)),
        Storage.StorageUnavailableException => (Errors.StorageUnavailable, null),
        // A unique index refused a write that no caller mapped to a more precise error: a conflict, not a crash.
        Storage.UniqueViolationException => (Errors.AlreadyExists, null),
        _ => (Errors.InternalError, null),
    };

    private static string DescribeJsonError(JsonException j) =>
        j.Path is { Length: > 0 } path ? $"Invalid JSON at {path}" : "Invalid JSON body";
}
