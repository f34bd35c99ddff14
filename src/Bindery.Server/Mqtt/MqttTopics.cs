using Bindery.Devices;

namespace Bindery.Mqtt;

/// <summary>What a device's publish is, by its topic.</summary>
public enum UpTopic
{
    /// <summary>Not one of the device's own topics: dropped (the device stays connected).</summary>
    Foreign,

    /// <summary><c>$thing/up/service/{pk}/{dk}</c>: Tencent's binding messages (app_bind_token, unbind_device_request).</summary>
    Service,

    /// <summary><c>$thing/up/bindery/{pk}/{dk}</c>: Bindery's own device protocol.</summary>
    Bindery,

    /// <summary><c>$gateway/operation/{pk}/{dk}</c>: Tencent's gateway topology messages (Gateways/GatewayMqtt).</summary>
    Gateway,

    /// <summary>Another <c>$thing/up/{type}/{pk}/{dk}</c> or one of its <c>$log/…/{pk}/{dk}</c> topics: accepted and dropped.</summary>
    OwnOther,
}

/// <summary>
/// The topic ACL: a device publishes on <c>$thing/up/{type}/{pk}/{dk}</c> and its own <c>$log/…/{pk}/{dk}</c>
/// topics, and subscribes to <c>$thing/down/{type or +}/{pk}/{dk}</c> and its own <c>$log/…/{pk}/{dk}</c> filters.
/// Nothing else; in particular no <c>#</c>, and no filter that could match another device's topic.
/// </summary>
public static class MqttTopics
{
    public const string ServiceType = "service";
    public const string BinderyType = "bindery";

    public static string Down(AuthenticatedDevice device, string type) => $"$thing/down/{type}/{device.Pk}/{device.Dk}";

    /// <summary>Where a gateway's topology answers go (Tencent's <c>$gateway/operation/result/{pk}/{dk}</c>).</summary>
    public static string GatewayResult(AuthenticatedDevice device) => $"$gateway/operation/result/{device.Pk}/{device.Dk}";

    /// <summary>
    /// Whether a filter the device subscribed to receives its pushes (<c>$thing/down/service/{pk}/{dk}</c>): the topic
    /// itself, as Tencent's SDKs subscribe, or <c>$thing/down/+/{pk}/{dk}</c>, as a client that listens to all of its
    /// down topics does.
    /// </summary>
    public static bool ReceivesServiceDown(AuthenticatedDevice device, string? filter) =>
        filter == Down(device, ServiceType) || filter == Down(device, "+");

    public static UpTopic ClassifyPublish(AuthenticatedDevice device, string? topic)
    {
        var levels = topic?.Split('/');
        if (levels is null || levels.Any(l => l.Length == 0 || l.Contains('+') || l.Contains('#')) || !EndsWithDevice(levels, device))
        {
            return UpTopic.Foreign;
        }
        if (levels is ["$thing", "up", var type, _, _])
        {
            return type switch
            {
                ServiceType => UpTopic.Service,
                BinderyType => UpTopic.Bindery,
                _ => UpTopic.OwnOther,
            };
        }
        if (levels is ["$gateway", "operation", _, _])
        {
            return UpTopic.Gateway;
        }
        return levels.Length >= 3 && levels[0] == "$log" ? UpTopic.OwnOther : UpTopic.Foreign;
    }

    public static bool MaySubscribe(AuthenticatedDevice device, string? filter)
    {
        var levels = filter?.Split('/');
        if (levels is null || levels.Any(l => l.Length == 0 || l.Contains('#') || (l.Contains('+') && l != "+")) || !EndsWithDevice(levels, device))
        {
            return false;
        }
        return levels is ["$thing", "down", _, _, _] or ["$gateway", "operation", "result", _, _] || (levels.Length >= 3 && levels[0] == "$log");
    }

    /// <summary>The last two levels are the device's pk and dk, literally (never a wildcard).</summary>
    private static bool EndsWithDevice(string[] levels, AuthenticatedDevice device) =>
        levels.Length >= 3 && levels[^2] == device.Pk && levels[^1] == device.Dk;
}
