using System.CommandLine;
using Bindery.Cli.Commands;

namespace Bindery.Cli;

/// <summary>
/// <c>bindery-sim</c>: plays a device (and, for convenience, an app logging in) against a running Bindery server.
/// Each command lives in its own file under Commands/ and is listed once in <see cref="Commands"/>.
/// </summary>
public static class SimulatorCli
{
    /// <summary>Every command, in the order <c>--help</c> lists them. A new command adds one line here.</summary>
    private static readonly Func<CliContext, Command>[] Commands =
    [
        DemoCommand.Create,
        LoginCommand.Create,
        ReportCodeCommand.Create,
        ReportSecretCommand.Create,
        BtPayloadCommand.Create,
        ReportTokenCommand.Create,
        SigBindCommand.Create,
        QrCodeCommand.Create,
        MqttDeviceCommand.Create,
        StateCommand.Create,
        ResetCommand.Create,
        PairingWindowCommand.Create,
        GatewayCommand.Create,
        StandInCommand.Create,
        StandInCommands.CreateFault,
        StandInCommands.CreateJournal,
    ];

    /// <summary>
    /// Runs the CLI. <paramref name="httpFactory"/> makes the client for a server address (tests hand in an
    /// in-memory server's client); by default a plain <see cref="HttpClient"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<Uri, HttpClient>? httpFactory = null)
    {
        var context = new CliContext(httpFactory ?? (uri => new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(30) }));
        var root = new RootCommand("Bindery device simulator: plays a device of the demo tenant (or any device whose secret you know) against a running Bindery server.");
        foreach (var option in context.GlobalOptions)
        {
            root.Add(option);
        }
        foreach (var create in Commands)
        {
            root.Add(create(context));
        }
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return await root.Parse(args).InvokeAsync(configuration);
    }
}
