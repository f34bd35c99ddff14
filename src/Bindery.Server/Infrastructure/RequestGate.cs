using System.Reflection;
using System.Runtime.CompilerServices;
using Bindery.Accounts;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing.Matching;

namespace Bindery.Infrastructure;

/// <summary>
/// What every endpoint checks before it binds a single parameter, in this order: who is calling (an endpoint
/// that takes an <see cref="AppUser"/> authenticates the access token first: 5106/5032), then that a JSON body
/// is declared JSON (9000 <see cref="JsonContentTypeRequired"/>). The admin key (<c>/admin</c>) is checked even
/// earlier, by <c>AdminKeyGate.UseAdminKey</c>; the device API and the Tencent-style action API, which read their
/// bodies themselves, call <see cref="RequireJson"/> after their own authentication.
/// Routing's own Content-Type check (an empty 415 before any of this) is removed: see <see cref="RemoveRoutingContentTypeCheck"/>.
/// </summary>
public static class RequestGate
{
    public const string JsonContentTypeRequired = "Content-Type must be application/json";

    private sealed record Rules(bool AuthenticatesUser, bool JsonBody, bool BodyOptional);

    private static readonly ConditionalWeakTable<Endpoint, Rules> RulesByEndpoint = [];

    /// <summary>
    /// Routing answers a request whose Content-Type an endpoint does not accept with an empty 415, before any
    /// middleware or authentication runs. Without it, the request reaches <see cref="UseRequestGate"/>, which
    /// answers in the endpoint's envelope after authenticating. Call after every service is registered.
    /// </summary>
    public static IServiceCollection RemoveRoutingContentTypeCheck(this IServiceCollection services)
    {
        var policies = services.Where(d => d.ServiceType == typeof(MatcherPolicy) && d.ImplementationType?.Name == "AcceptsMatcherPolicy").ToList();
        foreach (var policy in policies)
        {
            services.Remove(policy);
        }
        if (policies.Count == 0)
        {
            throw new InvalidOperationException("Routing's AcceptsMatcherPolicy is no longer registered under that name: review RequestGate.");
        }
        return services;
    }

    public static IApplicationBuilder UseRequestGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint() is { } endpoint)
        {
            var rules = RulesByEndpoint.GetValue(endpoint, RulesOf);
            if (rules.AuthenticatesUser)
            {
                await CurrentUser.AuthenticateAsync(context);
            }
            if (rules.JsonBody)
            {
                if (HasBody(context.Request))
                {
                    RequireJson(context.Request);
                }
                else if (!rules.BodyOptional)
                {
                    throw new BinderyException(Errors.InvalidParameter, "a JSON request body is required");
                }
            }
        }
        await next(context);
    });

    /// <summary>Refuses (9000) a request whose Content-Type is not JSON (<c>application/json</c> or <c>application/*+json</c>, any charset).</summary>
    public static void RequireJson(HttpRequest request)
    {
        if (!request.HasJsonContentType())
        {
            throw new BinderyException(Errors.InvalidParameter, JsonContentTypeRequired);
        }
    }

    private static bool HasBody(HttpRequest request) =>
        request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
        ?? (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0);

    private static Rules RulesOf(Endpoint endpoint)
    {
        var handler = endpoint.Metadata.GetMetadata<MethodInfo>();
        var authenticates = handler?.GetParameters().Any(p => p.ParameterType == typeof(AppUser)) == true;
        var accepts = endpoint.Metadata.GetMetadata<IAcceptsMetadata>();
        var json = accepts?.ContentTypes.Any(t => t.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)) == true;
        return new Rules(authenticates, json, accepts?.IsOptional ?? true);
    }
}
