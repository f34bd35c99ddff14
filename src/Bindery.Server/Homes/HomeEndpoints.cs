using System.Globalization;
using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Observability;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.Homes;

/// <summary>
/// The Quectel-style family API under <c>/v2/family/enduserapi</c>, by the names, methods and parameter places of
/// the real cloud's OpenAPI (docs/quectel-api.md, "Homes"): thin adapters over <see cref="HomeService"/>.
/// </summary>
public static class HomeEndpoints
{
    // ---- requests -----------------------------------------------------------------------------------------

    public sealed record AddFamilyRequest(string? FamilyName, string? FamilyLocation, string? FamilyCoordinates, IReadOnlyList<string?>? FamilyRoomList);

    public sealed record DeviceKeyItem(string? Pk, string? Dk);

    public sealed record CommonUsedRequest(string? Fid, IReadOnlyList<DeviceKeyItem?>? DeviceList);

    public sealed record MoveItem(string? Pk, string? Dk, string? OldFrid, string? NewFrid);

    public sealed record RoomSortItem(string? Frid, int? RoomSort);

    // ---- answers ------------------------------------------------------------------------------------------

    /// <summary>A family as <c>addFamily</c>, <c>getFamilyList</c> and <c>getCurrentFamily</c> answer it.</summary>
    public sealed record FamilyItem(string Fid, string FamilyName, string FamilyLocation, string FamilyCoordinates, int MemberRole, long AddTime, long AddTimeTs)
    {
        public static FamilyItem From(FamilyInfo f) => new(f.Fid, f.Name, f.Location, f.Coordinates, (int)f.Role, f.CreatedAt, f.CreatedAt);
    }

    public sealed record RoomAnswer(string Frid, string RoomName);

    public sealed record RoomItem(string Frid, string RoomName, int RoomSort, int DeviceCount, long AddTime, long AddTimeTs);

    /// <summary>
    /// A member in the real "User Info" item's field names: <c>memberName</c> is the name given in the family (else the
    /// nickname, else the username), <c>nikeName</c> (sic) and <c>headimg</c> the user's own, <c>acceptTime</c> when
    /// they joined; <c>username</c> is Bindery's addition.
    /// </summary>
    public sealed record MemberItem(string Uid, string MemberName, string NikeName, string Headimg, string Email, string Phone,
        string Username, int MemberRole, string AcceptTime, long AcceptTimeTs)
    {
        public static MemberItem From(MemberInfo m) => new(m.Uid, m.DisplayName, m.Nickname, m.Avatar, m.Email, m.Phone, m.Username,
            (int)m.Role, QuectelFields.Time(m.JoinedAt), m.JoinedAt);
    }

    /// <summary>
    /// An invitation in the real <c>QuecInviteItemModel</c> field names (<c>addTime</c> = when the family was created,
    /// <c>invalidTime</c> = when the invitation expires); <c>invalidTimeTs</c>, <c>inviteTime(Ts)</c>, <c>memberRole</c>,
    /// <c>inviterUid</c> and <c>shareCode</c> (the invitation's handle, which Tencent's <c>AppJoinFamily</c> accepts as
    /// <c>ShareToken</c>) are Bindery's additions.
    /// </summary>
    public sealed record InviteItem(string Fid, string FamilyName, string FamilyLocation, string FamilyCoordinates, string AddTime, long AddTimeTs,
        string InvalidTime, long InvalidTimeTs, string InviteTime, long InviteTimeTs, int MemberRole, string InviterUid, string ShareCode)
    {
        public static InviteItem From(FamilyInvitation i) => new(i.Fid, i.FamilyName, i.Location, i.Coordinates, QuectelFields.Time(i.FamilyCreatedAt),
            i.FamilyCreatedAt, QuectelFields.Time(i.ExpiresAt), i.ExpiresAt, QuectelFields.Time(i.InvitedAt), i.InvitedAt, (int)i.Role, i.InviterUid, i.Handle);
    }

    /// <summary>A device in a family list, in the field names and integer types of the real "Query Family Device List" items.</summary>
    public sealed record FamilyDeviceItem(
        string ProductKey, string DeviceKey, string DeviceName, int BindingType, int DeviceType, string Fid, string Frid, string RoomName,
        bool IsCommonUsed, string DeviceBindTime, long DeviceBindTimeTs, int CapabilitiesBitmask, string ProductName, string LogoImage)
    {
        public static FamilyDeviceItem From(FamilyDevice d) => new(
            d.Pk, d.Dk, d.DeviceName, QuectelFields.BindingType(d.BindingType), d.BindingType == "SHARE" ? 2 : 1, d.Fid, d.Frid ?? "", d.RoomName,
            d.IsCommonDevice, QuectelFields.Time(d.BoundAt), d.BoundAt, d.Capabilities, d.ProductName, d.ProductLogo);
    }

