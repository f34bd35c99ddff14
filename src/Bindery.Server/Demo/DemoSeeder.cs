using System.Globalization;
using System.Text;
using Bindery.Accounts;
using Bindery.Homes;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Demo;

/// <summary>
/// Seeds the demo tenant (docs/demo-tenant.md) on the first start of an empty store when <c>Bindery:SeedDemo</c> is
/// true: a user domain in home mode, one product per binding mode with every method enabled, three devices each,
/// and two users with a family each. Everything goes through <see cref="RegistryService"/>,
/// <see cref="AccountService"/> and <see cref="HomeService"/>, so the demo obeys the same rules as real data.
/// </summary>
public sealed class DemoSeeder(
    IDatabase db,
    RegistryService registry,
    AccountService accounts,
    HomeService homes,
    IOptions<BinderyOptions> options,
    ILogger<DemoSeeder> logger) : IStartupStep
{
    /// <summary>Settings row claimed by the one node that seeds; <c>seeding</c> until done, then <c>seeded</c>.</summary>
    public const string SettingName = "demo_tenant";
    public const string UserDomainId = "C.DM.demo";
    public const string MainUsername = "demo";
    public const string SecondUsername = "demo2";
    public const int DevicesPerProduct = 3;

    private static readonly string[] AllMethods = ["SN", "WIFI", "BT", "TOKEN", "SIG", "DK"];

    private static readonly (string Pk, string Name, string Logo, string ModuleType, int Mode, int UserCap, string SnPrefix)[] Products =
    [
        ("demo-plug", "Demo Smart Plug", "https://example.com/bindery-demo/plug.png", "EC200U", (int)BindingMode.MultiUser, 5, "DEMO-PLUG-"),
        ("demo-lock", "Demo Door Lock", "https://example.com/bindery-demo/lock.png", "BG95", (int)BindingMode.Owner, 1, "DEMO-LOCK-"),
        ("demo-tracker", "Demo Bike Tracker", "https://example.com/bindery-demo/tracker.png", "BC660K", (int)BindingMode.Rotation, 1, "DEMO-TRK-"),
    ];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.SeedDemo)
        {
            return;
        }
        var claim = await ClaimAsync(cancellationToken);
        if (claim == Claim.InProgress)
        {
            logger.LogInformation("Another node is seeding the demo tenant, or an earlier start stopped while seeding it (then start on an empty store to seed it again)");
        }
        if (claim != Claim.Won)
        {
            return;
        }
        var tenant = await CreateTenantAsync();
        var file = DemoTenant.PathIn(options.Value.DataDir);
        await tenant.SaveAsync(file);
        await db.WriteAsync(tx => tx.ExecuteAsync(
            "UPDATE settings SET value = 'seeded' WHERE key = @Key", new { Key = SettingName }), cancellationToken);
        // Deliberately stdout, not the logger: the secrets must never reach a log pipeline.
        Console.Out.Write(Describe(tenant, file));
        Console.Out.Flush();
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("Seeded the demo tenant (user domain {UserDomain}); its details are in {File}", tenant.UserDomain.Id, file);
        }
    }

    private enum Claim
    {
        Won,
        NotEmpty,
        AlreadyDone,
        InProgress,
    }

    /// <summary>
    /// One transaction decides: the store holds no registry or account data and no node has claimed the demo yet.
    /// The settings row's primary key lets exactly one of several nodes starting at once win.
    /// </summary>
    private Task<Claim> ClaimAsync(CancellationToken cancellationToken) => db.WriteAsync(async tx =>
    {
        var state = await tx.QuerySingleOrDefaultAsync<string>("SELECT value FROM settings WHERE key = @Key", new { Key = SettingName });
        if (state is not null)
        {
            return state == "seeded" ? Claim.AlreadyDone : Claim.InProgress;
        }
        var rows = await tx.ExecuteScalarAsync<long>(
            "SELECT (SELECT COUNT(*) FROM user_domains) + (SELECT COUNT(*) FROM products) + (SELECT COUNT(*) FROM users)");
        if (rows > 0)
        {
            return Claim.NotEmpty;
        }
        var inserted = await tx.ExecuteAsync(
            "INSERT INTO settings (key, value) VALUES (@Key, 'seeding') ON CONFLICT (key) DO NOTHING", new { Key = SettingName });
        return inserted == 1 ? Claim.Won : Claim.AlreadyDone;
    }, cancellationToken);

    private async Task<DemoTenant> CreateTenantAsync()
    {
        var domain = await registry.CreateUserDomainAsync(new UserDomainInput(UserDomainId, HomeMode: true, Secret: null));
        var products = new List<DemoProduct>();
        foreach (var (pk, name, logo, moduleType, mode, userCap, snPrefix) in Products)
        {
            var product = await registry.CreateProductAsync(new ProductInput(
                pk, Ps: null, name, logo, moduleType, mode, userCap, AllMethods, [domain.Id]));
            var devices = new List<DemoDevice>();
            for (var i = 1; i <= DevicesPerProduct; i++)
            {
                // 14-digit IMEI body: 8699 (demo range) + mode + device number; the check digit makes it valid.
                var dk = DeviceKeys.ImeiFromBody(string.Create(CultureInfo.InvariantCulture, $"8699000{mode}00000{i}"));
                var device = await registry.CreateDeviceAsync(product.Pk, new DeviceInput(dk, snPrefix + i.ToString("D4", CultureInfo.InvariantCulture)));
                devices.Add(new DemoDevice(device.Dk, device.Sn, device.DeviceSecret));
            }
            products.Add(new DemoProduct(product.Pk, product.Ps, product.Name, product.LogoUrl, product.BindingMode, product.UserCap, product.Methods, devices));
        }
        var users = new List<DemoUser>
        {
            await CreateUserAsync(domain.Id, MainUsername, "Demo home", "Living room"),
            await CreateUserAsync(domain.Id, SecondUsername, "Neighbour's home", roomName: null),
        };
        return new DemoTenant(new DemoUserDomain(domain.Id, domain.Secret, domain.HomeMode), products, users);
    }

    private async Task<DemoUser> CreateUserAsync(string domainId, string username, string familyName, string? roomName)
    {
        var password = Secrets.RandomAlphanumeric(16);
        var uid = await accounts.RegisterAsync(domainId, username, password);
        var user = new AppUser(uid, domainId, username);
        var fid = await homes.CreateFamilyAsync(user, familyName);
        var frid = roomName is null ? null : await homes.CreateRoomAsync(user, fid, roomName);
        return new DemoUser(username, password, uid, fid, familyName, frid, roomName);
    }

    /// <summary>The once-only summary printed on first start.</summary>
    public static string Describe(DemoTenant tenant, string file)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Bindery demo tenant created (shown once; also saved to {file}, readable only by you):");
        text.AppendLine(CultureInfo.InvariantCulture, $"  user domain  {tenant.UserDomain.Id}  secret {tenant.UserDomain.Secret}  home mode {(tenant.UserDomain.HomeMode ? "on (bind with fid, optionally frid)" : "off")}");
        foreach (var user in tenant.Users)
        {
            var room = user.Frid is null ? "" : $"  room {user.Frid} \"{user.RoomName}\"";
            text.AppendLine(CultureInfo.InvariantCulture, $"  user {user.Username,-7} password {user.Password}  family {user.Fid} \"{user.FamilyName}\"{room}");
        }
        foreach (var product in tenant.Products)
        {
            var mode = (BindingMode)product.BindingMode switch
            {
                BindingMode.MultiUser => $"multi-user, up to {product.UserCap} users",
                BindingMode.Owner => "owner: a second user gets 5412",
                _ => "rotation: a proven binding replaces the holder",
            };
            text.AppendLine(CultureInfo.InvariantCulture, $"  product {product.Pk}  \"{product.Name}\"  ps {product.Ps}  mode {product.BindingMode} ({mode})  methods {string.Join(',', product.Methods)}");
            foreach (var device in product.Devices)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    device pk {product.Pk}  dk {device.Dk}  sn {device.Sn}  device secret {device.DeviceSecret}");
            }
        }
        text.AppendLine("  Next: the README quickstart (e.g. dotnet run --project src/Bindery.Cli -- login --demo)");
        return text.ToString();
    }
}
