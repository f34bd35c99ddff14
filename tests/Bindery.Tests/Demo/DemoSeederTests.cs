using Bindery.Demo;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Bindery.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bindery.Tests.Demo;

/// <summary>The seeder's decision on the suite's store (SQLite or PostgreSQL): seed only an empty store, and only once.</summary>
public sealed class DemoSeederTests
{
    private static DemoSeeder Seeder(BinderyApp app, string dataDir) =>
        ActivatorUtilities.CreateInstance<DemoSeeder>(app.Services, Options.Create(new BinderyOptions { SeedDemo = true, DataDir = dataDir }));

    private static Task<(long Domains, long Products, long Devices, long Users, long Families)> CountAsync(BinderyApp app) =>
        app.Services.GetRequiredService<IDatabase>().ReadAsync(async c => (
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM user_domains"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM products"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM devices"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users"),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM families")));

    [Fact]
    public async Task With_SeedDemo_false_nothing_is_seeded()
    {
        using var app = new BinderyApp();
        Assert.Equal((0, 0, 0, 0, 0), await CountAsync(app));
        Assert.False(File.Exists(DemoTenant.PathIn(app.DataDir)));
    }

    [Fact]
    public async Task Seeders_racing_on_one_empty_store_seed_it_exactly_once()
    {
        using var app = new BinderyApp();
        var dataDir = Path.Combine(app.DataDir, "seeded");

        // Built before the race: the first touch of app.Services starts the in-memory server, once.
        var seeders = Enumerable.Range(0, 4).Select(_ => Seeder(app, dataDir)).ToList();
        await Task.WhenAll(seeders.Select(seeder => Task.Run(() => seeder.RunAsync(CancellationToken.None))));

        Assert.Equal((1, 3, 9, 2, 2), await CountAsync(app));
        var tenant = await DemoTenant.LoadAsync(DemoTenant.PathIn(dataDir));
        var stored = await app.Services.GetRequiredService<RegistryService>().GetUserDomainAsync(DemoSeeder.UserDomainId);
        Assert.Equal(stored!.Secret, tenant.UserDomain.Secret);

        // Started again later: nothing more.
        await Seeder(app, Path.Combine(app.DataDir, "again")).RunAsync(CancellationToken.None);
        Assert.Equal((1, 3, 9, 2, 2), await CountAsync(app));
        Assert.False(File.Exists(DemoTenant.PathIn(Path.Combine(app.DataDir, "again"))));
    }

    [Fact]
    public async Task A_store_with_a_user_domain_is_not_seeded()
    {
        using var app = new BinderyApp();
        await Tenant.CreateAsync(app);

        await Seeder(app, app.DataDir).RunAsync(CancellationToken.None);

        Assert.Equal((1, 0, 0, 0, 0), await CountAsync(app));
        Assert.False(File.Exists(DemoTenant.PathIn(app.DataDir)));
    }
}
