namespace Bindery.Devices;

public static class DeviceApiEndpoints
{
    public static IServiceCollection AddDeviceApi(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapDeviceApi(this IEndpointRouteBuilder app) => app;
}
