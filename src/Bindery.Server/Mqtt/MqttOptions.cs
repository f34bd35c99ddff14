namespace Bindery.Mqtt;

/// <summary>
/// Configuration section <c>Mqtt</c> (environment: <c>Mqtt__Port</c> etc.): the embedded broker devices connect to
/// (docs/device-api.md, "Devices over MQTT").
/// </summary>
public sealed class MqttOptions
{
    /// <summary>Runs the broker; <c>false</c> turns it off (the HTTP device API is unaffected).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The IP address both listeners bind to. The default, <c>127.0.0.1</c>, matches the HTTP default
    /// (<c>localhost:5080</c>): nothing is reachable from the network until the operator says so, e.g.
    /// <c>Mqtt__BindAddress=0.0.0.0</c> (every IPv4 interface) or <c>::</c> (every IPv6 interface).
    /// </summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Plain TCP port (MQTT 3.1.1 and 5); 0 lets the system pick a free one (tests).</summary>
    public int Port { get; set; } = 1883;

    /// <summary>TLS port, listened on only when <see cref="MqttTlsOptions.CertificatePath"/> is set; 0 picks a free one.</summary>
    public int TlsPort { get; set; } = 8883;

    public MqttTlsOptions Tls { get; set; } = new();

    /// <summary>Failed connects one remote address may make as one device (username) within <see cref="AuthFailureWindow"/>; then that address is refused as that device until the window passes.</summary>
    public int AuthFailuresPerAddressAndDevice { get; set; } = 10;

    /// <summary>Failed connects one remote address may make in all (any device, known or not) within <see cref="AuthFailureWindow"/>; then every connect from it is refused until the window passes.</summary>
    public int AuthFailuresPerAddress { get; set; } = 200;

    /// <summary>The window the connect failure counts run over.</summary>
    public TimeSpan AuthFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Largest message payload the broker reads; a bigger one on a device's own up topic is answered 9002.</summary>
    public int MaxPayloadBytes { get; set; } = 16 * 1024;

    /// <summary>How long a push (<c>bind_device</c>, <c>unbind_device</c>) is kept for a device that has not acknowledged it; then it is never delivered and is pruned.</summary>
    public TimeSpan PushLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often each node looks for pushes to the devices connected to it (a binding made on any node reaches the device within about this).</summary>
    public TimeSpan PushPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a node refreshes the <c>mqtt_connections</c> rows of the devices connected to it.</summary>
    public TimeSpan ConnectionHeartbeat { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection row not refreshed for this long is a dead node's: shown as not connected and pruned.</summary>
    public TimeSpan ConnectionStaleAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// The oldest <c>seen_at</c> (Unix ms) of a connection row that still counts as a live connection at
    /// <paramref name="nowMs"/>: a row seen at or after it is live, one seen before it is a dead node's.
    /// </summary>
    public long LiveConnectionSeenSince(long nowMs) => nowMs - (long)ConnectionStaleAfter.TotalMilliseconds;

    /// <summary>How often expired pushes and stale connection rows are pruned.</summary>
    public TimeSpan PushPruneInterval { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Configuration section <c>Mqtt:Tls</c>: the server certificate of the TLS listener.</summary>
public sealed class MqttTlsOptions
{
    /// <summary>
    /// A PKCS#12 file (<c>.pfx</c>/<c>.p12</c>, certificate and key) or a PEM certificate (chain); empty turns the
    /// TLS listener off. A relative path resolves against the directory the server was started in.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key, when it is not in the PEM file of <see cref="CertificatePath"/> itself.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The PKCS#12 password, or the password of an encrypted PEM private key.</summary>
    public string? Password { get; set; }
}
