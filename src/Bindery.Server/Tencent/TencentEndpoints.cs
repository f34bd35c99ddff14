namespace Bindery.Tencent;

public static class TencentEndpoints
{
    public static IServiceCollection AddTencent(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapTencent(this IEndpointRouteBuilder app) => app;
}
