namespace Bindery.Sharing;

/// <summary>Configuration section <c>Sharing</c>: the lifetimes, limits and guessing limits of docs/sharing.md.</summary>
public sealed class SharingOptions
{
    /// <summary>How long a pending share can be accepted when the caller names no time (Tencent's 24 hours; addressed <c>shareByUid</c> shares get <see cref="MaxAcceptingWindow"/>).</summary>
    public TimeSpan DefaultAcceptingWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The latest accepting time a share may be given, counted from its creation.</summary>
    public TimeSpan MaxAcceptingWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Shares of one device, pending and accepted, of all its owners together.</summary>
    public int MaxSharesPerDevice { get; set; } = 20;

    /// <summary>Pending open share codes of one device.</summary>
    public int MaxOpenCodesPerDevice { get; set; } = 5;

    /// <summary>Devices one user has accepted shares of.</summary>
    public int MaxSharedDevicesPerUser { get; set; } = 100;

    /// <summary>Failed share-code presentations (unknown, wrong secret, expired, someone else's) one user may make per <see cref="GuessWindow"/>.</summary>
    public int FailuresPerUser { get; set; } = 10;

    /// <summary>Failed share-code presentations of all users of one user domain together per <see cref="GuessWindow"/>.</summary>
    public int FailuresPerUserDomain { get; set; } = 200;

    /// <summary>The window the share guessing counters run over; once one is full, every presentation answers 9007 until it ends.</summary>
    public TimeSpan GuessWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often each node removes expired shares (the first run is one minute after start).</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(5);
}
