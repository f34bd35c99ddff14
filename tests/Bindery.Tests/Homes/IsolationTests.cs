using System.Net.Http.Json;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>Another user's family, room or member list is refused exactly like one that does not exist.</summary>
public sealed class IsolationTests(SharedApp app) : IClassFixture<SharedApp>
{
    private static async Task<string> RawAsync(HttpResponseMessage response) => $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";

    [Theory]
    [InlineData("getFamilyRoomList")]
    [InlineData("getFamilyMemberList")]
    [InlineData("getFamilyDeviceList")]
    [InlineData("getCommonUsedDeviceList")]
    public async Task Reading_another_users_family_looks_like_a_missing_family(string action)
    {
        var home = await Family.HouseholdAsync(app);
        var theirs = await RawAsync(await home.Stranger.Client.GetAsync($"{Family.Api}{action}?fid={home.Fid}"));
        var missing = await RawAsync(await home.Stranger.Client.GetAsync($"{Family.Api}{action}?fid={Secrets.NewId()}"));
        Assert.Equal(missing, theirs);
        Assert.Contains("\"code\":9108", theirs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writing_to_another_users_family_looks_like_a_missing_family()
    {
        var home = await Family.HouseholdAsync(app);
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid);
        var writes = new (HttpMethod Method, Func<string, string> Path, Func<string, object?> Body)[]
        {
            (HttpMethod.Put, fid => Family.Q("setFamily", ("fid", fid), ("familyName", "Mine now")), _ => null),
            (HttpMethod.Delete, fid => Family.Q("deleteFamily", ("fid", fid)), _ => null),
            (HttpMethod.Post, fid => Family.Q("addFamilyRoom", ("fid", fid), ("roomName", "Attic")), _ => null),
            (HttpMethod.Post, fid => Family.Q("inviteFamilyMember", ("fid", fid), ("uid", home.Stranger.Uid), ("memberRole", 3), ("invalidTime", Members.InvalidTime(app))), _ => null),
            (HttpMethod.Put, fid => Family.Q("setFamilyMemberName", ("fid", fid), ("memberUid", home.Member.Uid), ("memberName", "Mine")), _ => null),
            (HttpMethod.Put, fid => Family.Q("transferFamilyOwner", ("fid", fid), ("memberUid", home.Member.Uid)), _ => null),
            (HttpMethod.Delete, fid => Family.Q("leaveFamily", ("fid", fid)), _ => null),
            (HttpMethod.Put, fid => Family.Q("setFamilyMemberRole", ("fid", fid), ("memberUid", home.Member.Uid), ("memberRole", 2)), _ => null),
            (HttpMethod.Delete, fid => Family.Q("deleteFamilyMember", ("fid", fid), ("memberUid", home.Member.Uid)), _ => null),
            (HttpMethod.Delete, fid => Family.Q("deleteFamilyMember", ("fid", fid), ("memberUid", home.Stranger.Uid)), _ => null),
            (HttpMethod.Post, _ => "addCommonUsedDevice", fid => new { fid, deviceList = new[] { new { pk, dk } } }),
            (HttpMethod.Delete, _ => "deleteCommonUsedDevice", fid => new { fid, deviceList = new[] { new { pk, dk } } }),
            (HttpMethod.Put, fid => Family.Q("setCurrentFamily", ("fid", fid)), _ => null),
        };
        foreach (var (method, path, body) in writes)
        {
            var theirs = (await Family.SendAsync(home.Stranger, method, path(home.Fid), body(home.Fid))).ToString();
            var missingFid = Secrets.NewId();
            var missing = (await Family.SendAsync(home.Stranger, method, path(missingFid), body(missingFid))).ToString();
            Assert.Equal(missing, theirs);
            Assert.Contains("\"code\":9108", theirs, StringComparison.Ordinal);
        }
        var family = Assert.Single(await Family.ListAsync(home.Owner, "getFamilyList"));
        Assert.Equal("Home", family.GetProperty("familyName").GetString());
        Assert.Equal(3, (await Family.ListAsync(home.Owner, $"getFamilyMemberList?fid={home.Fid}")).Length);
    }

    [Fact]
    public async Task Another_users_room_looks_like_a_missing_room()
    {
        var home = await Family.HouseholdAsync(app);
        var room = await Tenant.CreateRoomAsync(home.Owner, home.Fid, "Kitchen");
        var theirs = (await Family.SendAsync(home.Stranger, HttpMethod.Put, Family.Q("setFamilyRoom", ("frid", room), ("roomName", "Mine")))).ToString();
        var missing = (await Family.SendAsync(home.Stranger, HttpMethod.Put, Family.Q("setFamilyRoom", ("frid", Secrets.NewId()), ("roomName", "Mine")))).ToString();
        Assert.Equal(missing, theirs);
        Assert.Contains("\"code\":9114", theirs, StringComparison.Ordinal);
        Assert.Equal((await Family.SendAsync(home.Stranger, HttpMethod.Get, Family.Q("getFamilyRoomDeviceList", ("frid", Secrets.NewId())))).ToString(),
            (await Family.SendAsync(home.Stranger, HttpMethod.Get, Family.Q("getFamilyRoomDeviceList", ("frid", room)))).ToString());
        foreach (var frid in new[] { room, Secrets.NewId() })
        {
            var deleted = Family.Parse<Batch>(await Family.SendOkAsync(home.Stranger, HttpMethod.Delete, "deleteFamilyRoom", new[] { frid }));
            Assert.Equal(Errors.RoomNotExist.Code, Assert.Single(deleted.FailureList).Code);
        }
        var moved = Family.Parse<Batch>(await Family.PostOkAsync(home.Stranger, "addDeviceInFamilyRoom", new[] { new { pk = "p1", dk = "866123456789012", newFrid = room } }));
        Assert.Equal(Errors.RoomNotExist.Code, Assert.Single(moved.FailureList).Code);
        var sorted = Family.Parse<Batch>(await Family.SendOkAsync(home.Stranger, HttpMethod.Put, "setFamilyRoomSort", new[] { new { frid = room, roomSort = 0 } }));
        Assert.Equal(Errors.RoomNotExist.Code, Assert.Single(sorted.FailureList).Code);
        Assert.Equal("Kitchen", Assert.Single(await Family.ListAsync(home.Owner, $"getFamilyRoomList?fid={home.Fid}")).GetProperty("roomName").GetString());
    }

    [Fact]
    public async Task A_room_of_another_family_is_not_a_room_of_this_one()
    {
        var home = await Family.HouseholdAsync(app);
        var otherFamily = await Tenant.CreateFamilyAsync(home.Owner, "Cabin");
        var cabinRoom = await Tenant.CreateRoomAsync(home.Owner, otherFamily, "Loft");
        var (pk, dk) = await Seed.BoundDeviceAsync(app, home.Owner, home.Fid);
        Assert.Equal(9114, (await Family.GetAsync(home.Owner, $"getFamilyDeviceList?fid={home.Fid}&frid={cabinRoom}")).Code());
        var batch = Family.Parse<Batch>(await Family.PostOkAsync(home.Owner, "addDeviceInFamilyRoom", new[] { new { pk, dk, newFrid = cabinRoom } }));
        Assert.Equal(Errors.DeviceNotBound.Code, Assert.Single(batch.FailureList).Code);
    }

    [Fact]
    public async Task Users_of_another_user_domain_cannot_be_added()
    {
        var home = await Family.HouseholdAsync(app);
        var outsider = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        var refused = await Members.InviteAsync(app, home.Owner, home.Fid, ("uid", outsider.Uid));
        Assert.Equal(Errors.UserInfoNotFound.Code, refused.Code());
        Assert.Empty(await Members.InvitesAsync(outsider));
        Assert.Empty(await Family.ListAsync(outsider, "getFamilyList"));
    }
}
