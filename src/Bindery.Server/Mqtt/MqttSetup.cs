namespace Bindery.Mqtt;

public static class MqttSetup
{
    /// <summary>The embedded broker (section <c>Mqtt</c>): on by default, off with <c>Mqtt:Enabled=false</c>.</summary>
    public static IServiceCollection AddMqtt(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<MqttOptions>(configuration.GetSection("Mqtt"));
        services.AddSingleton<MqttDeviceAuth>();
        services.AddSingleton<MqttDeviceMessages>();
        services.AddSingleton<MqttBroker>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttBroker>());
        // Pushes to devices (bind_device / unbind_device): delivery by the node holding the connection, pruning.
        services.AddSingleton<MqttConnections>();
        services.AddSingleton<DevicePushReader>();
        services.AddHostedService<PushDelivery>();
        services.AddSingleton<DevicePushPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<DevicePushPruner>());
        return services;
    }
}