    public sealed record BatchAnswer<TOk, TFail>(IReadOnlyList<TOk> SuccessList, IReadOnlyList<TFail> FailureList);

    public sealed record DeviceOk(string Pk, string Dk);

    public sealed record DeviceFailure(string Pk, string Dk, int Code, string Msg);

    public sealed record MoveOk(string Pk, string Dk, string NewFrid);

    public sealed record MoveFailure(string Pk, string Dk, string NewFrid, int Code, string Msg);

    public sealed record RoomOk(string Frid);

    public sealed record RoomFailure(string Frid, int Code, string Msg);

    public sealed record SortOk(string Frid, int RoomSort);

    public sealed record SortFailure(string Frid, int RoomSort, int Code, string Msg);

    public sealed record FamilyModeAnswer(bool EnabledFamilyMode, bool EnabledAutoSwitch);

    public static IServiceCollection AddHomes(this IServiceCollection services)
    {
        services.AddOptions<FamilyOptions>().BindConfiguration("Families");
        return services.AddSingleton<HomeService>().AddSingleton<FamilyMembership>();
    }

    public static IEndpointRouteBuilder MapHomes(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2/family/enduserapi").WithTags("Homes").WithErrorEnvelope(ErrorEnvelopes.Quectel).WithErrors(ErrorSets.Homes);

        // home mode and current family (per user)
        group.MapPut("/enabledFamilyMode", EnableFamilyMode).WithSummary("Turn the caller's home (family) mode on or off");
        group.MapGet("/getFamilyModeConfig", GetFamilyModeConfig).WithSummary("Whether home mode is on for the caller");
        group.MapGet("/getCurrentFamily", GetCurrentFamily).WithSummary("The caller's current family");
        group.MapPut("/setCurrentFamily", SetCurrentFamily).WithSummary("Choose the caller's current family");

        // families
        group.MapPost("/addFamily", AddFamily).WithSummary("Create a family owned by the caller");
        group.MapGet("/getFamilyList", GetFamilyList).WithSummary("List the families the caller belongs to, paged");
        group.MapPut("/setFamily", SetFamily).WithSummary("Rename a family or change its address");
        group.MapDelete("/deleteFamily", DeleteFamily).WithSummary("Delete a family (owner only)");

        // rooms
        group.MapPost("/addFamilyRoom", AddFamilyRoom).WithSummary("Add a room to a family");
        group.MapGet("/getFamilyRoomList", GetFamilyRoomList).WithSummary("List a family's rooms, paged");
        group.MapPut("/setFamilyRoom", SetFamilyRoom).WithSummary("Rename a room");
        group.MapPut("/setFamilyRoomSort", SetFamilyRoomSort).WithSummary("Reorder a family's rooms");
        group.MapDelete("/deleteFamilyRoom", DeleteFamilyRoom).WithSummary("Delete rooms (their devices move to the default room)");

        // members (docs/accounts-and-homes.md, "Family membership")
        group.MapPost("/inviteFamilyMember", InviteFamilyMember).WithSummary("Invite a user into a family");
        group.MapGet("/getFamilyInviteList", GetFamilyInviteList).WithSummary("List the family invitations addressed to the caller");
        group.MapPost("/familyMemberInviteHandle", FamilyMemberInviteHandle).WithSummary("Accept or decline a family invitation");
        group.MapGet("/getFamilyMemberList", GetFamilyMemberList).WithSummary("List a family's members, paged");
        group.MapPut("/setFamilyMemberRole", SetFamilyMemberRole).WithSummary("Change a member's role (owner only)");
        group.MapPut("/setFamilyMemberName", SetFamilyMemberName).WithSummary("Set a member's name in the family");
        group.MapDelete("/deleteFamilyMember", DeleteFamilyMember).WithSummary("Remove a member from a family");
        group.MapDelete("/leaveFamily", LeaveFamily).WithSummary("Leave a family");
        group.MapPut("/transferFamilyOwner", TransferFamilyOwner).WithSummary("Hand the family over to another member");

        // devices
        group.MapGet("/getFamilyDeviceList", GetFamilyDeviceList).WithSummary("List a family's devices, paged");
        group.MapGet("/getFamilyRoomDeviceList", GetFamilyRoomDeviceList).WithSummary("List the devices of one room, paged");
        group.MapPost("/addDeviceInFamilyRoom", AddDeviceInFamilyRoom).WithSummary("Move devices into a room");
        group.MapGet("/getCommonUsedDeviceList", GetCommonUsedDeviceList).WithSummary("List the caller's common (favourite) devices in a family");
        group.MapPost("/addCommonUsedDevice", AddCommonUsedDevice).WithSummary("Mark devices as common (favourite)");
        group.MapDelete("/deleteCommonUsedDevice", DeleteCommonUsedDevice).WithSummary("Unmark common (favourite) devices");

        return app;
    }

