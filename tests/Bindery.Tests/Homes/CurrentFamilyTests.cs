using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>setCurrentFamily / getCurrentFamily: per user, stored, and never a family the user is not in.</summary>
public sealed class CurrentFamilyTests(SharedApp app) : IClassFixture<SharedApp>
{
    private static async Task<FamilyItem?> CurrentAsync(Tenant.User user, string query = "")
    {
        var data = await Seed.GetOkAsync(user.Client, Family.Api + "getCurrentFamily" + query);
        return data.ValueKind == System.Text.Json.JsonValueKind.Null ? null : Family.Parse<FamilyItem>(data);
    }

    [Fact]
    public async Task Without_a_choice_the_current_family_is_the_oldest_and_without_families_there_is_none()
    {
        var user = await Seed.UserAsync(app, await Seed.UserDomainAsync(app));
        Assert.Null(await CurrentAsync(user));
        var first = await Tenant.CreateFamilyAsync(user, "First");
        await Tenant.CreateFamilyAsync(user, "Second");
        var current = await CurrentAsync(user);
        Assert.Equal((first, "First", 1), (current!.Fid, current.FamilyName, current.MemberRole));
    }

    [Fact]
    public async Task The_chosen_family_is_stored_per_user()
    {
        var home = await Family.HouseholdAsync(app);
        var cabin = await Tenant.CreateFamilyAsync(home.Admin, "Cabin");

        var answered = Family.Parse<FamilyItem>(await Family.SendOkAsync(home.Admin, HttpMethod.Put, $"setCurrentFamily?fid={cabin}"));
        Assert.Equal((cabin, 1), (answered.Fid, answered.MemberRole));
        Assert.Equal(cabin, (await CurrentAsync(home.Admin))!.Fid);

        await Family.SendOkAsync(home.Admin, HttpMethod.Put, $"setCurrentFamily?fid={home.Fid}");
        var current = await CurrentAsync(home.Admin);
        Assert.Equal((home.Fid, 2), (current!.Fid, current.MemberRole));
        // Another member of the same family keeps their own choice (none: their oldest family).
        Assert.Equal(home.Fid, (await CurrentAsync(home.Member))!.Fid);
        // A fid in the query answers that family, without changing the stored choice.
        Assert.Equal(cabin, (await CurrentAsync(home.Admin, $"?fid={cabin}"))!.Fid);
        Assert.Equal(home.Fid, (await CurrentAsync(home.Admin))!.Fid);
    }

    [Fact]
    public async Task A_family_left_or_deleted_is_no_longer_current()
    {
        var home = await Family.HouseholdAsync(app);
        var own = await Tenant.CreateFamilyAsync(home.Member, "Own");
        await Family.SendOkAsync(home.Member, HttpMethod.Put, $"setCurrentFamily?fid={home.Fid}");
        Assert.Equal(home.Fid, (await CurrentAsync(home.Member))!.Fid);

        await Family.SendOkAsync(home.Member, HttpMethod.Delete, Family.Q("leaveFamily", ("fid", home.Fid)));
        Assert.Equal(own, (await CurrentAsync(home.Member))!.Fid);
        Assert.Equal(Errors.FamilyNotExist.Code, (await Family.GetAsync(home.Member, $"getCurrentFamily?fid={home.Fid}")).Code());

        await Family.SendOkAsync(home.Admin, HttpMethod.Put, $"setCurrentFamily?fid={home.Fid}");
        await Family.SendOkAsync(home.Owner, HttpMethod.Delete, Family.Q("deleteFamily", ("fid", home.Fid)));
        Assert.Null(await CurrentAsync(home.Admin));
    }

    [Fact]
    public async Task Another_users_family_cannot_be_made_current_and_looks_missing()
    {
        var home = await Family.HouseholdAsync(app);
        var theirs = await Family.SendAsync(home.Stranger, HttpMethod.Put, $"setCurrentFamily?fid={home.Fid}");
        var missing = await Family.SendAsync(home.Stranger, HttpMethod.Put, $"setCurrentFamily?fid={Secrets.NewId()}");
        Assert.Equal(Errors.FamilyNotExist.Code, theirs.Code());
        Assert.Equal(missing.ToString(), theirs.ToString());
        Assert.Equal((await Family.GetAsync(home.Stranger, $"getCurrentFamily?fid={Secrets.NewId()}")).ToString(),
            (await Family.GetAsync(home.Stranger, $"getCurrentFamily?fid={home.Fid}")).ToString());
        Assert.Null(await CurrentAsync(home.Stranger));
        Assert.Equal(Errors.FamilyIdMissing.Code, (await Family.SendAsync(home.Stranger, HttpMethod.Put, "setCurrentFamily")).Code());
    }
}
