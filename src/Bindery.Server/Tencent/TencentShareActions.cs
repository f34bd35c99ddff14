using Bindery.Accounts;
using Bindery.Homes;
using Bindery.Infrastructure;
using Bindery.Sharing;

namespace Bindery.Tencent;

/// <summary>
/// The Tencent-style device-sharing actions (docs/tencent-api.md, "Device sharing"): thin adapters over
/// <see cref="DeviceSharing"/>, the one sharing core the Quectel-style <c>/v2</c> share endpoints use too, so a share
/// made in either dialect is one row seen and ended through both. Every answer is Flat (the fields directly in the
/// client envelope's <c>data</c>: Android/iOS read <c>ShareDeviceToken</c>, <c>ShareDeviceTokenInfo</c>,
/// <c>ShareDevices</c>, <c>Users</c>, <c>Total</c> there; the mini-program SDK destructures the same names).
/// <para>
/// Ids on the wire: ProductId = pk, DeviceName = dk (or DeviceId = <c>ProductId/DeviceName</c>, as the mini-program
/// sends), FamilyId = fid, user ids = Bindery uids. The <c>ShareDeviceToken</c> is the core's share code: the full
/// open code (<c>share_dv_{shareId}_{secret}</c>) from <c>AppCreateShareDeviceToken</c>, or the handle
/// (<c>share_dv_{shareId}</c>) of a share addressed by <c>AppSendShareDeviceInvite</c>. Times are Unix seconds here,
/// milliseconds in the core.
/// </para>
/// </summary>
public sealed class TencentShareActions(DeviceSharing sharing, HomeService homes)
{
    /// <summary>The longest TokenContext kept from the app (it is only echoed back by the describe action).</summary>
    public const int MaxContextLength = 1024;

    // ---- answers (field names are the wire names) ------------------------------------------------------------

    /// <summary>The documented answer of the actions that change something: <c>Status: "OK"</c>.</summary>
    public sealed record StatusOk
    {
        public string Status => "OK";
    }

    /// <summary>
    /// AppCreateShareDeviceToken: the token the recipient binds with, and until when (Bindery's addition, Unix
    /// seconds; the clients read only ShareDeviceToken).
    /// </summary>
    public sealed record TokenCreated(string ShareDeviceToken, long ExpireTime);

    /// <summary>
    /// AppSendShareDeviceInvite: <c>Status</c> as documented; the share's handle and acceptance deadline are
    /// Bindery's additions (the real cloud delivers the invitation through its message centre, which Bindery does
    /// not serve: the inviting app passes the handle on, and only the invitee can bind with it).
    /// </summary>
    public sealed record InviteSent(string ShareDeviceToken, long ExpireTime)
    {
        public string Status => "OK";
    }

    /// <summary>
    /// A share token as the recipient previews it (the real cloud's field names, <c>…ID</c> spelling as its answers
    /// carry it; <c>UserID</c>/<c>UserNick</c>/<c>BindTime</c> stay empty, as the real cloud leaves them before the
    /// token is used — a used token is refused instead).
    /// </summary>
    public sealed record ShareTokenInfo(string FromUserID, string FromUserNick, string UserID, string UserNick,
        string ProductId, string DeviceName, string DeviceId, string AliasName, string IconUrl, long BindTime,
        long ExpireTime, long CreateTime, string Context);

    public sealed record ShareTokenInfoData(ShareTokenInfo ShareDeviceTokenInfo);

    /// <summary>
    /// A device shared with the caller (Android's ShareDeviceEntity: DeviceId, ProductId, DeviceName, AliasName,
    /// IconUrl, FromUserID, CreateTime as a number). <c>ExpireTime</c> (Bindery's addition) is the end of the
    /// sharing time, 0 when the share lasts as long as the owner's binding.
    /// </summary>
    public sealed record SharedDeviceItem(string DeviceId, string ProductId, string DeviceName, string AliasName,
        string IconUrl, string FromUserID, string FromUserNick, long CreateTime, long ExpireTime);

    public sealed record SharedDeviceListData(IReadOnlyList<SharedDeviceItem> ShareDevices, long Total);

