namespace Bindery.Sharing;

/// <summary>
/// The terms a share is created with (ms since epoch). <paramref name="AcceptingExpireAt"/>: a pending share can be
/// accepted until then (null: <see cref="SharingOptions.DefaultAcceptingWindow"/>; at most
/// <see cref="SharingOptions.MaxAcceptingWindow"/> ahead). <paramref name="SharingExpireAt"/>: the recipient's use ends
/// then (null: as long as the owner's binding); it must be later than the accepting time. <paramref name="CoverMark"/>:
/// 1 (default) replace the owner's previous live pending share, 2 add alongside, 3 replace only if the new sharing time
/// is not earlier (docs/sharing.md, "coverMark").
/// </summary>
public sealed record ShareTerms(long? AcceptingExpireAt, long? SharingExpireAt, int? CoverMark);

/// <summary>Who an addressed share is for: exactly one of these (5891 when none).</summary>
public sealed record ShareRecipient(string? ShareUid, string? Email, string? Phone, string? Username);

/// <summary>
/// A share just created. <paramref name="ShareCode"/>: the full code <c>share_dv_&lt;id&gt;_&lt;secret&gt;</c> for an
/// open code (shown once: only its hash is stored), the handle <c>share_dv_&lt;id&gt;</c> for an addressed share.
/// </summary>
public sealed record ShareIssued(string ShareCode, string ShareId, long AcceptingExpireAt, long? SharingExpireAt);

/// <summary>What a share code offers, shown to a would-be recipient before accepting.</summary>
public sealed record ShareCodeInfo(string ShareId, string Pk, string Dk, string DeviceName, string OwnerUid, string OwnerName,
    long AcceptingExpireAt, long? SharingExpireAt, string? ProductName, string? ProductLogo);

/// <summary>A share just accepted; <paramref name="AuthKey"/> is the recipient's, shown once (its hash is stored).</summary>
public sealed record AcceptedShare(string ShareCode, string ShareId, string Pk, string Dk, string OwnerUid, string AuthKey, long? SharingExpireAt);

/// <summary>
/// One recipient of the owner's shares of a device: addressed shares (pending or accepted) and accepted open codes.
/// A pending open code has no user yet and is not listed. <paramref name="ShareCode"/> is the handle.
/// </summary>
public sealed record ShareUser(string ShareCode, string UserId, string UserName, long CreatedAt, long? AcceptedAt,
    long AcceptingExpireAt, long? SharingExpireAt)
{
    /// <summary>The name the recipient gave the device, if any.</summary>
    public string? DeviceName { get; init; }

    /// <summary>The device's product key and stored device key.</summary>
    public string Pk { get; init; } = "";

    public string Dk { get; init; } = "";
}

/// <summary>A device shared with the caller (accepted and live). <paramref name="ShareCode"/> is the handle.</summary>
public sealed record SharedDevice(string ShareCode, string Pk, string Dk, string DeviceName, string OwnerUid, string OwnerName,
    long AcceptedAt, long? SharingExpireAt, string? ProductName, string? ProductLogo)
{
    public string ShareId => ShareCode.Length > DeviceSharing.ShareCodePrefix.Length ? ShareCode[DeviceSharing.ShareCodePrefix.Length..] : "";
}

/// <summary>Which share a management call names: by its code (handle or full code), or by device and user.</summary>
public abstract record ShareSelector
{
    private ShareSelector()
    {
    }

    public sealed record ByCode(string? ShareCode) : ShareSelector;

    /// <summary>The share of (<paramref name="Pk"/>, <paramref name="Dk"/>) to <paramref name="UserId"/> (for <c>LeaveAsync</c> the caller: UserId is ignored).</summary>
    public sealed record ByDeviceUser(string? Pk, string? Dk, string? UserId) : ShareSelector;
}

/// <summary>
/// SQL conditions for a live share row (alias given; the statement must bind <c>@Now</c>, ms): every read of shares
/// filters with these, so an expired share, or one whose owner no longer holds a verified binding, is invisible at
/// once, before the pruner deletes it.
/// </summary>
public static class LiveShares
{
    /// <summary>The owner still holds a verified binding of the device.</summary>
    public static string OwnerHolds(string s) =>
        $"EXISTS (SELECT 1 FROM bindings ob_live WHERE ob_live.pk = {s}.pk AND ob_live.dk = {s}.dk AND ob_live.user_id = {s}.owner_user_id AND ob_live.verified)";

    /// <summary>Accepted, its sharing time not over, the owner still holding the device.</summary>
    public static string Accepted(string s) =>
        $"({s}.accepted_at IS NOT NULL AND ({s}.sharing_expire_at IS NULL OR {s}.sharing_expire_at > @Now) AND {OwnerHolds(s)})";

    /// <summary>Accepted and live, or pending and still acceptable.</summary>
    public static string Any(string s) =>
        $"(({s}.accepted_at IS NOT NULL OR {s}.accepting_expire_at > @Now) AND ({s}.sharing_expire_at IS NULL OR {s}.sharing_expire_at > @Now) AND {OwnerHolds(s)})";

    /// <summary>How many live accepted shares of device <c>@Pk</c>/<c>@Dk</c> user <c>@UserId</c> holds at <c>@Now</c> (0 or 1).</summary>
    public static readonly string AcceptedByUserCountSql =
        $"SELECT COUNT(*) FROM device_shares s WHERE s.pk = @Pk AND s.dk = @Dk AND s.user_id = @UserId AND {Accepted("s")}";

    /// <summary>The opposite of <see cref="Any"/> without the owner check: what the pruner deletes for time.</summary>
    public static string Expired(string s) =>
        $"(({s}.accepted_at IS NULL AND {s}.accepting_expire_at <= @Now) OR ({s}.sharing_expire_at IS NOT NULL AND {s}.sharing_expire_at <= @Now))";
}
