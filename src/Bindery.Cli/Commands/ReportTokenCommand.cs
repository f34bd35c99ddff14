using System.CommandLine;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>report-token --pk --dk --token T</c>: the device reports the Tencent-style distribution-network token it was
/// handed during Wi-Fi provisioning, and prints the AppTokenBindDeviceFamily request that completes the binding.
/// </summary>
public static class ReportTokenCommand
{
    public const string TokenApiPath = "/api/exploreropen/tokenapi";

    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var token = new Option<string>("--token", "-t")
        {
            Description = "The token from AppCreateDeviceBindToken",
            Required = true,
        };
        var user = CliContext.UserOption("whose family goes into the printed request");
        var fid = new Option<string>("--fid") { Description = "FamilyId for the printed request (default: the demo user's)" };
        var room = new Option<string>("--room-id") { Description = "RoomId for the printed request (default \"0\", the family's default room)" };
        var command = new Command("report-token", "Report a Tencent-style bind token for the device and print the AppTokenBindDeviceFamily request")
        {
            token, user, fid, room,
        };
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            var bindToken = parse.GetRequiredValue(token);
            using var http = context.CreateHttpClient(parse);
            await new DeviceApiClient(http, identity).ReportBindTokenAsync(bindToken);

            var familyId = parse.GetValue(fid);
            if (familyId is null && await context.TenantAsync(parse) is { } tenant)
            {
                familyId = CliContext.RequireUser(tenant, parse.GetRequiredValue(user)).Fid;
            }
            await output.WriteLineAsync($"The device {identity.Pk} / {identity.Dk} reported the token; AppGetDeviceBindTokenState now answers State 2.");
            var body = new Dictionary<string, string>
            {
                ["Action"] = "AppTokenBindDeviceFamily",
                ["AccessToken"] = "$TOKEN",
                ["Token"] = bindToken,
                ["ProductId"] = identity.Pk,
                ["DeviceName"] = identity.Dk,
                ["FamilyId"] = familyId ?? "<your FamilyId>",
                ["RoomId"] = parse.GetValue(room) ?? "0",
            };
            await output.WriteLineAsync("Bind it as the app (TOKEN=$(bindery-sim login --demo --print-token)):");
            await output.WriteLineAsync(Shell.CurlPostJsonWithTokenInBody(context.ServerText(parse), TokenApiPath, Shell.Json(body)));
        });
        return command;
    }
}