    // ---- home mode and current family ---------------------------------------------------------------------

    private static async Task<IResult> EnableFamilyMode(AppUser user, [FromQuery] string? enabled, HomeService homes)
    {
        var on = enabled?.Trim().ToUpperInvariant() switch
        {
            null or "" => throw new BinderyException(Errors.FamilyModeSwitchMissing),
            "TRUE" or "1" => true,
            "FALSE" or "0" => false,
            _ => throw new BinderyException(Errors.InvalidParameterValue, "enabled must be true or false"),
        };
        await homes.SetFamilyModeAsync(user, on);
        return Done();
    }

    private static async Task<IResult> GetFamilyModeConfig(AppUser user, HomeService homes) =>
        Envelope.OkResult(new FamilyModeAnswer((await homes.GetFamilyModeAsync(user)).Enabled, EnabledAutoSwitch: false));

    private static async Task<IResult> GetCurrentFamily(AppUser user, [FromQuery] string? fid, HomeService homes) =>
        await homes.GetCurrentFamilyAsync(user, fid) is { } family ? Envelope.OkResult(FamilyItem.From(family)) : Done();

    private static async Task<IResult> SetCurrentFamily(AppUser user, [FromQuery] string? fid, HomeService homes) =>
        Envelope.OkResult(FamilyItem.From(await homes.SetCurrentFamilyAsync(user, fid)));

    // ---- families -----------------------------------------------------------------------------------------

    private static async Task<IResult> AddFamily(AppUser user, [FromBody] AddFamilyRequest request, HomeService homes) =>
        Envelope.OkResult(FamilyItem.From(await homes.AddFamilyAsync(user,
            new NewFamily(request.FamilyName, request.FamilyLocation, request.FamilyCoordinates, request.FamilyRoomList))));

    private static async Task<IResult> GetFamilyList(AppUser user, [FromQuery] int? page, [FromQuery] int? pageSize, [FromQuery] string? role, HomeService homes)
    {
        var paging = PageRequest.From(page, pageSize);
        var roles = ParseRoles(role);
        var families = (await homes.ListFamiliesAsync(user))
            .Where(f => roles is null || roles.Contains((int)f.Role))
            .Select(FamilyItem.From)
            .ToList();
        return Envelope.OkResult(PageInfo.Slice(families, paging));
    }

