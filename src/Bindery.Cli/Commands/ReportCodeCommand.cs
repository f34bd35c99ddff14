using System.CommandLine;
using System.Globalization;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>report-code --pk --dk [--code] [--ttl 600]</c>: the device reports a binding code (as it does when put into
/// pairing mode) and prints what the app needs for the Wi-Fi binding, with the exact curl.
/// </summary>
public static class ReportCodeCommand
{
    public const string WifiBindPath = "/v2/binding/enduserapi/v2/deviceBindingByWifi";

    public static Command Create(CliContext context)
    {
        var device = new DeviceOptions();
        var code = new Option<string>("--code") { Description = "The binding code (6-64 of [A-Za-z0-9]); a fresh one when left out" };
        var ttl = new Option<int>("--ttl")
        {
            Description = "Lifetime in seconds, 0-3600 (0 cancels the current code)",
            DefaultValueFactory = _ => DeviceApiClient.DefaultLifetimeSeconds,
        };
        var secret = new Option<string>("--binding-secret")
        {
            Description = "The bindingSecret to report when the device has none on record (a fresh one when left out)",
        };
        var noSecret = new Option<bool>("--no-secret") { Description = "Never report a bindingSecret" };
        var user = CliContext.UserOption("whose family and room go into the printed curl");
        var fid = new Option<string>("--fid") { Description = "Family id for the printed curl (default: the demo user's)" };
        var frid = new Option<string>("--frid") { Description = "Room id for the printed curl (default: the demo user's)" };
        var printCode = new Option<bool>("--print-code") { Description = "Print only the binding code (CODE=$(bindery-sim report-code ... --print-code))" };
        var command = new Command("report-code", "Report a binding code for the device and print what an app needs to bind it over Wi-Fi")
        {
            code, ttl, secret, noSecret, user, fid, frid, printCode,
        };
        device.AddTo(command);
        CliContext.SetAction(command, async (parse, output) =>
        {
            var (identity, _) = await device.ResolveAsync(context, parse);
            var lifetime = parse.GetValue(ttl);
            var bindingCode = parse.GetValue(code) ?? (lifetime == 0 ? "" : DeviceApiClient.NewBindingCode());
            using var http = context.CreateHttpClient(parse);
            var api = new DeviceApiClient(http, identity);

            // A product that binds over both Wi-Fi and BT wants the device's bindingSecret on record before a
            // Wi-Fi binding (5465); a real device reports it when it enters pairing mode, and so does the simulator.
            string? reportedSecret = null;
            if (lifetime > 0 && !parse.GetValue(noSecret))
            {
                var state = await api.StateAsync();
                if (!state.GetProperty("hasBindingSecret").GetBoolean())
                {
                    reportedSecret = parse.GetValue(secret) ?? DeviceApiClient.NewBindingSecret();
                    await api.ReportBindingSecretAsync(reportedSecret);
                }
            }
            var reported = await api.ReportBindingCodeAsync(bindingCode, lifetime);
            if (parse.GetValue(printCode))
            {
                await output.WriteLineAsync(bindingCode);
                return;
            }
            if (lifetime == 0)
            {
                await output.WriteLineAsync($"Cancelled the binding code of {identity.Pk} / {identity.Dk}.");
                return;
            }
            var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(reported.GetProperty("expiresAt").GetInt64()).ToString("u", CultureInfo.InvariantCulture);
            await output.WriteLineAsync($"The device reported a binding code, valid {lifetime} s (until {expiresAt}). An app needs:");
            await output.WriteLineAsync($"  pk           {identity.Pk}");
            await output.WriteLineAsync($"  dk           {identity.Dk}");
            await output.WriteLineAsync($"  bindingCode  {bindingCode}");
            if (reportedSecret is not null)
            {
                await output.WriteLineAsync($"  (the device also reported its bindingSecret {reportedSecret}: it had none on record)");
            }
            var (familyId, roomId) = await FamilyAsync(context, parse, user, fid, frid);
            var body = new Dictionary<string, string>
            {
                ["productKey"] = identity.Pk,
                ["deviceKey"] = identity.Dk,
                ["bindingCode"] = bindingCode,
            };
            if (familyId is not null)
            {
                body["fid"] = familyId;
            }
            if (roomId is not null)
            {
                body["frid"] = roomId;
            }
            await output.WriteLineAsync("Bind it over Wi-Fi as the app (TOKEN=$(bindery-sim login --demo --print-token)):");
            await output.WriteLineAsync(Shell.CurlPostJson(context.ServerText(parse), WifiBindPath, Shell.Json(body)));
        });
        return command;
    }

    /// <summary>The fid/frid an app would bind into: the options, else the demo user's family and room in a home-mode domain.</summary>
    internal static async Task<(string? Fid, string? Frid)> FamilyAsync(
        CliContext context, ParseResult parse, Option<string> user, Option<string> fid, Option<string> frid)
    {
        var familyId = parse.GetValue(fid);
        var roomId = parse.GetValue(frid);
        if (familyId is null && await context.TenantAsync(parse) is { UserDomain.HomeMode: true } tenant)
        {
            var demoUser = CliContext.RequireUser(tenant, parse.GetRequiredValue(user));
            familyId = demoUser.Fid;
            roomId ??= demoUser.Frid;
        }
        return (familyId, roomId);
    }
}
