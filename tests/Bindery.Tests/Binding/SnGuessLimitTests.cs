using Bindery.Infrastructure;
using Bindery.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Binding;

/// <summary>A server whose SN limits are low enough for a test to reach (docs/binding.md, "Guessing limits").</summary>
public sealed class SnLimitsFixture() : BindingFixture(new Dictionary<string, string?>
{
    ["Binding:SnAttemptsPerUser"] = SnLimitsFixture.AttemptsPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Binding:SnFailuresPerProduct"] = SnLimitsFixture.FailuresPerProduct.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Binding:SnFailuresPerUserDomain"] = SnLimitsFixture.FailuresPerUserDomain.ToString(System.Globalization.CultureInfo.InvariantCulture),
})
{
    public const int AttemptsPerUser = 4;
    public const int FailuresPerProduct = 6;
    public const int FailuresPerUserDomain = 9;
}

/// <summary>
/// Guessing serial numbers does not get cheaper with more accounts: every SN attempt costs the caller one of a few
/// per window whatever it answers, the failures of all accounts together are capped per product and per user
/// domain, and registrations per user domain are limited.
/// </summary>
public sealed class SnGuessLimitTests(SnLimitsFixture fx) : IClassFixture<SnLimitsFixture>
{
    private static int Code(ErrorDef error) => error.Code;

    private async Task<Tenant> FreshTenantAsync() => await Tenant.CreateAsync(fx.App);

