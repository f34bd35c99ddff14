namespace Bindery.Accounts;

public static class AccountEndpoints
{
    public static IServiceCollection AddAccounts(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app) => app;
}
