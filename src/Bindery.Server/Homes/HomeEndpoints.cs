using Bindery.Accounts;
using Bindery.Infrastructure;

namespace Bindery.Homes;

/// <summary>The Quectel-style family API under <c>/v2/family/enduserapi</c>: thin adapters over <see cref="HomeService"/>.</summary>
public static class HomeEndpoints
{
    public sealed record AddFamilyRequest(string? FamilyName);

    public sealed record SetFamilyRequest(string? Fid, string? FamilyName);

    public sealed record FamilyRequest(string? Fid);

    public sealed record AddRoomRequest(string? Fid, string? RoomName);

    public sealed record SetRoomRequest(string? Frid, string? RoomName);

    public sealed record RoomRequest(string? Frid);

    public sealed record AddMemberRequest(string? Fid, string? Username, int? Role);

    public sealed record MemberRoleRequest(string? Fid, string? Uid, int? Role);

    public sealed record MemberRequest(string? Fid, string? Uid);

    public sealed record DeviceRequest(string? Fid, string? Pk, string? Dk);

    public sealed record MoveDeviceRequest(string? Fid, string? Pk, string? Dk, string? Frid);

    public sealed record FidResponse(string Fid);

    public sealed record FridResponse(string Frid);

    public sealed record ListResponse<T>(IReadOnlyList<T> List, int Total);

    public sealed record FamilyItem(string Fid, string FamilyName, int Role, long CreatedAt);

    public sealed record RoomItem(string Frid, string RoomName, int Sort, int DeviceCount, long CreatedAt);

    public sealed record MemberItem(string Uid, string Username, int Role, long JoinedAt);

    public sealed record DeviceItem(string Pk, string Dk, string DeviceName, string Frid, bool IsCommonDevice, string BindingType, long BoundAt);

    public sealed record CommonDeviceItem(string Pk, string Dk, string DeviceName, string Frid, long AddedAt);

    public static IServiceCollection AddHomes(this IServiceCollection services) => services.AddSingleton<HomeService>();

    public static IEndpointRouteBuilder MapHomes(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2/family/enduserapi").WithTags("Homes").WithErrorEnvelope(ErrorEnvelopes.Quectel);

        group.MapPost("/addFamily", async (AppUser user, AddFamilyRequest request, HomeService homes) =>
            Envelope.OkResult(new FidResponse(await homes.CreateFamilyAsync(user, request.FamilyName))));

        group.MapGet("/getFamilyList", async (AppUser user, HomeService homes) =>
            Envelope.OkResult(List((await homes.ListFamiliesAsync(user))
                .Select(f => new FamilyItem(f.Fid, f.Name, (int)f.Role, f.CreatedAt)))));

        group.MapPost("/setFamily", async (AppUser user, SetFamilyRequest request, HomeService homes) =>
        {
            await homes.RenameFamilyAsync(user, request.Fid, request.FamilyName);
            return Done();
        });

        group.MapPost("/deleteFamily", async (AppUser user, FamilyRequest request, HomeService homes) =>
        {
            await homes.DeleteFamilyAsync(user, request.Fid);
            return Done();
        });

        group.MapPost("/addFamilyRoom", async (AppUser user, AddRoomRequest request, HomeService homes) =>
            Envelope.OkResult(new FridResponse(await homes.CreateRoomAsync(user, request.Fid, request.RoomName))));

        group.MapGet("/getFamilyRoomList", async (AppUser user, string? fid, HomeService homes) =>
            Envelope.OkResult(List((await homes.ListRoomsAsync(user, fid))
                .Select(r => new RoomItem(r.Frid, r.Name, r.SortOrder, r.DeviceCount, r.CreatedAt)))));

        group.MapPost("/setFamilyRoom", async (AppUser user, SetRoomRequest request, HomeService homes) =>
        {
            await homes.RenameRoomAsync(user, request.Frid, request.RoomName);
            return Done();
        });

        group.MapPost("/deleteFamilyRoom", async (AppUser user, RoomRequest request, HomeService homes) =>
        {
            await homes.DeleteRoomAsync(user, request.Frid);
            return Done();
        });

        group.MapPost("/addFamilyMember", async (AppUser user, AddMemberRequest request, HomeService homes) =>
        {
            await homes.AddMemberAsync(user, request.Fid, request.Username, request.Role);
            return Done();
        });

        group.MapGet("/getFamilyMemberList", async (AppUser user, string? fid, HomeService homes) =>
            Envelope.OkResult(List((await homes.ListMembersAsync(user, fid))
                .Select(m => new MemberItem(m.Uid, m.Username, (int)m.Role, m.JoinedAt)))));

        group.MapPost("/setFamilyMemberRole", async (AppUser user, MemberRoleRequest request, HomeService homes) =>
        {
            await homes.SetMemberRoleAsync(user, request.Fid, request.Uid, request.Role);
            return Done();
        });

        group.MapPost("/deleteFamilyMember", async (AppUser user, MemberRequest request, HomeService homes) =>
        {
            await homes.RemoveMemberAsync(user, request.Fid, request.Uid);
            return Done();
        });

        group.MapGet("/getFamilyDeviceList", async (AppUser user, string? fid, string? frid, HomeService homes) =>
        {
            var room = string.IsNullOrEmpty(frid) ? RoomSelector.All : RoomSelector.Room(frid);
            return Envelope.OkResult(List((await homes.ListDevicesAsync(user, fid, room))
                .Select(d => new DeviceItem(d.Pk, d.Dk, d.DeviceName, d.Frid ?? "", d.IsCommonDevice, d.BindingType, d.BoundAt))));
        });

        group.MapPost("/moveDeviceToRoom", async (AppUser user, MoveDeviceRequest request, HomeService homes) =>
        {
            // An empty or missing frid takes the device out of every room.
            await homes.MoveDeviceAsync(user, request.Fid, request.Pk, request.Dk, string.IsNullOrEmpty(request.Frid) ? null : request.Frid);
            return Done();
        });

        group.MapGet("/getCommonDeviceList", async (AppUser user, string? fid, HomeService homes) =>
            Envelope.OkResult(List((await homes.ListCommonDevicesAsync(user, fid))
                .Select(d => new CommonDeviceItem(d.Pk, d.Dk, d.DeviceName, d.Frid ?? "", d.AddedAt)))));

        group.MapPost("/addCommonDevice", async (AppUser user, DeviceRequest request, HomeService homes) =>
        {
            await homes.AddCommonDeviceAsync(user, request.Fid, request.Pk, request.Dk);
            return Done();
        });

        group.MapPost("/deleteCommonDevice", async (AppUser user, DeviceRequest request, HomeService homes) =>
        {
            await homes.RemoveCommonDeviceAsync(user, request.Fid, request.Pk, request.Dk);
            return Done();
        });

        return app;
    }

    private static ListResponse<T> List<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        return new ListResponse<T>(list, list.Count);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.Ok<QuectelEnvelope<object?>> Done() => Envelope.OkResult<object?>(null);
}