    /// <summary>A user the device is shared with (Android's ShareUserEntity; the contact fields stay empty).</summary>
    public sealed record ShareUserItem(string UserID, string NickName, string Avatar, string CountryCode, string PhoneNumber,
        long BindTime, long ExpireTime);

    public sealed record ShareUserListData(IReadOnlyList<ShareUserItem> Users, int Total);

    // ---- actions ---------------------------------------------------------------------------------------------

    /// <summary>
    /// AppCreateShareDeviceToken {FamilyId, ProductId + DeviceName | DeviceId, TokenContext?}: an open share code of
    /// the caller's device, acceptable for 24 hours by whoever presents it first. The family must be one the caller
    /// belongs to; the caller must hold a verified binding of the device (the core's rules).
    /// </summary>
    public async Task<object> CreateTokenAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var (pk, dk) = Device(p);
        p.Text("TokenContext", MaxContextLength);
        await homes.GetFamilyAsync(user, fid);
        // The core's defaults: acceptable for Sharing:DefaultAcceptingWindow (24 h, as the real cloud's tokens), no end
        // of use, and coverMark 1 — a new token voids the caller's earlier unused tokens of the device.
        var issued = await sharing.CreateCodeAsync(user, pk, dk, new ShareTerms(AcceptingExpireAt: null, SharingExpireAt: null, CoverMark: null));
        return new TokenCreated(issued.ShareCode, Seconds(issued.AcceptingExpireAt));
    }

    /// <summary>AppDescribeShareDeviceToken {ShareDeviceToken}: what the token would share, for the recipient to confirm.</summary>
    public async Task<object> DescribeTokenAsync(AppUser user, TencentParams p)
    {
        var info = await sharing.DescribeCodeAsync(user, Token(p));
        return new ShareTokenInfoData(new ShareTokenInfo(
            FromUserID: info.OwnerUid, FromUserNick: info.OwnerName, UserID: "", UserNick: "",
            ProductId: info.Pk, DeviceName: info.Dk, DeviceId: DeviceIdOf(info.Pk, info.Dk), AliasName: info.DeviceName,
            IconUrl: info.ProductLogo ?? "", BindTime: 0, ExpireTime: Seconds(info.AcceptingExpireAt),
            CreateTime: 0, Context: ""));
    }

    /// <summary>
    /// AppBindUserShareDevice {ProductId + DeviceName | DeviceId, ShareDeviceToken}: the caller accepts the share
    /// the token names, which must be of that very device.
    /// </summary>
    public async Task<object> BindAsync(AppUser user, TencentParams p)
    {
        var (pk, dk) = Device(p);
        var token = Token(p);
        try
        {
            await sharing.AcceptAsync(user, token, null, pk, dk);
        }
        catch (BinderyException e) when (e.Error == Errors.DeviceAlreadyBound)
        {
            // The real cloud has one answer for "you already have this device", whether through a share or a binding
            // of your own: DeviceBinded, the Tencent code of 6040. (5049 keeps its own Tencent code for token binds.)
            throw new BinderyException(Errors.AlreadyAcceptedShare, e.Detail);
        }
        return new StatusOk();
    }

    /// <summary>AppListUserShareDevices {Offset, Limit}: the devices shared with the caller (accepted, live shares).</summary>
    public async Task<object> SharedWithMeAsync(AppUser user, TencentParams p)
    {
        var (offset, limit) = TencentActions.Page(p);
        var (items, total) = await PageAsync(offset, limit, page => sharing.SharedWithMeAsync(user, page));
        return new SharedDeviceListData(
            items.Select(d => new SharedDeviceItem(DeviceIdOf(d.Pk, d.Dk), d.Pk, d.Dk, d.DeviceName, d.ProductLogo ?? "",
                d.OwnerUid, d.OwnerName, Seconds(d.AcceptedAt), Seconds(d.SharingExpireAt ?? 0))).ToList(),
            total);
    }

    /// <summary>AppRemoveUserShareDevice {ProductId + DeviceName | DeviceId}: the caller gives up a device shared with them.</summary>
    public async Task<object> LeaveAsync(AppUser user, TencentParams p)
    {
        var (pk, dk) = Device(p);
        await sharing.LeaveAsync(user, new ShareSelector.ByDeviceUser(pk, dk, user.Id));
        return new StatusOk();
    }

    /// <summary>AppListShareDeviceUsers {ProductId + DeviceName | DeviceId, Offset?, Limit?}: who uses the caller's device through a share.</summary>
    public async Task<object> ShareUsersAsync(AppUser user, TencentParams p)
    {
        var (pk, dk) = Device(p);
        var (offset, limit) = TencentActions.Page(p);
        // A pending invitation is no user of the device yet: the list is of accepted shares, as the real cloud lists bound users.
        var users = (await sharing.ShareUsersAsync(user, pk, dk)).Where(u => u.AcceptedAt is not null).ToList();
        return new ShareUserListData(
            users.Skip(offset).Take(limit).Select(u => new ShareUserItem(u.UserId, u.UserName, "", "", "",
                Seconds(u.AcceptedAt ?? 0), Seconds(u.SharingExpireAt ?? 0))).ToList(),
            users.Count);
    }

    /// <summary>AppRemoveShareDeviceUser {ProductId + DeviceName | DeviceId, RemoveUserID}: the owner ends one user's share.</summary>
    public async Task<object> RemoveUserAsync(AppUser user, TencentParams p)
    {
        var (pk, dk) = Device(p);
        var removed = p.Required("RemoveUserID");
        await sharing.RevokeAsync(user, new ShareSelector.ByDeviceUser(pk, dk, removed));
        return new StatusOk();
    }

    /// <summary>
    /// AppSendShareDeviceInvite {ProductId + DeviceName | DeviceId, ToUserID, FamilyId?}: a share addressed to one user
    /// of the caller's user domain (the iOS SDK looks the id up with AppFindUser first); only that user can bind it.
    /// </summary>
    public async Task<object> InviteAsync(AppUser user, TencentParams p)
    {
        var (pk, dk) = Device(p);
        var to = p.Required("ToUserID");
        if (p.Text("FamilyId")?.Trim() is { Length: > 0 } fid)
        {
            await homes.GetFamilyAsync(user, fid);
        }
        // An invitation waits for its invitee Sharing:MaxAcceptingWindow (7 days), the core's default for addressed shares.
        var issued = await sharing.ShareWithUserAsync(user, pk, dk, new ShareRecipient(to, null, null, null),
            new ShareTerms(AcceptingExpireAt: null, SharingExpireAt: null, CoverMark: null));
        return new InviteSent(issued.ShareCode, Seconds(issued.AcceptingExpireAt));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static (string Pk, string Dk) Device(TencentParams p)
    {
        var (pk, deviceName) = TencentActions.DeviceOf(p);
        return (pk, TencentActions.DeviceKeyOf(deviceName));
    }

    /// <summary>The share token: a share code's whole length is far below this bound; anything longer is no token.</summary>
    private static string Token(TencentParams p) => p.Text("ShareDeviceToken", 256)?.Trim() is { Length: > 0 } token
        ? token
        : throw new BinderyException(Errors.ShareCodeMissing, "ShareDeviceToken is required");

    private static string DeviceIdOf(string pk, string dk) => pk + "/" + dk;

    /// <summary>
    /// Offset/Limit over the core's page-numbered lists: the (at most two) pages of <see cref="PageRequest.MaxPageSize"/>
    /// that cover the window, sliced.
    /// </summary>
    private static async Task<(IReadOnlyList<T> Items, long Total)> PageAsync<T>(int offset, int limit, Func<PageRequest, Task<PageInfo<T>>> read)
    {
        const int size = PageRequest.MaxPageSize;
        var first = offset / size;
        var last = (int)(((long)offset + Math.Max(limit, 1) - 1) / size);
        var items = new List<T>();
        long total = 0;
        for (var page = first; page <= last; page++)
        {
            var info = await read(new PageRequest(page + 1, size));
            total = info.Total;
            items.AddRange(info.List);
            if (info.List.Count < size)
            {
                break;
            }
        }
        return (items.Skip(offset - first * size).Take(limit).ToList(), total);
    }

    private static long Seconds(long unixMs) => unixMs / 1000;
}
