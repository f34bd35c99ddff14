namespace Bindery.Binding;

public static class BindingEndpoints
{
    public static IServiceCollection AddBinding(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapBinding(this IEndpointRouteBuilder app) => app;
}
