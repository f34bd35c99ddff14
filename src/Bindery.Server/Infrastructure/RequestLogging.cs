using System.Diagnostics;

namespace Bindery.Infrastructure;

/// <summary>
/// One structured line per request: method, path, status, elapsed time. Never the query string, headers or
/// body, which is where tokens, codes, serial numbers and passwords travel.
/// </summary>
public static class RequestLogging
{
    public static IApplicationBuilder UseBinderyRequestLogging(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Bindery.Requests");
        return app.Use(async (context, next) =>
        {
            if (!logger.IsEnabled(LogLevel.Information))
            {
                await next(context);
                return;
            }
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                logger.LogInformation("{Method} {Path} -> {StatusCode} in {ElapsedMs:0.0} ms",
                    context.Request.Method, context.Request.Path.Value, context.Response.StatusCode,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
    }
}
