using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>
/// The database, not the application, decides races: 50 users binding one device at the same moment, repeated
/// on a fresh device each round.
/// </summary>
public sealed class BindingConcurrencyTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private const int Users = 50;
    private const int Rounds = 100;

    private async Task<List<Tenant.User>> UsersAsync()
    {
        var users = new List<Tenant.User>();
        for (var i = 0; i < Users; i++)
        {
            users.Add(await fx.Tenant.CreateUserAsync());
        }
        return users;
    }

    private static async Task<int[]> RaceAsync(List<Tenant.User> users, Tenant.Device device)
    {
        using var start = new SemaphoreSlim(0);
        var attempts = users.Select(async u =>
        {
            await start.WaitAsync();
            return (await BindingApi.BindSnAsync(u.Client, device.Pk, device.Sn)).Code();
        }).ToList();
        start.Release(users.Count);
        return await Task.WhenAll(attempts);
    }

    [Fact]
    public async Task Fifty_users_racing_for_an_owner_mode_device_always_yield_exactly_one_binding()
    {
        var users = await UsersAsync();
        var product = await fx.Tenant.CreateProductAsync(2, methods: ["SN"]);
        for (var round = 0; round < Rounds; round++)
        {
            // Each lost race is a counted failed SN attempt; a fresh window per round keeps the losers from 9007.
            fx.App.Clock.Advance(TimeSpan.FromMinutes(16));
            var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
            var codes = await RaceAsync(users, device);
            Assert.Equal(1, codes.Count(c => c == 200));
            Assert.All(codes.Where(c => c != 200), c => Assert.Equal(5412, c));
        }
    }

    [Fact]
    public async Task Fifty_users_racing_for_a_multi_user_device_never_exceed_its_cap()
    {
        const int cap = 5;
        var users = await UsersAsync();
        var product = await fx.Tenant.CreateProductAsync(1, userCap: cap, methods: ["SN"]);
        for (var round = 0; round < Rounds; round++)
        {
            // Each lost race is a counted failed SN attempt; a fresh window per round keeps the losers from 9007.
            fx.App.Clock.Advance(TimeSpan.FromMinutes(16));
            var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
            var codes = await RaceAsync(users, device);
            Assert.Equal(cap, codes.Count(c => c == 200));
            Assert.All(codes.Where(c => c != 200), c => Assert.Equal(9013, c));
        }
    }
}
