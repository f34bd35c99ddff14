using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Homes;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Storage;
using Bindery.Tencent;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.StandIn;

/// <summary>
/// Something else the stand-in keeps in memory that a reset must also return to its start (the faults, the journal,
/// the virtual devices): every registered one is called, after the store's rows were put back.
/// </summary>
public interface IStandInResetParticipant
{
    Task ResetAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The stand-in's tenant: loads a fixture (docs/stand-in.md, "Fixtures") through <see cref="RegistryService"/>,
/// <see cref="TencentApps"/>, <see cref="AccountService"/>, <see cref="HomeService"/> and <see cref="BindingCore"/> (one
/// set of rules for fixture and real data), snapshots the store, and resets to that snapshot in one transaction.
/// At start it loads <c>Bindery:StandIn:Fixture</c> when set; otherwise it snapshots the store as it is, so a reset
/// goes back to the state at start. Loads and resets are serialized. Single-node (docs/stand-in.md).
/// </summary>
public sealed class StandInTenant(
    IDatabase db,
    RegistryService registry,
    TencentApps apps,
    AccountService accounts,
    HomeService homes,
    BindingCore core,
    StandInClock clock,
    IServiceProvider services,
    IOptions<StandInOptions> options,
    ILogger<StandInTenant> logger) : IStartupStep, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private StandInSnapshot? _snapshot;

    /// <summary>The last fixture loaded (null: the store as it was at start).</summary>
    public FixtureLoaded? Loaded { get; private set; }

    public sealed record ResetResult(int Tables, int Rows, long ElapsedMs);

