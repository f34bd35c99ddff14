using Bindery.Infrastructure;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>
/// Invitations in the /v2 dialect: inviteFamilyMember, getFamilyInviteList, familyMemberInviteHandle. Only the
/// invitee accepts or refuses; every failed attempt gets one answer (9301) and counts as a guess.
/// </summary>
public sealed class FamilyMembershipInviteTests(SharedApp app) : IClassFixture<SharedApp>
{
    [Fact]
    public async Task The_invitee_sees_the_invitation_accepts_it_and_joins_with_its_role_and_name()
    {
        var home = await Family.HouseholdAsync(app);
        var invitedAt = app.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var invalidTime = Members.InvalidTime(app, TimeSpan.FromDays(2));
        Assert.Equal(200, (await Members.InviteAsync(app, home.Owner, home.Fid, ("uid", home.Stranger.Uid), 2, "Grandma", invalidTime)).Code());

        var invite = Family.Parse<InviteListItem>(Assert.Single(await Members.InvitesAsync(home.Stranger)));
        Assert.Equal((home.Fid, "Home", 2, home.Owner.Uid, invalidTime), (invite.Fid, invite.FamilyName, invite.MemberRole, invite.InviterUid, invite.InvalidTimeTs));
        Assert.StartsWith("share_fm_", invite.ShareCode, StringComparison.Ordinal);
        Assert.InRange(invite.InviteTimeTs, invitedAt - 1000, invitedAt + 60_000);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", invite.InvalidTime);
        Assert.Empty(await Members.InvitesAsync(home.Member));

        Assert.Equal(200, (await Members.HandleAsync(home.Stranger, home.Fid, 1)).Code());

        var joined = Family.Parse<MemberInfoItem>((await Members.ListAsync(home.Owner, home.Fid)).Single(m => m.GetProperty("uid").GetString() == home.Stranger.Uid));
        Assert.Equal((2, "Grandma", home.Stranger.Username), (joined.MemberRole, joined.MemberName, joined.Username));
        Assert.Equal(2, Assert.Single(await Family.ListAsync(home.Stranger, "getFamilyList")).GetProperty("memberRole").GetInt32());
        Assert.Empty(await Members.InvitesAsync(home.Stranger));
        // Accepted once: there is nothing left to accept.
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(home.Stranger, home.Fid, 1)).Code());
    }

    [Fact]
    public async Task Invitees_are_found_by_uid_email_or_phone_of_the_same_user_domain()
    {
        var home = await Family.HouseholdAsync(app);
        var byMail = await Seed.UserAsync(app, home.Domain, $"m{Guid.NewGuid():N}"[..12] + "@example.com");
        var phone = "+86139" + Random.Shared.Next(10_000_000, 99_999_999);
        var byPhone = await Seed.UserAsync(app, home.Domain, phone);
        Assert.Equal(200, (await Members.InviteAsync(app, home.Owner, home.Fid, ("email", byMail.Username.ToUpperInvariant()))).Code());
        Assert.Equal(200, (await Members.InviteAsync(app, home.Admin, home.Fid, ("phone", phone[1..]))).Code());
        Assert.Equal(Errors.UserInfoNotFound.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, ("email", "nobody@example.com"))).Code());
        Assert.Equal(Errors.UserInfoNotFound.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, ("uid", Bindery.Protocol.Secrets.NewId()))).Code());

        Assert.Equal(200, (await Members.HandleAsync(byMail, home.Fid, 1)).Code());
        Assert.Equal(200, (await Members.HandleAsync(byPhone, home.Fid, 1)).Code());
        Assert.Equal(5, (await Members.ListAsync(home.Owner, home.Fid)).Length);
    }

    [Fact]
    public async Task Refusing_drops_the_invitation_and_changes_nothing_else()
    {
        var home = await Family.HouseholdAsync(app);
        await Members.InviteOkAsync(app, home.Owner, home.Fid, home.Stranger);
        Assert.Equal(200, (await Members.HandleAsync(home.Stranger, home.Fid, 0)).Code());
        Assert.Empty(await Members.InvitesAsync(home.Stranger));
        Assert.Empty(await Family.ListAsync(home.Stranger, "getFamilyList"));
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(home.Stranger, home.Fid, 1)).Code());
        // Refused, it can be sent again.
        await Members.InviteOkAsync(app, home.Owner, home.Fid, home.Stranger);
    }

    [Fact]
    public async Task Nobody_but_the_invitee_can_accept_or_refuse()
    {
        var home = await Family.HouseholdAsync(app);
        var invitee = await Seed.UserAsync(app, home.Domain);
        var other = await Seed.UserAsync(app, home.Domain);
        await Members.InviteOkAsync(app, home.Owner, home.Fid, invitee);
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(other, home.Fid, 1)).Code());
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(other, home.Fid, 0)).Code());
        var handle = Family.Parse<InviteListItem>(Assert.Single(await Members.InvitesAsync(invitee))).ShareCode;
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(other, home.Fid, 1, handle + "_" + "x")).Code());
        Assert.Empty(await Family.ListAsync(other, "getFamilyList"));
        Assert.Single(await Members.InvitesAsync(invitee));
        Assert.Equal(3, (await Members.ListAsync(home.Owner, home.Fid)).Length);
    }

    [Fact]
    public async Task Admins_invite_regular_members_only_and_regular_members_invite_nobody()
    {
        var home = await Family.HouseholdAsync(app);
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.InviteAsync(app, home.Admin, home.Fid, ("uid", home.Stranger.Uid), 2)).Code());
        Assert.Equal(Errors.NoPermissionToFamily.Code, (await Members.InviteAsync(app, home.Member, home.Fid, ("uid", home.Stranger.Uid), 3)).Code());
        Assert.Equal(Errors.FamilyNotExist.Code, (await Members.InviteAsync(app, home.Stranger, home.Fid, ("uid", home.Stranger.Uid), 3)).Code());
        Assert.Equal(200, (await Members.InviteAsync(app, home.Admin, home.Fid, ("uid", home.Stranger.Uid), 3)).Code());
        Assert.Equal(3, Family.Parse<InviteListItem>(Assert.Single(await Members.InvitesAsync(home.Stranger))).MemberRole);
    }

    [Fact]
    public async Task An_invitation_dies_with_its_inviters_right_to_grant_it()
    {
        var home = await Family.HouseholdAsync(app);
        await Members.InviteOkAsync(app, home.Admin, home.Fid, home.Stranger);
        Assert.Equal(200, (await Members.SetRoleAsync(home.Owner, home.Fid, home.Admin.Uid, 3)).Code());
        Assert.Empty(await Members.InvitesAsync(home.Stranger));
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(home.Stranger, home.Fid, 1)).Code());
    }

    [Fact]
    public async Task Bad_invitations_are_refused_with_the_real_codes()
    {
        var home = await Family.HouseholdAsync(app);
        var who = ("uid", (object?)home.Stranger.Uid);
        Assert.Equal(Errors.FamilyIdMissing.Code, (await Family.SendAsync(home.Owner, HttpMethod.Post, Family.Q("inviteFamilyMember", who, ("memberRole", 3), ("invalidTime", Members.InvalidTime(app))))).Code());
        Assert.Equal(Errors.MemberRoleMissing.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, who, null)).Code());
        Assert.Equal(Errors.MemberRoleInvalid.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, who, 1)).Code());
        Assert.Equal(Errors.MemberRoleInvalid.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, who, 4)).Code());
        Assert.Equal(Errors.InviteExpiryMissing.Code, (await Family.SendAsync(home.Owner, HttpMethod.Post, Family.Q("inviteFamilyMember", ("fid", home.Fid), who, ("memberRole", 3)))).Code());
        Assert.Equal(Errors.InviteExpiryInPast.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, who, invalidTime: Members.InvalidTime(app, TimeSpan.FromMinutes(-1)))).Code());
        Assert.Equal(Errors.InvalidParameterValue.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, who, invalidTime: Members.InvalidTime(app, TimeSpan.FromDays(8)))).Code());
        var unreadable = await Family.SendAsync(home.Owner, HttpMethod.Post, Family.Q("inviteFamilyMember", ("fid", home.Fid), who, ("memberRole", 3), ("invalidTime", "tomorrow")));
        Assert.Equal(Errors.InvalidParameter.Code, unreadable.Code());
        Assert.Contains("invalidTime", unreadable.ExtMsg(), StringComparison.Ordinal);
        Assert.Equal(Errors.InviteeMissing.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, ("uid", null))).Code());
        Assert.Equal(Errors.MemberNameTooLong.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, who, memberName: new string('n', 257))).Code());
        Assert.Equal(Errors.AlreadyExists.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, ("uid", home.Member.Uid))).Code());
        Assert.Equal(Errors.AlreadyExists.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, ("uid", home.Owner.Uid))).Code());
        Assert.Empty(await Members.InvitesAsync(home.Stranger));

        Assert.Equal(200, (await Members.SetNameAsync(home.Owner, home.Fid, home.Member.Uid, "Kid")).Code());
        Assert.Equal(Errors.MemberNameTaken.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, who, memberName: "Kid")).Code());
        Assert.Equal(200, (await Members.InviteAsync(app, home.Owner, home.Fid, who, memberName: "Guest")).Code());
        Assert.Equal(Errors.AlreadyInvited.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, who)).Code());
        var another = await Seed.UserAsync(app, home.Domain);
        Assert.Equal(Errors.MemberNameTaken.Code, (await Members.InviteAsync(app, home.Owner, home.Fid, ("uid", another.Uid), memberName: "Guest")).Code());
    }

    [Fact]
    public async Task Bad_decisions_are_refused_with_the_real_codes()
    {
        var home = await Family.HouseholdAsync(app);
        await Members.InviteOkAsync(app, home.Owner, home.Fid, home.Stranger);
        Assert.Equal(Errors.FamilyIdMissing.Code, (await Members.HandleAsync(home.Stranger, null, 1)).Code());
        Assert.Equal(Errors.InviteDecisionMissing.Code, (await Members.HandleAsync(home.Stranger, home.Fid, null)).Code());
        Assert.Equal(Errors.InviteDecisionFormat.Code, (await Members.HandleAsync(home.Stranger, home.Fid, 2)).Code());
        var unreadable = await Family.SendAsync(home.Stranger, HttpMethod.Post, Family.Q("familyMemberInviteHandle", ("fid", home.Fid), ("decide", "yes")));
        Assert.Equal(Errors.InvalidParameter.Code, unreadable.Code());
        Assert.Contains("decide", unreadable.ExtMsg(), StringComparison.Ordinal);
        Assert.Single(await Members.InvitesAsync(home.Stranger));
    }

    [Fact]
    public async Task Guessing_is_locked_out_after_five_failures_even_for_a_real_invitation()
    {
        var home = await Family.HouseholdAsync(app);
        var guesser = await Seed.UserAsync(app, home.Domain);
        for (var i = 0; i < 5; i++)
        {
            var guess = $"share_fm_{Bindery.Protocol.Secrets.NewId()}_{Bindery.Protocol.Secrets.NewToken()}";
            Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(guesser, home.Fid, 1, guess)).Code());
        }
        await Members.InviteOkAsync(app, home.Owner, home.Fid, guesser);
        Assert.Equal(Errors.TooManyAttempts.Code, (await Members.HandleAsync(guesser, home.Fid, 1)).Code());
        Assert.Empty(await Family.ListAsync(guesser, "getFamilyList"));
        // Another user of the domain is not locked by this user's failures.
        await Members.InviteOkAsync(app, home.Owner, home.Fid, home.Stranger);
        Assert.Equal(200, (await Members.HandleAsync(home.Stranger, home.Fid, 1)).Code());
    }

    [Fact]
    public async Task Deleting_the_family_deletes_its_invitations()
    {
        var domain = await Seed.UserDomainAsync(app);
        var owner = await Seed.UserAsync(app, domain);
        var invitee = await Seed.UserAsync(app, domain);
        var fid = await Tenant.CreateFamilyAsync(owner, "Cabin");
        await Members.InviteOkAsync(app, owner, fid, invitee);
        Assert.Equal(200, (await Family.SendAsync(owner, HttpMethod.Delete, Family.Q("deleteFamily", ("fid", fid)))).Code());
        Assert.Empty(await Members.InvitesAsync(invitee));
        Assert.Equal(Errors.FamilyInviteInvalid.Code, (await Members.HandleAsync(invitee, fid, 1)).Code());
    }
}
