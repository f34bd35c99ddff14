using System.CommandLine;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>qr-code --pk --dk</c>: what a device maker prints on a label for Tencent-style secure add: the QR code's text
/// with a DeviceSignature signed by the device's secret (docs/binding.md, "QR secure add"), computed locally as the
/// maker's own tools would (the admin API's <c>POST /admin/v1/products/{pk}/devices/{dk}/qr-signature</c> issues the same).
/// </summary>
public static class QrCodeCommand
{
    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var expiresIn = new Option<long>("--expires-in")
        {
            Description = "Seconds the signature stays valid (default ten years: a printed label)",
            DefaultValueFactory = _ => 10L * 366 * 24 * 3600,
        };
        var printPayload = new Option<bool>("--print-payload") { Description = "Print only the QR code's text" };
        var command = new Command("qr-code", "Compute the QR code (DeviceSignature) a device maker prints for Tencent-style secure add (AppSecureAddDeviceInFamily)")
        {
            expiresIn, printPayload,
        };
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            var lifetime = parse.GetValue(expiresIn);
            if (lifetime < 60)
            {
                throw new SimulatorException("--expires-in is at least 60 seconds");
            }
            var expiresAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + lifetime;
            var signature = QrDeviceSignature.Issue(identity.DeviceSecret, identity.Pk, identity.Dk, expiresAt);
            var payload = QrDeviceSignature.QrPayload(identity.Pk, identity.Dk, signature);
            if (parse.GetValue(printPayload))
            {
                await output.WriteLineAsync(payload);
                return;
            }
            await output.WriteLineAsync($"QR code text for {identity.Pk} / {identity.Dk} (valid until {DateTimeOffset.FromUnixTimeSeconds(expiresAt):u}):");
            await output.WriteLineAsync(payload);
            await output.WriteLineAsync("The app scans it and sends DeviceSignature in AppSecureAddDeviceInFamily {FamilyId, RoomId, DeviceSignature};");
            await output.WriteLineAsync("the binding is unverified, like one by serial number (docs/binding.md).");
            var body = new Dictionary<string, string>
            {
                ["Action"] = "AppSecureAddDeviceInFamily",
                ["AccessToken"] = "$TOKEN",
                ["FamilyId"] = "<your FamilyId>",
                ["RoomId"] = "0",
                ["DeviceSignature"] = signature,
            };
            await output.WriteLineAsync(Shell.CurlPostJsonWithTokenInBody(context.ServerText(parse), ReportTokenCommand.TokenApiPath, Shell.Json(body)));
        });
        return command;
    }
}
