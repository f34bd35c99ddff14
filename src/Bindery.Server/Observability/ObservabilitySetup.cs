using System.Security.Cryptography;
using System.Text;
using Bindery.Infrastructure;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bindery.Observability;

/// <summary>
/// Metrics and traces (docs/operations.md), section <c>Metrics</c>:
/// <list type="bullet">
/// <item><c>Metrics:Prometheus:Enabled</c> (default false) maps the scrape endpoint at <see cref="PrometheusScrape.Path"/>;
/// it answers only a request carrying <c>Authorization: Bearer {Metrics:Prometheus:ScrapeToken}</c>, unless
/// <c>Metrics:Prometheus:AllowAnonymous</c> is true (a deployment whose network already keeps the port private). Enabled
/// with neither is a configuration error: the server does not start.</item>
/// <item>OTLP export of metrics and traces when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the OpenTelemetry variable, with its
/// companions <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_EXPORTER_OTLP_HEADERS</c>) or <c>Metrics:Otlp:Endpoint</c> is set.</item>
/// </list>
/// With no exporter configured no meter or tracer provider is built: the instruments cost a null check.
/// </summary>
public static class ObservabilitySetup
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IServiceCollection AddBinderyObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMetrics();
        services.AddSingleton<BinderyMetrics>();
        services.AddSingleton<BindRates>();
        var prometheus = PrometheusScrape.FromConfiguration(configuration);
        if (prometheus is not null)
        {
            services.AddSingleton(prometheus);
        }
        var otlpEndpoint = configuration["Metrics:Otlp:Endpoint"];
        var otlp = !string.IsNullOrWhiteSpace(otlpEndpoint) || !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        if (prometheus is null && !otlp)
        {
            return services;
        }
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("bindery"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(BinderyMetrics.MeterName).AddAspNetCoreInstrumentation().AddRuntimeInstrumentation();
                if (prometheus is not null)
                {
                    // No cached answers: each scrape reads the instruments now.
                    metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }
                if (otlp)
                {
                    metrics.AddOtlpExporter(o => ConfigureOtlp(o, otlpEndpoint));
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(BinderyMetrics.MeterName)
                .AddAspNetCoreInstrumentation(o =>
                {
                    // The scrape endpoint and the reference page are not worth a span each.
                    o.Filter = http => !http.Request.Path.StartsWithSegments(PrometheusScrape.Path) && !http.Request.Path.StartsWithSegments(ApiReference.DocsPath);
                    // A span names the route template, never the path as sent (ids) nor the query string (codes, tokens).
                    o.EnrichWithHttpResponse = (activity, response) =>
                    {
                        activity.SetTag("url.query", null);
                        activity.SetTag("url.path", (response.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)");
                    };
                })
                .AddOtlpExporter(o => ConfigureOtlp(o, otlpEndpoint)));
        }
        return services;
    }

    private static void ConfigureOtlp(OpenTelemetry.Exporter.OtlpExporterOptions options, string? endpoint)
    {
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            options.Endpoint = new Uri(endpoint);
        }
    }

    /// <summary>Maps the Prometheus scrape endpoint when <c>Metrics:Prometheus:Enabled</c>.</summary>
    public static IEndpointRouteBuilder MapBinderyMetrics(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<PrometheusScrape>() is { } scrape)
        {
            app.MapPrometheusScrapingEndpoint(PrometheusScrape.Path)
                .WithMetadata(scrape)
                .ExcludeFromDescription()
                .WithErrorEnvelope(ErrorEnvelopes.Plain);
        }
        return app;
    }
}

/// <summary>
/// The Prometheus scrape endpoint's guard, as endpoint metadata read by <see cref="CountedOperations.UseBinderyMetrics"/>:
/// a bearer token compared in constant time, or nothing when the deployment allows anonymous scrapes.
/// </summary>
public sealed class PrometheusScrape
{
    public const string Path = "/metrics";

    public const string Refusal = "The metrics endpoint needs Authorization: Bearer <Metrics:Prometheus:ScrapeToken>";

    private readonly byte[]? _tokenHash;

    private PrometheusScrape(string? token) =>
        _tokenHash = token is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The guard the configuration asks for, or null when the endpoint is off.</summary>
    public static PrometheusScrape? FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Metrics:Prometheus");
        if (!section.GetValue("Enabled", false))
        {
            return null;
        }
        var token = section["ScrapeToken"];
        if (!string.IsNullOrWhiteSpace(token))
        {
            return token.Length >= 16
                ? new PrometheusScrape(token)
                : throw new InvalidOperationException("Metrics:Prometheus:ScrapeToken must be at least 16 characters.");
        }
        return section.GetValue("AllowAnonymous", false)
            ? new PrometheusScrape(null)
            : throw new InvalidOperationException(
                "Metrics:Prometheus:Enabled needs Metrics:Prometheus:ScrapeToken (a bearer token Prometheus sends), or Metrics:Prometheus:AllowAnonymous=true where the network keeps the endpoint private.");
    }

    public bool Allows(HttpRequest request)
    {
        if (_tokenHash is null)
        {
            return true;
        }
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length > 1024)
        {
            return false;
        }
        var offered = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(offered, _tokenHash);
    }
}
