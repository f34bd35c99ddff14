using System.CommandLine;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary><c>report-secret --pk --dk [--binding-secret]</c>: the device reports its bindingSecret.</summary>
public static class ReportSecretCommand
{
    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var secret = new Option<string>("--binding-secret") { Description = "The bindingSecret (8-64 of [A-Za-z0-9]); a fresh one when left out" };
        var printSecret = new Option<bool>("--print-secret") { Description = "Print only the bindingSecret" };
        var command = new Command("report-secret", "Report the device's bindingSecret (a later pure-BT binding can prove possession with it as --old-secret)")
        {
            secret, printSecret,
        };
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            var bindingSecret = parse.GetValue(secret) ?? DeviceApiClient.NewBindingSecret();
            using var http = context.CreateHttpClient(parse);
            await new DeviceApiClient(http, identity).ReportBindingSecretAsync(bindingSecret);
            await output.WriteLineAsync(parse.GetValue(printSecret)
                ? bindingSecret
                : $"The device {identity.Pk} / {identity.Dk} reported bindingSecret {bindingSecret}.");
        });
        return command;
    }
}
