using Bindery.Infrastructure;

namespace Bindery.Demo;

public static class DemoSetup
{
    public static IServiceCollection AddDemo(this IServiceCollection services) =>
        services.AddSingleton<IStartupStep, DemoSeeder>();
}
