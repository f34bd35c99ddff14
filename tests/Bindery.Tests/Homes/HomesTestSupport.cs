using System.Text.Json;
using Bindery.Tests.Accounts;
using Bindery.Tests.Support;

namespace Bindery.Tests.Homes;

/// <summary>Shortcuts for the family API.</summary>
public static class Family
{
    public const string Api = "/v2/family/enduserapi/";

    public static Task<JsonElement> PostAsync(Tenant.User user, string action, object body) => Seed.PostAsync(user.Client, Api + action, body);

    public static Task<JsonElement> PostOkAsync(Tenant.User user, string action, object body) => Tenant.PostOkAsync(user.Client, Api + action, body);

    public static Task<JsonElement> GetAsync(Tenant.User user, string actionAndQuery) => Seed.GetAsync(user.Client, Api + actionAndQuery);

    public static async Task<JsonElement[]> ListAsync(Tenant.User user, string actionAndQuery) => (await Seed.GetOkAsync(user.Client, Api + actionAndQuery)).Items();

    /// <summary>A domain with an owner, an admin, a regular member and a stranger, and the owner's family.</summary>
    public static async Task<Household> HouseholdAsync(BinderyApp app)
    {
        var domain = await Seed.UserDomainAsync(app);
        var owner = await Seed.UserAsync(app, domain);
        var admin = await Seed.UserAsync(app, domain);
        var member = await Seed.UserAsync(app, domain);
        var stranger = await Seed.UserAsync(app, domain);
        var fid = await Tenant.CreateFamilyAsync(owner);
        await Tenant.AddMemberAsync(owner, fid, admin, 2);
        await Tenant.AddMemberAsync(owner, fid, member, 3);
        return new Household(domain, fid, owner, admin, member, stranger);
    }
}

public sealed record Household(string Domain, string Fid, Tenant.User Owner, Tenant.User Admin, Tenant.User Member, Tenant.User Stranger);
