using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Bindery.Infrastructure;

/// <summary>
/// Turns every failure into the dialect's error envelope: catalogued errors, bad JSON and oversize bodies
/// included. No stack trace ever reaches a client.
/// </summary>
public static class ErrorHandling
{
    /// <summary>
    /// Writes an error in the envelope of whichever dialect the request path belongs to. When
    /// <paramref name="keepStatus"/> is set the HTTP status is already decided (e.g. 404 for an unknown route).
    /// </summary>
    public delegate Task ErrorWriter(HttpContext context, ErrorDef error, string? detail, bool keepStatus);

    private static readonly List<(PathString Prefix, ErrorWriter Writer)> DialectWriters = [];

    /// <summary>Lets a dialect (e.g. the Tencent-style action API) own the error envelope under a path prefix.</summary>
    public static void RegisterDialect(PathString prefix, ErrorWriter writer)
    {
        lock (DialectWriters)
        {
            if (!DialectWriters.Any(d => d.Prefix == prefix))
            {
                DialectWriters.Add((prefix, writer));
            }
        }
    }

    public static Task WriteErrorAsync(HttpContext context, ErrorDef error, string? detail = null, bool keepStatus = false)
    {
        foreach (var (prefix, writer) in DialectWriters)
        {
            if (context.Request.Path.StartsWithSegments(prefix))
            {
                return writer(context, error, detail, keepStatus);
            }
        }
        return WriteQuectelErrorAsync(context, error, detail, keepStatus);
    }

    public static Task WriteQuectelErrorAsync(HttpContext context, ErrorDef error, string? detail, bool keepStatus = false)
    {
        if (keepStatus)
        {
            return context.Response.WriteAsJsonAsync(Envelope.Error(error, Envelope.WantsChinese(context), detail));
        }
        // The /v2 API answers business errors with HTTP 200 and the code in the body, like the cloud it imitates;
        // the admin and device APIs use the HTTP status as well.
        var status = context.Request.Path.StartsWithSegments("/v2") && error.HttpStatus < 500 && error.HttpStatus != 413
            ? StatusCodes.Status200OK
            : error.HttpStatus;
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Envelope.Error(error, Envelope.WantsChinese(context), detail));
    }

    public static IApplicationBuilder UseBinderyErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Refused input is not worth an error log with a stack trace; only what becomes InternalError is.
            SuppressDiagnosticsCallback = ctx => Classify(ctx.Exception).Error != Errors.InternalError,
            ExceptionHandler = async context =>
            {
                var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var (error, detail) = Classify(exception);
                if (error == Errors.InternalError)
                {
                    context.RequestServices.GetRequiredService<ILoggerFactory>()
                        .CreateLogger("Bindery.Errors")
                        .LogError("Unhandled {ExceptionType} on {Method} {Path}", exception?.GetType().Name, context.Request.Method, context.Request.Path);
                }
                await WriteErrorAsync(context, error, detail);
            },
        });

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
