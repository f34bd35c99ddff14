namespace Bindery.Tencent;

/// <summary>Configuration section <c>Tencent</c>: distribution-network token lifetimes and guessing limits (docs/tencent-api.md).</summary>
public sealed class TencentOptions
{
    /// <summary>Lifetime of a 32-character token (128 random bits).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Lifetime of a 6-character token (30 random bits): short, because it is guessable in principle.</summary>
    public TimeSpan ShortTokenLifetime { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Reports of unknown, expired, used or contested tokens one device may make within <see cref="ReportFailureWindow"/>.</summary>
    public int ReportFailuresPerDevice { get; set; } = 5;

    /// <summary>The window the per-device report failure count runs over.</summary>
    public TimeSpan ReportFailureWindow { get; set; } = TimeSpan.FromMinutes(15);
}
