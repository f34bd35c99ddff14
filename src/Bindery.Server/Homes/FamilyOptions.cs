namespace Bindery.Homes;

/// <summary>Configuration section <c>Families</c>: membership limits and invitation lifetimes (docs/accounts-and-homes.md).</summary>
public sealed class FamilyOptions
{
    /// <summary>Members a family may have, owner included; accepting an invitation beyond it answers 9010.</summary>
    public int MemberLimit { get; set; } = 50;

    /// <summary>How far ahead an invitation's expiry (<c>invalidTime</c>) may lie; later is an invalid parameter.</summary>
    public TimeSpan MaxInviteLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Lifetime of a Tencent-style invitation (<c>AppSendShareFamilyInvite</c>) and of a family share token.</summary>
    public TimeSpan DefaultInviteLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Pending invitations (addressed and share tokens) a family may have at once.</summary>
    public int PendingInvitesPerFamily { get; set; } = 50;

    /// <summary>Failed invitation attempts (unknown, expired, used or someone else's) one user may make within <see cref="GuessWindow"/>.</summary>
    public int GuessesPerUser { get; set; } = 5;

    /// <summary>Failed invitation attempts all users of one user domain may make together within <see cref="GuessWindow"/>.</summary>
    public int GuessesPerUserDomain { get; set; } = 1000;

    /// <summary>The window the failed-attempt counts run over.</summary>
    public TimeSpan GuessWindow { get; set; } = TimeSpan.FromMinutes(15);
}
