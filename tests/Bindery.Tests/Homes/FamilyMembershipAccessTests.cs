using Bindery.Infrastructure;
using Bindery.Tests.Accounts;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Dapper;

namespace Bindery.Tests.Homes;

/// <summary>
/// Residual access: once a member leaves or is removed, every way into the family refuses at once — its place in the
/// family list, its devices, rooms, room devices, binding into it, and the current-family setting — while the
/// member's own bindings stay theirs and leave the family (one <c>left_family</c> event each).
/// </summary>
public sealed class FamilyMembershipAccessTests(SharedApp app) : IClassFixture<SharedApp>
{
    private static Task<int> SnBindAsync(Tenant.User user, Tenant.Device device, string fid, string? frid = null) =>
        BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn, ("fid", fid), ("frid", frid)).ContinueWith(t => t.Result.Code(), TaskScheduler.Default);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_leaving_or_removal_nothing_of_the_family_is_reachable(bool leaves)
    {
        var tenant = await Tenant.CreateAsync(app, homeMode: true);
        var product = await tenant.CreateProductAsync(1);
        var owner = await tenant.CreateUserAsync();
        var member = await tenant.CreateUserAsync();
        var fid = await Tenant.CreateFamilyAsync(owner);
        var room = await Tenant.CreateRoomAsync(owner, fid, "Kitchen");
        await Tenant.AddMemberAsync(owner, fid, member, 2);
        var ownersDevice = await tenant.CreateDeviceAsync(product.Pk);
        var membersDevice = await tenant.CreateDeviceAsync(product.Pk);
        var later = await tenant.CreateDeviceAsync(product.Pk);
        Assert.Equal(200, await SnBindAsync(owner, ownersDevice, fid, room));
        Assert.Equal(200, await SnBindAsync(member, membersDevice, fid, room));
        await Family.SendOkAsync(member, HttpMethod.Put, $"setCurrentFamily?fid={fid}");
        Assert.Equal(2, (await Family.DevicesAsync(member, $"getFamilyDeviceList?fid={fid}")).List.Count);

        Assert.Equal(200, (leaves ? await Members.LeaveAsync(member, fid) : await Members.RemoveAsync(owner, fid, member.Uid)).Code());

        Assert.Empty(await Family.ListAsync(member, "getFamilyList"));
        Assert.Equal(Errors.FamilyNotExist.Code, (await Family.GetAsync(member, $"getFamilyDeviceList?fid={fid}")).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Family.GetAsync(member, $"getFamilyRoomList?fid={fid}")).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Family.GetAsync(member, $"getCommonUsedDeviceList?fid={fid}")).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Family.GetAsync(member, $"getFamilyMemberList?fid={fid}")).Code());
        Assert.Equal(Errors.RoomNotExist.Code, (await Family.GetAsync(member, $"getFamilyRoomDeviceList?frid={room}")).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Family.SendAsync(member, HttpMethod.Post, Family.Q("addFamilyRoom", ("fid", fid), ("roomName", "Den")))).Code());
        Assert.Equal(Errors.NoPermission.Code, await SnBindAsync(member, later, fid));
        var current = await Family.GetAsync(member, "getCurrentFamily");
        Assert.Equal(200, current.Code());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, current.Data().ValueKind);

        // The member's own device stays theirs, out of the family; the owner's family keeps only the owner's device.
        var mine = (await BindingApi.ListAsync(member.Client)).Data().GetProperty("list").EnumerateArray().Single();
        Assert.Equal(membersDevice.Dk, mine.GetProperty("deviceKey").GetString());
        Assert.NotEqual(fid, mine.GetProperty("fid").GetString());
        var left = Assert.Single((await Family.DevicesAsync(owner, $"getFamilyDeviceList?fid={fid}")).List);
        Assert.Equal(ownersDevice.Dk, left.DeviceKey);
        Assert.Equal(1, Family.Parse<Page<RoomItem>>(await Seed.GetOkAsync(owner.Client, Family.Api + $"getFamilyRoomList?fid={fid}")).List.Single().DeviceCount);

        var events = (await Seed.Db(app).ReadAsync(c => c.QueryAsync<(string Kind, string Dk, string UserId, string ActorId)>(
            "SELECT kind, dk, user_id, actor_id FROM binding_events WHERE fid = @Fid AND kind <> 'bound' ORDER BY seq", new { Fid = fid }))).ToList();
        var e = Assert.Single(events);
        Assert.Equal(("left_family", membersDevice.Dk, member.Uid, leaves ? member.Uid : owner.Uid), (e.Kind, e.Dk, e.UserId, e.ActorId));
    }

    [Fact]
    public async Task A_member_without_bindings_in_the_family_leaves_without_binding_events()
    {
        var home = await Family.HouseholdAsync(app);
        await Seed.BoundDeviceAsync(app, home.Member, null);
        Assert.Equal(200, (await Members.LeaveAsync(home.Member, home.Fid)).Code());
        var count = await Seed.Db(app).ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM binding_events WHERE user_id = @Uid", new { Uid = home.Member.Uid }));
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task The_invitations_a_departing_admin_made_die_with_their_membership()
    {
        var home = await Family.HouseholdAsync(app);
        await Members.InviteOkAsync(app, home.Admin, home.Fid, home.Stranger);
        Assert.Equal(200, (await Members.RemoveAsync(home.Owner, home.Fid, home.Admin.Uid)).Code());
        Assert.Empty(await Members.InvitesAsync(home.Stranger));
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(home.Stranger, home.Fid, 1)).Code());
    }
}