    /// <summary><c>role</c> = "1,2": only families where the caller has one of these roles.</summary>
    private static HashSet<int>? ParseRoles(string? role)
    {
        if (string.IsNullOrWhiteSpace(role))
        {
            return null;
        }
        var roles = new HashSet<int>();
        foreach (var part in role.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value is < 1 or > 3)
            {
                throw new BinderyException(Errors.InvalidParameterValue, "role must list 1 (owner), 2 (admin) or 3 (member), comma-separated");
            }
            roles.Add(value);
        }
        return roles;
    }

    private static async Task<IResult> SetFamily(AppUser user, [FromQuery] string? fid, [FromQuery] string? familyName,
        [FromQuery] string? familyLocation, [FromQuery] string? familyCoordinates, HomeService homes)
    {
        await homes.UpdateFamilyAsync(user, fid, familyName, familyLocation, familyCoordinates);
        return Done();
    }

    private static async Task<IResult> DeleteFamily(AppUser user, [FromQuery] string? fid, HomeService homes)
    {
        await homes.DeleteFamilyAsync(user, fid);
        return Done();
    }

    // ---- rooms --------------------------------------------------------------------------------------------

    private static async Task<IResult> AddFamilyRoom(AppUser user, [FromQuery] string? fid, [FromQuery] string? roomName, HomeService homes) =>
        Envelope.OkResult(new RoomAnswer(await homes.CreateRoomAsync(user, fid, roomName), roomName!.Trim()));

    private static async Task<IResult> GetFamilyRoomList(AppUser user, [FromQuery] string? fid, [FromQuery] int? page, [FromQuery] int? pageSize, HomeService homes)
    {
        var paging = PageRequest.From(page, pageSize);
        var rooms = (await homes.ListRoomsAsync(user, fid))
            .Select(r => new RoomItem(r.Frid, r.Name, r.SortOrder, r.DeviceCount, r.CreatedAt, r.CreatedAt))
            .ToList();
        return Envelope.OkResult(PageInfo.Slice(rooms, paging));
    }

    private static async Task<IResult> SetFamilyRoom(AppUser user, [FromQuery] string? frid, [FromQuery] string? roomName, HomeService homes)
    {
        await homes.RenameRoomAsync(user, frid, roomName);
        return Done();
    }

    private static async Task<IResult> SetFamilyRoomSort(AppUser user, [FromBody] IReadOnlyList<RoomSortItem?>? roomSortList, HomeService homes)
    {
        var result = await homes.SortRoomsAsync(user, roomSortList?.Select(r => new RoomSort(r?.Frid, r?.RoomSort)).ToList());
        return Envelope.OkResult(new BatchAnswer<SortOk, SortFailure>(
            result.Succeeded.Select(r => new SortOk(r.Frid!, r.Sort!.Value)).ToList(),
            result.Failed.Select(f => new SortFailure(f.Item.Frid!, f.Item.Sort!.Value, f.Error.Code, f.Error.English)).ToList()));
    }

    private static async Task<IResult> DeleteFamilyRoom(AppUser user, [FromBody] IReadOnlyList<string?>? fridList, HomeService homes)
    {
        var result = await homes.DeleteRoomsAsync(user, fridList);
        return Envelope.OkResult(new BatchAnswer<RoomOk, RoomFailure>(
            result.Succeeded.Select(f => new RoomOk(f)).ToList(),
            result.Failed.Select(f => new RoomFailure(f.Item, f.Error.Code, f.Error.English)).ToList()));
    }

    // ---- members ------------------------------------------------------------------------------------------

    /// <summary>Invites a user (uid, email or phone) into the family; the invitee accepts with familyMemberInviteHandle.</summary>
    private static async Task<IResult> InviteFamilyMember(AppUser user, [FromQuery] string? fid, [FromQuery] int? memberRole, [FromQuery] string? memberName,
        [FromQuery] long? invalidTime, [FromQuery] string? uid, [FromQuery] string? email, [FromQuery] string? phone, FamilyMembership members)
    {
        await members.InviteAsync(user, fid, new Invitee(uid, email, phone), memberRole, memberName, invalidTime);
        return Done();
    }

    private static async Task<IResult> GetFamilyInviteList(AppUser user, [FromQuery] int? page, [FromQuery] int? pageSize, FamilyMembership members)
    {
        var paging = PageRequest.From(page, pageSize);
        var invites = (await members.ListInvitationsAsync(user)).Select(InviteItem.From).ToList();
        return Envelope.OkResult(PageInfo.Slice(invites, paging));
    }

    /// <summary>decide 1 accepts, 0 refuses the invitation addressed to the caller; <c>shareCode</c> (Bindery's) accepts a family share token.</summary>
    private static async Task<IResult> FamilyMemberInviteHandle(AppUser user, [FromQuery] string? fid, [FromQuery] int? decide, [FromQuery] string? shareCode,
        FamilyMembership members)
    {
        await members.HandleInviteAsync(user, fid, decide, shareCode);
        return Done();
    }

    private static async Task<IResult> GetFamilyMemberList(AppUser user, [FromQuery] string? fid, [FromQuery] int? page, [FromQuery] int? pageSize, FamilyMembership members)
    {
        var paging = PageRequest.From(page, pageSize);
        var list = (await members.ListMembersAsync(user, fid)).Select(MemberItem.From).ToList();
        return Envelope.OkResult(PageInfo.Slice(list, paging));
    }

    private static async Task<IResult> SetFamilyMemberRole(AppUser user, [FromQuery] string? fid, [FromQuery] string? memberUid, [FromQuery] int? memberRole,
        FamilyMembership members)
    {
        await members.SetMemberRoleAsync(user, fid, memberUid, memberRole);
        return Done();
    }

    private static async Task<IResult> SetFamilyMemberName(AppUser user, [FromQuery] string? fid, [FromQuery] string? memberUid, [FromQuery] string? memberName,
        FamilyMembership members)
    {
        await members.SetMemberNameAsync(user, fid, memberUid, memberName);
        return Done();
    }

    /// <summary>Removes another member (the caller's own uid is 5679: leaveFamily).</summary>
    private static async Task<IResult> DeleteFamilyMember(AppUser user, [FromQuery] string? fid, [FromQuery] string? memberUid, FamilyMembership members)
    {
        await members.RemoveMemberAsync(user, fid, memberUid);
        return Done();
    }

    private static async Task<IResult> LeaveFamily(AppUser user, [FromQuery] string? fid, FamilyMembership members)
    {
        await members.LeaveAsync(user, fid);
        return Done();
    }

    /// <summary>Bindery's own: the owner hands the family to another member and becomes an admin.</summary>
    private static async Task<IResult> TransferFamilyOwner(AppUser user, [FromQuery] string? fid, [FromQuery] string? memberUid, FamilyMembership members)
    {
        await members.TransferOwnershipAsync(user, fid, memberUid);
        return Done();
    }

    // ---- devices ------------------------------------------------------------------------------------------

    private static async Task<IResult> GetFamilyDeviceList(
        AppUser user, [FromQuery] string? fid, [FromQuery] string? frid, [FromQuery] int? page, [FromQuery] int? pageSize, HomeService homes)
    {
        var paging = PageRequest.From(page, pageSize);
        var room = string.IsNullOrEmpty(frid) ? RoomSelector.All : RoomSelector.Room(frid);
        var devices = (await homes.ListDevicesAsync(user, fid, room)).Select(FamilyDeviceItem.From).ToList();
        return Envelope.OkResult(PageInfo.Slice(devices, paging));
    }

    private static async Task<IResult> GetFamilyRoomDeviceList(AppUser user, [FromQuery] string? frid, [FromQuery] int? page, [FromQuery] int? pageSize, HomeService homes)
    {
        var paging = PageRequest.From(page, pageSize);
        var (_, devices) = await homes.ListRoomDevicesAsync(user, frid);
        return Envelope.OkResult(PageInfo.Slice(devices.Select(FamilyDeviceItem.From).ToList(), paging));
    }

    private static async Task<IResult> AddDeviceInFamilyRoom(AppUser user, [FromBody] IReadOnlyList<MoveItem?>? param, HomeService homes)
    {
        var result = await homes.MoveDevicesAsync(user, param?.Select(m => new DeviceMove(m?.Pk, m?.Dk, m?.OldFrid, m?.NewFrid)).ToList());
        return Envelope.OkResult(new BatchAnswer<MoveOk, MoveFailure>(
            result.Succeeded.Select(m => new MoveOk(m.Pk!, m.Dk!, m.NewFrid!)).ToList(),
            result.Failed.Select(f => new MoveFailure(f.Item.Pk!, f.Item.Dk!, f.Item.NewFrid!, f.Error.Code, f.Error.English)).ToList()));
    }

    private static async Task<IResult> GetCommonUsedDeviceList(AppUser user, [FromQuery] string? fid, [FromQuery] int? page, [FromQuery] int? pageSize, HomeService homes)
    {
        var paging = PageRequest.From(page, pageSize);
        var devices = (await homes.ListCommonDevicesAsync(user, fid)).Select(FamilyDeviceItem.From).ToList();
        return Envelope.OkResult(PageInfo.Slice(devices, paging));
    }

    private static async Task<IResult> AddCommonUsedDevice(AppUser user, [FromBody] CommonUsedRequest request, HomeService homes) =>
        DeviceBatch(await homes.AddCommonDevicesAsync(user, request.Fid, Devices(request)));

    private static async Task<IResult> DeleteCommonUsedDevice(AppUser user, [FromBody] CommonUsedRequest request, HomeService homes) =>
        DeviceBatch(await homes.RemoveCommonDevicesAsync(user, request.Fid, Devices(request)));

    private static List<DeviceMove>? Devices(CommonUsedRequest request) =>
        request.DeviceList?.Select(d => new DeviceMove(d?.Pk, d?.Dk, null, null)).ToList();

    private static Microsoft.AspNetCore.Http.HttpResults.Ok<QuectelEnvelope<BatchAnswer<DeviceOk, DeviceFailure>>> DeviceBatch(BatchResult<DeviceMove> result) =>
        Envelope.OkResult(new BatchAnswer<DeviceOk, DeviceFailure>(
            result.Succeeded.Select(d => new DeviceOk(d.Pk!, d.Dk!)).ToList(),
            result.Failed.Select(f => new DeviceFailure(f.Item.Pk!, f.Item.Dk!, f.Error.Code, f.Error.English)).ToList()));

    private static Microsoft.AspNetCore.Http.HttpResults.Ok<QuectelEnvelope<object?>> Done() => Envelope.OkResult<object?>(null);
}