    public void Dispose() => _gate.Dispose();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var path = options.Value.Fixture;
        if (string.IsNullOrWhiteSpace(path))
        {
            _snapshot = await StandInSnapshot.TakeAsync(db, cancellationToken);
            return;
        }
        var full = Path.GetFullPath(path, ServerPaths.StartDirectory);
        StandInFixture fixture;
        try
        {
            fixture = StandInFixture.Parse(await File.ReadAllTextAsync(full, cancellationToken));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{StandInOptions.SectionName}:Fixture: cannot read the fixture {full}: {e.Message}", e);
        }
        try
        {
            var loaded = await LoadAsync(fixture, cancellationToken);
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("Stand-in fixture {File} loaded: {Products} product(s), {Users} user(s) in {Ms} ms",
                    full, loaded.Products.Count, loaded.Users.Count, loaded.ElapsedMs);
            }
        }
        catch (BinderyException e)
        {
            throw new InvalidOperationException($"{StandInOptions.SectionName}:Fixture {full} was refused: {e.Message}", e);
        }
    }

    /// <summary>Empties the store, creates the fixture's tenant, and makes it what a reset returns to.</summary>
    public async Task<FixtureLoaded> LoadAsync(StandInFixture fixture, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            await db.WriteAsync(async tx =>
            {
                await StandInSnapshot.ClearAsync(tx);
                return 0;
            }, cancellationToken);
            await ResetParticipantsAsync(cancellationToken);
            FixtureLoaded loaded;
            try
            {
                loaded = await CreateAsync(fixture);
            }
            catch
            {
                // Half a fixture is no state to reset to: leave the store empty (and say so through the exception).
                await db.WriteAsync(async tx =>
                {
                    await StandInSnapshot.ClearAsync(tx);
                    return 0;
                }, CancellationToken.None);
                _snapshot = await StandInSnapshot.TakeAsync(db, CancellationToken.None);
                Loaded = null;
                throw;
            }
            _snapshot = await StandInSnapshot.TakeAsync(db, cancellationToken);
            Loaded = loaded with { ElapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds };
            return Loaded;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Puts the store back to the snapshot (one transaction), the clock back to the system's, and every participant back to its start.</summary>
    public async Task<ResetResult> ResetAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            _snapshot ??= await StandInSnapshot.TakeAsync(db, cancellationToken);
            var snapshot = _snapshot;
            await db.WriteAsync(async tx =>
            {
                await snapshot.RestoreAsync(tx);
                return 0;
            }, cancellationToken);
            clock.Reset();
            await ResetParticipantsAsync(cancellationToken);
            return new ResetResult(snapshot.Tables.Count, snapshot.RowCount, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ResetParticipantsAsync(CancellationToken cancellationToken)
    {
        foreach (var participant in services.GetServices<IStandInResetParticipant>())
        {
            await participant.ResetAsync(cancellationToken);
        }
    }

    private async Task<FixtureLoaded> CreateAsync(StandInFixture fixture)
    {
        var domains = new List<LoadedUserDomain>();
        foreach (var (input, i) in (fixture.UserDomains ?? []).Select((d, i) => (d, i)))
        {
            var created = await registry.CreateUserDomainAsync(new UserDomainInput(Required(input.Id, $"userDomains[{i}].id"), input.HomeMode, input.Secret, input.TencentEnvelope));
            domains.Add(new LoadedUserDomain(created.Id, created.Secret, created.HomeMode));
        }
        var loadedApps = new List<LoadedApp>();
        foreach (var (input, i) in (fixture.Apps ?? []).Select((a, i) => (a, i)))
        {
            var created = await apps.CreateAsync(new TencentApps.AppInput(input.UserDomain ?? SingleDomain(domains, $"apps[{i}].userDomain"), input.Name ?? "Stand-in app"));
            var appKey = string.IsNullOrWhiteSpace(input.AppKey) ? created.AppKey : input.AppKey.Trim();
            var appSecret = string.IsNullOrWhiteSpace(input.AppSecret) ? created.AppSecret : input.AppSecret.Trim();
            if (appKey != created.AppKey || appSecret != created.AppSecret)
            {
                // TencentApps always draws its keys; an app team's CI is built with known ones, so they are set here.
                Validate.Required(appKey, Errors.InvalidParameterValue, 64, $"apps[{i}].appKey");
                Validate.Required(appSecret, Errors.InvalidParameterValue, 128, $"apps[{i}].appSecret");
                await db.WriteAsync(tx => tx.ExecuteAsync(
                    "UPDATE tencent_apps SET app_key = @AppKey, app_secret = @AppSecret WHERE app_key = @Created",
                    new { AppKey = appKey, AppSecret = appSecret, Created = created.AppKey }));
            }
            loadedApps.Add(new LoadedApp(appKey, appSecret, created.UserDomain, created.Name));
        }
        var products = new List<LoadedProduct>();
        var devicesByPk = new Dictionary<string, List<LoadedDevice>>(StringComparer.Ordinal);
        var productInputs = fixture.Products ?? [];
        foreach (var (input, i) in productInputs.Select((p, i) => (p, i)))
        {
            var created = await registry.CreateProductAsync(new ProductInput(
                Required(input.Pk, $"products[{i}].pk"), input.Ps, input.Name ?? input.Pk, input.LogoUrl ?? "https://example.invalid/stand-in.png",
                input.ModuleType ?? "STAND-IN", input.BindingMode ?? (int)BindingMode.MultiUser, input.UserCap ?? 5,
                input.Methods ?? ["SN", "WIFI", "BT", "TOKEN"], input.UserDomains ?? domains.Select(d => d.Id).ToList(),
                input.SnPairingRequired, input.DeviceKeyFormat));
            var devices = new List<LoadedDevice>();
            devicesByPk[created.Pk] = devices;
            products.Add(new LoadedProduct(created.Pk, created.Ps, created.Name, created.BindingMode, devices));
            foreach (var device in input.Devices ?? [])
            {
                devices.Add(await CreateDeviceAsync(created.Pk, device));
            }
            var format = DeviceKeyFormatNames.Parse(input.DeviceKeyFormat) ?? DeviceKeyFormat.ImeiOrMac;
            for (var n = 1; n <= Math.Clamp(input.GenerateDevices ?? 0, 0, 10_000); n++)
            {
                var dk = format switch
                {
                    DeviceKeyFormat.ImeiOrMac => DeviceKeys.ImeiFromBody(string.Create(CultureInfo.InvariantCulture, $"86{i % 10_000:D4}{n:D8}")),
                    DeviceKeyFormat.Custom => string.Create(CultureInfo.InvariantCulture, $"d{n:D6}"),
                    _ => string.Create(CultureInfo.InvariantCulture, $"dev_{n:D4}"),
                };
                devices.Add(await CreateDeviceAsync(created.Pk, new FixtureDevice(created.Pk, dk, string.Create(CultureInfo.InvariantCulture, $"{created.Pk}-{n:D4}"), null)));
            }
        }
        foreach (var (device, i) in (fixture.Devices ?? []).Select((d, i) => (d, i)))
        {
            var pk = Required(device.Pk, $"devices[{i}].pk");
            var created = await CreateDeviceAsync(pk, device);
            if (!devicesByPk.TryGetValue(pk, out var list))
            {
                throw new BinderyException(Errors.InvalidParameterValue, $"devices[{i}].pk '{pk}' is not a product of the fixture");
            }
            list.Add(created);
        }
        var users = new List<(LoadedUser User, AppUser App)>();
        foreach (var (input, i) in (fixture.Users ?? []).Select((u, i) => (u, i)))
        {
            var domain = input.UserDomain ?? SingleDomain(domains, $"users[{i}].userDomain");
            var username = Required(input.Username, $"users[{i}].username");
            var uid = await accounts.RegisterAsync(domain, username, input.Password);
            users.Add((new LoadedUser(domain, username, uid), new AppUser(uid, domain, username)));
        }
        var families = new List<LoadedFamily>();
        var familyIds = new Dictionary<(string Uid, string Name), (string Fid, Dictionary<string, string> Rooms)>();
        foreach (var (input, i) in (fixture.Families ?? []).Select((f, i) => (f, i)))
        {
            var owner = FindUser(users, input.Owner, input.UserDomain, $"families[{i}].owner");
            var name = Required(input.Name, $"families[{i}].name");
            var fid = await homes.CreateFamilyAsync(owner, name);
            var rooms = new List<LoadedRoom>();
            var roomIds = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var room in input.Rooms ?? [])
            {
                var frid = await homes.CreateRoomAsync(owner, fid, room);
                rooms.Add(new LoadedRoom(frid, room));
                roomIds[room] = frid;
            }
            familyIds[(owner.Id, name)] = (fid, roomIds);
            families.Add(new LoadedFamily(fid, name, owner.Id, rooms));
        }
        var bindings = 0;
        foreach (var (input, i) in (fixture.Bindings ?? []).Select((b, i) => (b, i)))
        {
            var user = FindUser(users, input.User, input.UserDomain, $"bindings[{i}].user");
            var pk = Required(input.Pk, $"bindings[{i}].pk");
            string? fid = null;
            string? frid = null;
            if (input.Family is not null)
            {
                if (!familyIds.TryGetValue((user.Id, input.Family), out var family))
                {
                    throw new BinderyException(Errors.InvalidParameterValue, $"bindings[{i}].family '{input.Family}' is not a family of {user.Username} in the fixture");
                }
                fid = family.Fid;
                if (input.Room is not null && !family.Rooms.TryGetValue(input.Room, out frid))
                {
                    throw new BinderyException(Errors.InvalidParameterValue, $"bindings[{i}].room '{input.Room}' is not a room of family '{input.Family}'");
                }
            }
            var methods = productInputs.FirstOrDefault(p => p.Pk == pk)?.Methods ?? ["WIFI"];
            var method = methods.Select(BindingMethodNames.Parse).FirstOrDefault(m => m == BindingMethods.Wifi)
                ?? methods.Select(BindingMethodNames.Parse).FirstOrDefault(m => m is not null) ?? BindingMethods.Wifi;
            await core.BindDeviceAsync(new BindRequest
            {
                User = user,
                Pk = pk,
                Device = new DeviceTarget.ByDk(Required(input.Dk, $"bindings[{i}].dk")),
                Method = method,
                Proof = FixtureProof.Instance,
                DeviceName = input.DeviceName,
                Fid = fid,
                Frid = frid,
            });
            bindings++;
        }
        return new FixtureLoaded(domains, loadedApps, products, users.Select(u => u.User).ToList(), families, bindings, 0);
    }

    private async Task<LoadedDevice> CreateDeviceAsync(string pk, FixtureDevice device)
    {
        var created = await registry.CreateDeviceAsync(pk, new DeviceInput(device.Dk, device.Sn, device.Secret, device.ModuleType));
        return new LoadedDevice(created.Pk, created.Dk, created.Sn, created.DeviceSecret);
    }

    private static string Required(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw new BinderyException(Errors.InvalidParameterValue, $"{field} is required") : value.Trim();

    private static string SingleDomain(List<LoadedUserDomain> domains, string field) =>
        domains.Count == 1 ? domains[0].Id : throw new BinderyException(Errors.InvalidParameterValue, $"{field} is required when the fixture has more than one user domain");

    private static AppUser FindUser(List<(LoadedUser User, AppUser App)> users, string? username, string? domain, string field)
    {
        var name = Required(username, field);
        var matches = users.Where(u => string.Equals(u.User.Username, name, StringComparison.OrdinalIgnoreCase)
            && (domain is null || u.User.UserDomain == domain)).ToList();
        return matches.Count == 1
            ? matches[0].App
            : throw new BinderyException(Errors.InvalidParameterValue, matches.Count == 0
                ? $"{field} '{name}' is not a user of the fixture"
                : $"{field} '{name}' is a user of several user domains: name the userDomain");
    }

    /// <summary>A binding the fixture declares is proven by definition: it is the state the app team starts from.</summary>
    private sealed class FixtureProof : IPossessionProof
    {
        public static readonly FixtureProof Instance = new();

        public Task<ProofResult> VerifyAsync(ProofContext context) => Task.FromResult(ProofResult.Proven);
    }
}
