using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Bindery.Tests.Stores;
using Bindery.Tests.Support;

namespace Bindery.Tests.MultiNode;

/// <summary>
/// Two real Bindery server processes on one PostgreSQL database, as behind a load balancer: each has its own
/// data directory and shares nothing with the other but the database. Started on first use (so a test can
/// skip first when the machine has no PostgreSQL) and shared by every test class of the
/// <see cref="Collection"/> collection; each test works in user domains and products of its own.
/// </summary>
public sealed class TwoNodes : IAsyncLifetime, IDisposable
{
    public const string Collection = "Two nodes on one PostgreSQL";
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private TestStorage? _storage;

    public ServerProcess NodeA { get; private set; } = null!;

    public ServerProcess NodeB { get; private set; } = null!;

    /// <summary>Node A for even <paramref name="i"/>, node B for odd: spreads a workload as a load balancer would.</summary>
    public ServerProcess Node(int i) => i % 2 == 0 ? NodeA : NodeB;

    /// <summary>Starts both nodes at the same moment on an empty database (they race to migrate it).</summary>
    public async Task StartAsync()
    {
        await _startLock.WaitAsync();
        try
        {
            if (_storage is not null)
            {
                return;
            }
            var storage = TestStorage.CreatePostgres();
            var a = ServerProcess.StartAsync(Settings(storage, storage.DataDir));
            var b = ServerProcess.StartAsync(Settings(storage, storage.NewDataDir()));
            try
            {
                await Task.WhenAll(a, b);
            }
            catch
            {
                foreach (var started in new[] { a, b }.Where(t => t.IsCompletedSuccessfully))
                {
                    await started.Result.DisposeAsync();
                }
                storage.Dispose();
                throw;
            }
            (NodeA, NodeB, _storage) = (a.Result, b.Result, storage);
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>Writes straight into the shared database (test set-up that does not go through a node).</summary>
    public async Task<IDatabase> OpenDatabaseAsync() => await OpenStore.MigratedAsync(_storage!);

    /// <summary>A user domain written straight into the database, for tests of features that need one.</summary>
    public async Task<string> SeedUserDomainAsync(bool homeMode = true)
    {
        var id = "ud" + Secrets.NewId(14);
        await using var db = await OpenDatabaseAsync();
        await db.WriteAsync(tx => tx.ExecuteAsync(
            "INSERT INTO user_domains (id, secret, home_mode, created_at) VALUES (@Id, @Secret, @HomeMode, 0)",
            new { Id = id, Secret = Secrets.RandomAlphanumeric(32), HomeMode = homeMode }));
        return id;
    }

    public static Dictionary<string, string?> Settings(TestStorage storage, string dataDir)
    {
        var settings = storage.Settings(dataDir);
        settings["Bindery:AdminKey"] = BinderyApp.AdminKeyValue;
        settings["Bindery:SeedDemo"] = "false";
        settings["Bindery:DataCenter"] = "dc-test";
        settings["Bindery:Accounts:PasswordHashIterations"] = "1000";
        settings["Bindery:Accounts:RegistrationsPerUserDomain"] = "10000000";
        // Race and lifecycle tests bind by SN thousands of times in one domain; the SN limits have tests of their own.
        settings["Binding:SnAttemptsPerUser"] = "10000000";
        settings["Binding:SnFailuresPerProduct"] = "10000000";
        settings["Binding:SnFailuresPerUserDomain"] = "10000000";
        // Every lost SN race is a counted failure of its user; the race tests repeat rounds with the same 50 users
        // on real server processes, whose clock cannot be moved on past the window.
        settings["Binding:FailuresPerUser"] = "10000000";
        return settings;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public void Dispose() => _startLock.Dispose();

    public async Task DisposeAsync()
    {
        if (_storage is null)
        {
            return;
        }
        await NodeA.DisposeAsync();
        await NodeB.DisposeAsync();
        _storage.Dispose();
    }
}

[CollectionDefinition(TwoNodes.Collection)]
public sealed class TwoNodesCollection : ICollectionFixture<TwoNodes>;
