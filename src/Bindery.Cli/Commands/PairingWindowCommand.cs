using System.CommandLine;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>pairing-window --pk --dk [--seconds]</c>: the device's pairing button was pressed. For products with
/// <c>snPairingRequired</c>, one bind-by-SN is accepted while the window is open (docs/binding.md).
/// </summary>
public static class PairingWindowCommand
{
    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var seconds = new Option<int>("--seconds") { Description = "How long the window stays open (1-600; 0 closes it)", DefaultValueFactory = _ => 120 };
        var command = new Command("pairing-window", "Press the device's pairing button: open a window in which one bind-by-SN is accepted");
        device.AddTo(command);
        command.Options.Add(seconds);
        CliContext.SetAction(command, async (parse, output) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            using var http = context.CreateHttpClient(parse);
            var result = await new DeviceApiClient(http, identity).OpenPairingWindowAsync(parse.GetValue(seconds));
            await output.WriteLineAsync(result.GetProperty("open").GetBoolean()
                ? $"Pairing window of {identity.Pk} / {identity.Dk} open until {DateTimeOffset.FromUnixTimeMilliseconds(result.GetProperty("expiresAt").GetInt64()):u}: one bind-by-SN is accepted."
                : $"Pairing window of {identity.Pk} / {identity.Dk} closed.");
        });
        return command;
    }
}
