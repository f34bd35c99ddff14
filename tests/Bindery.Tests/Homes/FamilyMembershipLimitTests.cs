using Bindery.Infrastructure;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>A server with small membership limits: 3 members per family, 3 failed invitation attempts per user domain.</summary>
public sealed class SmallFamiliesApp() : BinderyApp(SharedApp.FastHashing(new()
{
    ["Families:MemberLimit"] = "3",
    ["Families:GuessesPerUserDomain"] = "3",
}));

/// <summary>Member limit, the per-user-domain guess limit, and expiry (this class moves its server's clock).</summary>
public sealed class FamilyMembershipLimitTests(SmallFamiliesApp app) : IClassFixture<SmallFamiliesApp>
{
    private async Task<(string Domain, Tenant.User Owner, string Fid)> FamilyAsync()
    {
        var domain = await Seed.UserDomainAsync(app);
        var owner = await Seed.UserAsync(app, domain);
        return (domain, owner, await Tenant.CreateFamilyAsync(owner));
    }

    [Fact]
    public async Task A_full_family_takes_nobody_until_someone_leaves()
    {
        var (domain, owner, fid) = await FamilyAsync();
        var users = new List<Tenant.User>();
        for (var i = 0; i < 3; i++)
        {
            var user = await Seed.UserAsync(app, domain);
            await Members.InviteOkAsync(app, owner, fid, user);
            users.Add(user);
        }
        Assert.Equal(200, (await Members.HandleAsync(users[0], fid, 1)).Code());
        Assert.Equal(200, (await Members.HandleAsync(users[1], fid, 1)).Code());
        var refused = await Members.HandleAsync(users[2], fid, 1);
        Assert.Equal(Errors.UnsupportedOperation.Code, refused.Code());
        Assert.Contains("at most 3 members", refused.ExtMsg(), StringComparison.Ordinal);
        Assert.Single(await Members.InvitesAsync(users[2]));

        Assert.Equal(200, (await Members.LeaveAsync(users[0], fid)).Code());
        Assert.Equal(200, (await Members.HandleAsync(users[2], fid, 1)).Code());
        Assert.Equal(3, (await Members.ListAsync(owner, fid)).Length);
    }

    [Fact]
    public async Task Failed_attempts_of_many_users_of_one_domain_lock_the_domain()
    {
        var (domain, owner, fid) = await FamilyAsync();
        for (var i = 0; i < 3; i++)
        {
            var guesser = await Seed.UserAsync(app, domain);
            Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(guesser, fid, 1)).Code());
        }
        var invitee = await Seed.UserAsync(app, domain);
        await Members.InviteOkAsync(app, owner, fid, invitee);
        Assert.Equal(Errors.TooManyAttempts.Code, (await Members.HandleAsync(invitee, fid, 1)).Code());

        // Another user domain is not affected.
        var (otherDomain, otherOwner, otherFid) = await FamilyAsync();
        var otherInvitee = await Seed.UserAsync(app, otherDomain);
        await Members.InviteOkAsync(app, otherOwner, otherFid, otherInvitee);
        Assert.Equal(200, (await Members.HandleAsync(otherInvitee, otherFid, 1)).Code());
    }

    [Fact]
    public async Task An_expired_invitation_is_refused_like_one_that_never_existed()
    {
        var (domain, owner, fid) = await FamilyAsync();
        var invitee = await Seed.UserAsync(app, domain);
        Assert.Equal(200, (await Members.InviteAsync(app, owner, fid, ("uid", invitee.Uid), invalidTime: Members.InvalidTime(app, TimeSpan.FromMinutes(5)))).Code());
        Assert.Single(await Members.InvitesAsync(invitee));
        app.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Empty(await Members.InvitesAsync(invitee));
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(invitee, fid, 1)).Code());
        Assert.Empty(await Family.ListAsync(invitee, "getFamilyList"));
        // Expired, it no longer blocks a new invitation.
        Assert.Equal(200, (await Members.InviteAsync(app, owner, fid, ("uid", invitee.Uid))).Code());
    }
}
