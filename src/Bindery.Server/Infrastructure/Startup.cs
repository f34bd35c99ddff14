using Bindery.Registry;
using Bindery.Storage;

namespace Bindery.Infrastructure;

/// <summary>
/// Prepares the store before the server takes requests: migrations, the admin key, the demo tenant.
/// Runs in <see cref="IHostedLifecycleService.StartingAsync"/>, i.e. before Kestrel starts listening.
/// </summary>
public sealed class Startup(IDatabase db, AdminKey adminKey, IServiceProvider services) : IHostedLifecycleService
{
    private volatile bool _ready;

    public bool IsReady => _ready;

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await db.MigrateAsync(cancellationToken);
        await adminKey.InitializeAsync();
        foreach (var step in services.GetServices<IStartupStep>())
        {
            await step.RunAsync(cancellationToken);
        }
        _ready = true;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _ready = false;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A feature's own start-up work (e.g. the demo seeder), run after migrations.</summary>
public interface IStartupStep
{
    Task RunAsync(CancellationToken cancellationToken);
}
