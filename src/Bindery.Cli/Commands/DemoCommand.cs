using System.CommandLine;
using System.Globalization;
using System.Text;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary><c>demo [--shell]</c>: what the demo tenant holds, for reading or for <c>eval</c> in a shell.</summary>
public static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var shell = new Option<bool>("--shell")
        {
            Description = "Print NAME='value' lines for eval \"$(bindery-sim demo --shell)\": USER_DOMAIN, DEMO_PASSWORD, DEMO_FID, DEMO_FRID, PLUG_PK, PLUG_DK, PLUG_SN, ...",
        };
        var command = new Command("demo", "Show the demo tenant seeded on the server's first start (reads demo-tenant.json)") { shell };
        CliContext.SetAction(command, async (parse, output) =>
        {
            var tenant = await context.LoadTenantAsync(parse);
            await output.WriteAsync(parse.GetValue(shell) ? ShellVariables(tenant) : Describe(tenant));
        });
        return command;
    }

    /// <summary>
    /// Users as <c>DEMO_*</c>, <c>DEMO2_*</c> (from the username); each product's first device as <c>PLUG_*</c>,
    /// <c>LOCK_*</c>, <c>TRACKER_*</c> (from the pk without its <c>demo-</c> prefix).
    /// </summary>
    public static string ShellVariables(DemoTenant tenant)
    {
        var text = new StringBuilder();
        void Line(string name, string? value) =>
            text.Append(CultureInfo.InvariantCulture, $"{name}={Shell.Quote(value ?? "")}\n");
        Line("USER_DOMAIN", tenant.UserDomain.Id);
        foreach (var user in tenant.Users)
        {
            var prefix = VariablePrefix(user.Username);
            Line(prefix + "_USER", user.Username);
            Line(prefix + "_PASSWORD", user.Password);
            Line(prefix + "_FID", user.Fid);
            Line(prefix + "_FRID", user.Frid);
        }
        foreach (var product in tenant.Products)
        {
            var prefix = VariablePrefix(product.Pk.StartsWith("demo-", StringComparison.Ordinal) ? product.Pk[5..] : product.Pk);
            Line(prefix + "_PK", product.Pk);
            Line(prefix + "_DK", product.Devices[0].Dk);
            Line(prefix + "_SN", product.Devices[0].Sn);
        }
        return text.ToString();
    }

    private static string VariablePrefix(string name) =>
        new(name.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    public static string Describe(DemoTenant tenant)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"User domain {tenant.UserDomain.Id} (home mode {(tenant.UserDomain.HomeMode ? "on: bindings name a family (fid) and may name a room (frid)" : "off")})\n");
        foreach (var user in tenant.Users)
        {
            var room = user.Frid is null ? "" : $", room {user.Frid} \"{user.RoomName}\"";
            text.Append(CultureInfo.InvariantCulture, $"  user {user.Username} / {user.Password}: family {user.Fid} \"{user.FamilyName}\"{room}\n");
        }
        foreach (var product in tenant.Products)
        {
            text.Append(CultureInfo.InvariantCulture, $"Product {product.Pk} \"{product.Name}\", binding mode {product.BindingMode} ({ModeName(product.BindingMode)}), methods {string.Join(',', product.Methods)}\n");
            foreach (var device in product.Devices)
            {
                text.Append(CultureInfo.InvariantCulture, $"  dk {device.Dk}  sn {device.Sn}\n");
            }
        }
        return text.ToString();
    }

    public static string ModeName(int mode) => mode switch
    {
        1 => "multi-user",
        2 => "owner",
        3 => "rotation",
        _ => "unknown",
    };
}
