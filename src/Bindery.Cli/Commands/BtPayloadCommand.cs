using System.CommandLine;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>bt-payload --pk --dk [--code]</c>: what a pure-BT device hands the app over Bluetooth, turned into the body
/// the app posts to deviceBindingByPureBt (docs/protocol.md), with the curl. Without <c>--code</c> the device
/// first reports a fresh code (through the app or a gateway, since it has no network of its own).
/// </summary>
public static class BtPayloadCommand
{
    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var code = new Option<string>("--code") { Description = "A binding code already reported (or any well-formed code with --old-secret); when left out a fresh one is reported" };
        var ttl = new Option<int>("--ttl")
        {
            Description = "Lifetime in seconds of a code reported here, 1-3600",
            DefaultValueFactory = _ => DeviceApiClient.DefaultLifetimeSeconds,
        };
        var ps = new Option<string>("--ps") { Description = "Product secret, the AES-128 key (from the demo tenant with --demo)" };
        var userDomainSecret = new Option<string>("--user-domain-secret") { Description = "The user domain's secret, part of the signature (from the demo tenant with --demo)" };
        var newSecret = new Option<string>("--new-secret") { Description = "The bindingSecret the device switches to (a fresh one when left out)" };
        var oldSecret = new Option<string>("--old-secret") { Description = "The device's current bindingSecret: proves possession without a reported code" };
        var pwd = new Option<string>("--pwd") { Description = "The optional pwd field (part of the signature)" };
        var random = new Option<string>("--random") { Description = "The IV: 16 of [A-Za-z0-9], accepted once per device (fresh when left out)" };
        var plainCode = new Option<bool>("--plain-code") { Description = "Send bindingCode in clear instead of encryptedBindingCode" };
        var user = CliContext.UserOption("whose family and room go into the body");
        var fid = new Option<string>("--fid") { Description = "Family id (default: the demo user's)" };
        var frid = new Option<string>("--frid") { Description = "Room id (default: the demo user's)" };
        var deviceName = new Option<string>("--device-name") { Description = "Device name shown in the app" };
        var printBody = new Option<bool>("--print-body") { Description = "Print only the JSON body (BODY=$(bindery-sim bt-payload ... --print-body))" };
        var command = new Command("bt-payload", "Compute the pure-Bluetooth binding request an app sends (encrypted code, signature, new/old bindingSecret) and print it with its curl")
        {
            code, ttl, ps, userDomainSecret, newSecret, oldSecret, pwd, random, plainCode, user, fid, frid, deviceName, printBody,
        };
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output) =>
        {
            var (identity, product) = await device.ResolveAsync(context, parse);
            var tenant = await context.TenantAsync(parse);
            var productSecret = parse.GetValue(ps) ?? product?.Ps
                ?? throw new SimulatorException("--ps (the product secret) is required without --demo");
            var domainSecret = parse.GetValue(userDomainSecret) ?? tenant?.UserDomain.Secret
                ?? throw new SimulatorException("--user-domain-secret is required without --demo");
            var bindingCode = parse.GetValue(code);
            var reported = false;
            if (bindingCode is null)
            {
                var lifetime = parse.GetValue(ttl);
                if (lifetime is < 1 or > 3600)
                {
                    throw new SimulatorException("--ttl must be 1-3600 seconds");
                }
                bindingCode = DeviceApiClient.NewBindingCode();
                using var http = context.CreateHttpClient(parse);
                await new DeviceApiClient(http, identity).ReportBindingCodeAsync(bindingCode, lifetime);
                reported = true;
            }
            var (familyId, roomId) = await ReportCodeCommand.FamilyAsync(context, parse, user, fid, frid);
            var (payload, installedSecret) = PureBtPayload.Create(new PureBtPayload.Input(identity.Pk, identity.Dk, productSecret, domainSecret, bindingCode)
            {
                NewBindingSecret = parse.GetValue(newSecret),
                OldBindingSecret = parse.GetValue(oldSecret),
                Pwd = parse.GetValue(pwd),
                Random = parse.GetValue(random),
                PlainCode = parse.GetValue(plainCode),
                Fid = familyId,
                Frid = roomId,
                DeviceName = parse.GetValue(deviceName),
            });
            if (parse.GetValue(printBody))
            {
                await output.WriteLineAsync(payload.ToJson());
                return;
            }
            await output.WriteLineAsync(reported
                ? $"The device {identity.Pk} / {identity.Dk} reported binding code {bindingCode}; over Bluetooth it hands the app:"
                : $"The device {identity.Pk} / {identity.Dk} uses binding code {bindingCode}; over Bluetooth it hands the app:");
            await output.WriteLineAsync($"  random {payload.Random} (the AES IV), new bindingSecret {installedSecret} (pass it as --old-secret next time)");
            await output.WriteLineAsync("Request body:");
            await output.WriteLineAsync(payload.ToJson(indented: true));
            await output.WriteLineAsync("The app posts it (TOKEN=$(bindery-sim login --demo --print-token)):");
            await output.WriteLineAsync(Shell.CurlPostJson(context.ServerText(parse), PureBtPayload.BindPath, payload.ToJson()));
        });
        return command;
    }
}
