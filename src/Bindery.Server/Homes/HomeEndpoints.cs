namespace Bindery.Homes;

public static class HomeEndpoints
{
    public static IServiceCollection AddHomes(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapHomes(this IEndpointRouteBuilder app) => app;
}
