using System.CommandLine;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary><c>reset --pk --dk</c>: a factory reset; what happens to the bindings follows the product's binding mode.</summary>
public static class ResetCommand
{
    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var command = new Command("reset", "Factory-reset the device: clears its code and bindingSecret; bindings go in multi-user and owner mode, stay in rotation mode");
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            using var http = context.CreateHttpClient(parse);
            var result = await new DeviceApiClient(http, identity).ResetAsync();
            var mode = result.GetProperty("bindingMode").GetInt32();
            await output.WriteLineAsync(
                $"Factory reset of {identity.Pk} / {identity.Dk} (binding mode {mode}, {DemoCommand.ModeName(mode)}): {result.GetProperty("bindingsRemoved").GetInt32()} binding(s) removed.");
        });
        return command;
    }
}
