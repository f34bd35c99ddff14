using System.CommandLine;
using System.Globalization;

namespace Bindery.Cli.Commands;

/// <summary><c>login --demo [--user demo2] [--print-token]</c>: logs an app user in, for the curl commands of the quickstart.</summary>
public static class LoginCommand
{
    public static Command Create(CliContext context)
    {
        var user = CliContext.UserOption("to log in");
        var userDomain = new Option<string>("--user-domain") { Description = "User domain (without --demo)" };
        var username = new Option<string>("--username") { Description = "Username (without --demo)" };
        var password = new Option<string>("--password") { Description = "Password (without --demo)" };
        var printToken = new Option<bool>("--print-token") { Description = "Print only the access token (TOKEN=$(bindery-sim login --demo --print-token))" };
        var command = new Command("login", "Log an app user in and print the access token the binding calls take in the Authorization header")
        {
            user, userDomain, username, password, printToken,
        };
        CliContext.SetAction(command, async (parse, output) =>
        {
            var tenant = await context.TenantAsync(parse);
            string domain, name, secret;
            if (tenant is null)
            {
                domain = parse.GetValue(userDomain) ?? throw new SimulatorException("give --user-domain, --username and --password, or --demo");
                name = parse.GetValue(username) ?? throw new SimulatorException("--username is required without --demo");
                secret = parse.GetValue(password) ?? throw new SimulatorException("--password is required without --demo");
            }
            else
            {
                var demoUser = CliContext.RequireUser(tenant, parse.GetValue(username) ?? parse.GetRequiredValue(user));
                domain = parse.GetValue(userDomain) ?? tenant.UserDomain.Id;
                name = demoUser.Username;
                secret = parse.GetValue(password) ?? demoUser.Password;
            }
            using var http = context.CreateHttpClient(parse);
            var session = await new AppApiClient(http).LoginAsync(domain, name, secret);
            if (parse.GetValue(printToken))
            {
                await output.WriteLineAsync(session.Token);
                return;
            }
            var expires = DateTimeOffset.FromUnixTimeMilliseconds(session.ExpirationTime).ToString("u", CultureInfo.InvariantCulture);
            await output.WriteLineAsync($"Logged in {name} (uid {session.Uid}) in user domain {domain}; the token is valid until {expires}.");
            await output.WriteLineAsync($"export TOKEN={Shell.Quote(session.Token)}");
        });
        return command;
    }
}
