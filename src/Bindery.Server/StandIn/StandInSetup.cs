using Bindery.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bindery.StandIn;

/// <summary>
/// Wires the stand-in mode (docs/stand-in.md). Off (the default): nothing is registered and no <c>/stand-in</c>
/// route exists, so every one answers 404. On: the refusal on a production deployment, the key, the advanceable
/// clock as the server's <see cref="TimeProvider"/>, the <c>/stand-in/v1</c> API and its middleware.
/// </summary>
public static class StandInSetup
{
    public const string PathPrefix = "/stand-in";

    /// <summary>The line a CI script reads the listening address from: <c>BINDERY_LISTENING url=http://127.0.0.1:PORT</c>.</summary>
    public const string ListeningLinePrefix = "BINDERY_LISTENING url=";

    public static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetSection(StandInOptions.SectionName).GetValue<bool>(nameof(StandInOptions.Enabled));

    public static IServiceCollection AddStandIn(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!IsEnabled(configuration))
        {
            return services;
        }
        if (StandInGuard.RefusalReason(configuration, Environment.GetEnvironmentVariable) is { } reason)
        {
            // Fail fast: the message on standard error too, since an exception during start may be reported tersely.
            Console.Error.WriteLine("Bindery refuses to start: " + reason);
            throw new StandInRefusedException(reason);
        }
        services.AddOptions<StandInOptions>().BindConfiguration(StandInOptions.SectionName)
            .Validate(o => o.KeyFailuresPerAddress >= 1, "Bindery:StandIn:KeyFailuresPerAddress must be at least 1")
            .Validate(o => o.KeyFailuresTotal >= 1, "Bindery:StandIn:KeyFailuresTotal must be at least 1")
            .Validate(o => o.KeyFailureWindow > TimeSpan.Zero, "Bindery:StandIn:KeyFailureWindow must be longer than zero")
            .ValidateOnStart();
        services.AddSingleton<StandInKey>();
        services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<StandInKey>());
        // The stand-in clock is THE clock: every expiry decision reads the injected TimeProvider.
        // An instance: StandInClock's constructor takes the TimeProvider it offsets, which would resolve to itself.
        services.AddSingleton(new StandInClock(TimeProvider.System));
        services.RemoveAll<TimeProvider>();
        services.AddSingleton<TimeProvider>(sp => sp.GetRequiredService<StandInClock>());
        // After every other start-up step (the demo seeder): the fixture empties the store and loads its tenant.
        services.AddSingleton<StandInTenant>();
        services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<StandInTenant>());
        services.AddSingleton<StandInDevices>();
        services.AddSingleton<IStandInResetParticipant>(sp => sp.GetRequiredService<StandInDevices>());
        services.AddStandInTraffic(); // faults and journal (h-faults)
        return services;
    }

    /// <summary>
    /// The stand-in middleware, placed outside the error handling (right after request logging) so it sees every
    /// request and the final answer. A refusal written here uses <see cref="ErrorHandling.WriteErrorAsync"/> (the
    /// matched endpoint's envelope). No-op when the mode is off.
    /// </summary>
    public static WebApplication UseStandIn(this WebApplication app)
    {
        if (!IsEnabled(app.Configuration))
        {
            return app;
        }
        // The key before anything else under /stand-in: unknown stand-in routes are not told apart from known ones
        // and a bad body does not reveal a field name. Wrong keys are counted (StandInKey.CheckAsync); the group's
        // endpoint filter sees the pass this leaves in HttpContext.Items and does not count the request again.
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(PathPrefix)
                && !await context.RequestServices.GetRequiredService<StandInKey>().CheckRequestAsync(context))
            {
                await ErrorHandling.WriteErrorAsync(context, Errors.StandInKeyInvalid);
                return;
            }
            await next(context);
        });
        // faults and journal middleware (h-faults): one middleware reads each request once for both.
        app.UseStandInTraffic();
        return app;
    }

    /// <summary>Maps <c>/stand-in/v1</c> when the mode is on, and prints the listening address once the server listens.</summary>
    public static WebApplication MapStandIn(this WebApplication app)
    {
        if (!IsEnabled(app.Configuration))
        {
            return app;
        }
        app.MapStandInEndpoints();
        if (app.Services.GetRequiredService<IOptions<StandInOptions>>().Value.PrintAddress)
        {
            app.Lifetime.ApplicationStarted.Register(() => PrintListening(app.Services));
        }
        return app;
    }

    private static void PrintListening(IServiceProvider services)
    {
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null)
        {
            return;
        }
        foreach (var address in addresses)
        {
            // Deliberately stdout: a machine-readable line for the CI script that started the server.
            Console.WriteLine(ListeningLinePrefix + address);
        }
        Console.Out.Flush();
    }
}
