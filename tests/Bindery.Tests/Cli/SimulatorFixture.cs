using Bindery.Cli;
using Bindery.Mqtt;
using Bindery.Protocol;
using Bindery.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Cli;

/// <summary>An in-memory server with the demo tenant seeded, and the simulator run in-process against it.</summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    public BinderyApp App { get; } = new(new Dictionary<string, string?>
    {
        ["Bindery:SeedDemo"] = "true",
        // The broker too, on a free loopback port, for mqtt-device (real TCP: the simulator is an MQTT client).
        ["Mqtt:Enabled"] = "true",
        ["Mqtt:BindAddress"] = "127.0.0.1",
        ["Mqtt:Port"] = "0",
    });

    /// <summary>The broker's port (the one the system picked).</summary>
    public int MqttPort { get; private set; }

    public DemoTenant Tenant { get; private set; } = null!;

    public sealed record Run(int Exit, string Output, string Error);

    /// <summary>Runs <c>bindery-sim ARGS --data-dir &lt;the server's data dir&gt;</c> against the in-memory server.</summary>
    public async Task<Run> SimAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await SimulatorCli.RunAsync([.. args, "--data-dir", App.DataDir], output, error, _ => App.CreateClient());
        return new Run(exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs <c>bindery-sim ARGS</c> without the demo tenant (the device given by --pk, --dk, --device-secret).</summary>
    public async Task<Run> SimWithoutDemoAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await SimulatorCli.RunAsync(args, output, error, _ => App.CreateClient());
        return new Run(exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs the simulator and asserts it succeeded; returns its standard output.</summary>
    public async Task<string> SimOkAsync(params string[] args)
    {
        var run = await SimAsync(args);
        Assert.True(run.Exit == 0, $"bindery-sim {string.Join(' ', args)} exited {run.Exit}: {run.Error}");
        return run.Output;
    }

    /// <summary>An app client logged in as the demo user <paramref name="username"/>, through the simulator's login command.</summary>
    public async Task<HttpClient> LoginAsync(string username)
    {
        var token = (await SimOkAsync("login", "--user", username, "--print-token")).Trim();
        var client = App.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        return client;
    }

    public (DemoProduct Product, DemoDevice Device) Device(int mode, int number)
    {
        var product = Tenant.Products.Single(p => p.BindingMode == mode);
        return (product, product.Devices[number - 1]);
    }

    public async Task InitializeAsync()
    {
        MqttPort = App.Services.GetRequiredService<MqttBroker>().Port;
        Tenant = await DemoTenant.LoadAsync(DemoTenant.PathIn(App.DataDir));
    }

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }
}
