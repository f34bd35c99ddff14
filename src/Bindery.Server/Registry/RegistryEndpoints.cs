namespace Bindery.Registry;

public static class RegistryEndpoints
{
    public static IServiceCollection AddRegistry(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapRegistry(this IEndpointRouteBuilder app) => app;
}
