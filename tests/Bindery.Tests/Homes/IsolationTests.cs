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
        var writes = new (string Action, Func<string, object> Body)[]
        {
            ("setFamily", fid => new { fid, familyName = "Mine now" }),
            ("deleteFamily", fid => new { fid }),
            ("addFamilyRoom", fid => new { fid, roomName = "Attic" }),
            ("addFamilyMember", fid => new { fid, username = home.Stranger.Username, role = 3 }),
            ("setFamilyMemberRole", fid => new { fid, uid = home.Member.Uid, role = 2 }),
            ("deleteFamilyMember", fid => new { fid, uid = home.Member.Uid }),
            ("deleteFamilyMember", fid => new { fid, uid = home.Stranger.Uid }),
            ("addCommonUsedDevice", fid => new { fid, deviceList = new[] { new { pk, dk } } }),
        };
        foreach (var (action, body) in writes)
        {
            var theirs = await RawAsync(await home.Stranger.Client.PostAsJsonAsync(Family.Api + action, body(home.Fid)));
            var missing = await RawAsync(await home.Stranger.Client.PostAsJsonAsync(Family.Api + action, body(Secrets.NewId())));
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
        foreach (var action in new[] { "setFamilyRoom", "deleteFamilyRoom" })
        {
            var theirs = await RawAsync(await home.Stranger.Client.PostAsJsonAsync(Family.Api + action, new { frid = room, roomName = "Mine" }));
            var missing = await RawAsync(await home.Stranger.Client.PostAsJsonAsync(Family.Api + action, new { frid = Secrets.NewId(), roomName = "Mine" }));
            Assert.Equal(missing, theirs);
            Assert.Contains("\"code\":9114", theirs, StringComparison.Ordinal);
        }
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
        var refused = await Family.PostAsync(home.Owner, "addFamilyMember", new { fid = home.Fid, username = outsider.Username, role = 3 });
        Assert.Equal(9003, refused.Code());
        Assert.Empty(await Family.ListAsync(outsider, "getFamilyList"));
    }
}