    [Fact]
    public async Task Failed_sn_guesses_from_many_fresh_accounts_exhaust_the_products_budget()
    {
        var tenant = await FreshTenantAsync();
        var product = await tenant.CreateProductAsync(2, methods: ["SN", "WIFI"]);
        var real = await tenant.CreateDeviceAsync(product.Pk);
        var guesses = 0;
        for (var account = 0; account < 3; account++)
        {
            var guesser = await tenant.CreateUserAsync();
            for (var i = 0; i < 2; i++)
            {
                Assert.Equal(Code(Errors.SnInvalid), (await BindingApi.BindSnAsync(guesser.Client, product.Pk, $"GUESS-{account}-{i}")).Code());
                guesses++;
            }
        }
        Assert.Equal(SnLimitsFixture.FailuresPerProduct, guesses);

        // A fourth fresh account, and even the right serial number: the product's SN budget is spent.
        var fresh = await tenant.CreateUserAsync();
        Assert.Equal(Code(Errors.TooManyAttempts), (await BindingApi.BindSnAsync(fresh.Client, product.Pk, real.Sn)).Code());

        // Other products, and the methods that prove possession, are unaffected.
        var other = await tenant.CreateProductAsync(2, methods: ["SN"]);
        var otherDevice = await tenant.CreateDeviceAsync(other.Pk);
        Assert.Equal(200, (await BindingApi.BindSnAsync(fresh.Client, other.Pk, otherDevice.Sn)).Code());
        await BindingApi.BindWifiOkAsync(fx, fresh, real);

        // The window passes.
        fx.App.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        try
        {
            var later = await tenant.CreateUserAsync();
            var another = await tenant.CreateDeviceAsync(product.Pk);
            Assert.Equal(200, (await BindingApi.BindSnAsync(later.Client, product.Pk, another.Sn)).Code());
        }
        finally
        {
            fx.App.Clock.Advance(-(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1)));
        }
    }

    [Fact]
    public async Task Failed_sn_guesses_across_products_exhaust_the_user_domains_budget()
    {
        var tenant = await FreshTenantAsync();
        var failures = 0;
        var products = new List<Tenant.Product>();
        for (var p = 0; p < 3; p++)
        {
            var product = await tenant.CreateProductAsync(2, methods: ["SN"]);
            products.Add(product);
            for (var i = 0; i < 3; i++)
            {
                var guesser = await tenant.CreateUserAsync();
                Assert.Equal(Code(Errors.SnInvalid), (await BindingApi.BindSnAsync(guesser.Client, product.Pk, $"NOPE-{p}-{i}")).Code());
                failures++;
            }
        }
        Assert.Equal(SnLimitsFixture.FailuresPerUserDomain, failures);

        var fresh = await tenant.CreateUserAsync();
        var untouched = await tenant.CreateProductAsync(2, methods: ["SN"]);
        var device = await tenant.CreateDeviceAsync(untouched.Pk);
        Assert.Equal(Code(Errors.TooManyAttempts), (await BindingApi.BindSnAsync(fresh.Client, untouched.Pk, device.Sn)).Code());

        // Another user domain has a budget of its own.
        var neighbour = await FreshTenantAsync();
        var theirs = await neighbour.CreateProductAsync(2, methods: ["SN"]);
        var theirDevice = await neighbour.CreateDeviceAsync(theirs.Pk);
        Assert.Equal(200, (await BindingApi.BindSnAsync((await neighbour.CreateUserAsync()).Client, theirs.Pk, theirDevice.Sn)).Code());
    }

    [Fact]
    public async Task Wrong_someone_elses_and_unbound_serial_numbers_cost_the_same_attempt()
    {
        var tenant = await FreshTenantAsync();
        var product = await tenant.CreateProductAsync(1, methods: ["SN", "WIFI"]);
        var held = await tenant.CreateDeviceAsync(product.Pk);
        await BindingApi.BindWifiOkAsync(fx, await tenant.CreateUserAsync(), held);
        var free1 = await tenant.CreateDeviceAsync(product.Pk);
        var free2 = await tenant.CreateDeviceAsync(product.Pk);
        var prober = await tenant.CreateUserAsync();

        Assert.Equal(Code(Errors.SnInvalid), (await BindingApi.BindSnAsync(prober.Client, product.Pk, "NO-SUCH-SN")).Code());
        Assert.Equal(Code(Errors.UniqueBindingMode), (await BindingApi.BindSnAsync(prober.Client, product.Pk, held.Sn)).Code());
        Assert.Equal(200, (await BindingApi.BindSnAsync(prober.Client, product.Pk, free1.Sn)).Code());
        Assert.Equal(Code(Errors.DeviceAlreadyBound), (await BindingApi.BindSnAsync(prober.Client, product.Pk, free1.Sn)).Code());
        // Four attempts, whatever each answered: the fifth is refused, although it would bind.
        Assert.Equal(Code(Errors.TooManyAttempts), (await BindingApi.BindSnAsync(prober.Client, product.Pk, free2.Sn)).Code());
        Assert.Equal(0, (await BindingApi.ListAsync(prober.Client)).Data().GetProperty("list").EnumerateArray()
            .Count(d => d.GetProperty("deviceKey").GetString() == free2.Dk));
    }

    [Fact]
    public async Task Sn_failures_that_no_longer_count_are_pruned()
    {
        var tenant = await FreshTenantAsync();
        var product = await tenant.CreateProductAsync(2, methods: ["SN"]);
        var guesser = await tenant.CreateUserAsync();
        Assert.Equal(Code(Errors.SnInvalid), (await BindingApi.BindSnAsync(guesser.Client, product.Pk, "NOT-A-SERIAL")).Code());
        var db = fx.App.Services.GetRequiredService<Bindery.Storage.IDatabase>();
        Task<long> FailuresAsync() => db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<long>(c,
            "SELECT COUNT(*) FROM sn_failures WHERE pk = @Pk", new { product.Pk }));
        var pruning = fx.App.Services.GetRequiredService<Bindery.Binding.GuessPruning>();
        Assert.Equal(1, await FailuresAsync());

        await pruning.PruneOnceAsync();
        Assert.Equal(1, await FailuresAsync());   // still inside the window: it still counts

        fx.App.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        try
        {
            Assert.True(await pruning.PruneOnceAsync() >= 1);
            Assert.Equal(0, await FailuresAsync());
        }
        finally
        {
            fx.App.Clock.Advance(-(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1)));
        }
    }

    [Fact]
    public async Task Registrations_per_user_domain_are_limited_per_window()
    {
        using var app = new BinderyApp(new Dictionary<string, string?> { ["Bindery:Accounts:RegistrationsPerUserDomain"] = "3" });
        var tenant = await Tenant.CreateAsync(app);
        var anonymous = app.CreateClient();
        async Task<int> RegisterAsync(string domain, string username) =>
            (await (await anonymous.PostAsync("/v2/enduser/enduserapi/register", System.Net.Http.Json.JsonContent.Create(
                new { userDomain = domain, username, password = "correct horse battery staple" }))).ReadEnvelopeAsync()).Code();

        Assert.Equal(200, await RegisterAsync(tenant.DomainId, "first"));
        Assert.Equal(Code(Errors.UsernameTaken), await RegisterAsync(tenant.DomainId, "first"));   // attempts count, not only accounts
        Assert.Equal(200, await RegisterAsync(tenant.DomainId, "second"));
        Assert.Equal(Code(Errors.TooManyAttempts), await RegisterAsync(tenant.DomainId, "third"));

        var other = await Tenant.CreateAsync(app);
        Assert.Equal(200, await RegisterAsync(other.DomainId, "third"));

        app.Clock.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(200, await RegisterAsync(tenant.DomainId, "third"));
    }
}
