using System.CommandLine;
using System.Text.Json;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary><c>state --pk --dk</c>: the device's binding state as the server sees it.</summary>
public static class StateCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var command = new Command("state", "Show the device's binding state: mode, bound users, binding code (none/active/expired/used), bindingSecret on record");
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            using var http = context.CreateHttpClient(parse);
            var state = await new DeviceApiClient(http, identity).StateAsync();
            await output.WriteLineAsync(JsonSerializer.Serialize(state, Indented));
        });
        return command;
    }
}
