using System.CommandLine;
using System.Globalization;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>sig-bind --pk --dk</c>: plays a Tencent-protocol device during provisioning. It signs
/// <c>DeviceName=…&amp;DeviceTimestamp=…&amp;ProductId=…&amp;ConnId=…</c> with its secret (docs/binding.md, "Signature
/// binding") and prints the AppSigBindDeviceInFamily request the app relays it in, with the curl.
/// </summary>
public static class SigBindCommand
{
    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var signMethod = new Option<string>("--sign-method")
        {
            Description = "hmacsha1 (Tencent's default) or hmacsha256",
            DefaultValueFactory = _ => TencentBindSignature.HmacSha1,
        };
        var connId = new Option<string>("--conn-id") { Description = "The random ConnId the device signs (5 fresh letters when left out)" };
        var timestamp = new Option<long?>("--timestamp") { Description = "DeviceTimestamp, Unix seconds (now when left out)" };
        var bindType = new Option<string>("--bind-type")
        {
            Description = "BindType: wifi_sign, bluetooth_sign or other_sign",
            DefaultValueFactory = _ => "wifi_sign",
        };
        var user = CliContext.UserOption("whose family goes into the request");
        var fid = new Option<string>("--fid") { Description = "FamilyId (default: the demo user's)" };
        var room = new Option<string>("--room-id") { Description = "RoomId (default \"0\", the family's default room)" };
        var accessToken = new Option<string>("--access-token") { Description = "The app's AccessToken to put in the body (default: $TOKEN, left for the shell)" };
        var printBody = new Option<bool>("--print-body") { Description = "Print only the JSON body (BODY=$(bindery-sim sig-bind ... --print-body))" };
        var command = new Command("sig-bind", "Compute the signature a Tencent-protocol device hands the app and print the AppSigBindDeviceInFamily request")
        {
            signMethod, connId, timestamp, bindType, user, fid, room, accessToken, printBody,
        };
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            var method = parse.GetRequiredValue(signMethod);
            var conn = parse.GetValue(connId) ?? Secrets.RandomAlphanumeric(5);
            var ts = parse.GetValue(timestamp) ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var signature = TencentBindSignature.Sign(identity.DeviceSecret, identity.Pk, identity.Dk, ts, conn, method)
                ?? throw new SimulatorException("the device secret is not base64, or --sign-method is neither hmacsha1 nor hmacsha256");
            var familyId = parse.GetValue(fid);
            if (familyId is null && await context.TenantAsync(parse) is { } tenant)
            {
                familyId = CliContext.RequireUser(tenant, parse.GetRequiredValue(user)).Fid;
            }
            var body = new Dictionary<string, object>
            {
                ["Action"] = "AppSigBindDeviceInFamily",
                ["AccessToken"] = parse.GetValue(accessToken) ?? "$TOKEN",
                ["FamilyId"] = familyId ?? "<your FamilyId>",
                ["RoomId"] = parse.GetValue(room) ?? "0",
                ["ProductId"] = identity.Pk,
                ["DeviceName"] = identity.Dk,
                ["DeviceTimestamp"] = ts,
                ["ConnId"] = conn,
                ["Signature"] = signature,
                ["SignMethod"] = method,
                ["BindType"] = parse.GetRequiredValue(bindType),
            };
            if (parse.GetValue(printBody))
            {
                await output.WriteLineAsync(Shell.Json(body));
                return;
            }
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"The device {identity.Pk} / {identity.Dk} signed {TencentBindSignature.Plaintext(identity.Pk, identity.Dk, ts, conn)} ({method}); it is valid for 10 minutes and binds once."));
            await output.WriteLineAsync("Bind it as the app (TOKEN=$(bindery-sim login --demo --print-token)):");
            await output.WriteLineAsync(Shell.CurlPostJsonWithTokenInBody(context.ServerText(parse), ReportTokenCommand.TokenApiPath, Shell.Json(body)));
        });
        return command;
    }
}
