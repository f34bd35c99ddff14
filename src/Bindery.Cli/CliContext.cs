using System.CommandLine;
using Bindery.Protocol;

namespace Bindery.Cli;

/// <summary>The options every command shares and what they resolve to (server, demo tenant file).</summary>
public sealed class CliContext(Func<Uri, HttpClient> httpFactory)
{
    public const string DefaultServer = "http://localhost:5080";
    public const string ServerVariable = "BINDERY_URL";
    public const string DataDirVariable = "BINDERY_DATA_DIR";

    public Option<string> Server { get; } = new("--server", "-s")
    {
        Description = $"Bindery server address (default: ${ServerVariable} or {DefaultServer})",
        Recursive = true,
    };

    public Option<bool> Demo { get; } = new("--demo")
    {
        Description = "Take device secrets, product secrets and demo users from the demo tenant file (<data dir>/demo-tenant.json)",
        Recursive = true,
    };

    public Option<string> DataDir { get; } = new("--data-dir")
    {
        Description = $"The server's data directory holding demo-tenant.json (default: ${DataDirVariable} or ./data); implies --demo",
        Recursive = true,
    };

    public IEnumerable<Option> GlobalOptions => [Server, Demo, DataDir];

    public Uri ServerUri(ParseResult parse)
    {
        var text = parse.GetValue(Server) ?? Environment.GetEnvironmentVariable(ServerVariable);
        text = string.IsNullOrWhiteSpace(text) ? DefaultServer : text.Trim();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new SimulatorException($"--server must be an http(s) URL, not '{text}'");
        }
        return uri;
    }

    /// <summary>The base address as users type it in curl (no trailing slash).</summary>
    public string ServerText(ParseResult parse) => ServerUri(parse).ToString().TrimEnd('/');

    public HttpClient CreateHttpClient(ParseResult parse) => httpFactory(ServerUri(parse));

    /// <summary>Whether the demo tenant file is to be read (<c>--demo</c> or <c>--data-dir</c>).</summary>
    public bool UsesDemo(ParseResult parse) => parse.GetValue(Demo) || parse.GetResult(DataDir) is not null;

    public string DemoFilePath(ParseResult parse)
    {
        var dir = parse.GetValue(DataDir) ?? Environment.GetEnvironmentVariable(DataDirVariable);
        return DemoTenant.PathIn(string.IsNullOrWhiteSpace(dir) ? "data" : dir);
    }

    /// <summary>The demo tenant when <c>--demo</c>/<c>--data-dir</c> was given, else null.</summary>
    public async Task<DemoTenant?> TenantAsync(ParseResult parse) => UsesDemo(parse) ? await LoadTenantAsync(parse) : null;

    /// <summary>Reads the demo tenant file (from <c>--data-dir</c>, <c>$BINDERY_DATA_DIR</c> or ./data).</summary>
    public async Task<DemoTenant> LoadTenantAsync(ParseResult parse)
    {
        var path = DemoFilePath(parse);
        if (!File.Exists(path))
        {
            throw new SimulatorException(
                $"{path} not found: start the server once on an empty data directory with Bindery:SeedDemo true (the default), or point --data-dir at its data directory");
        }
        try
        {
            return await DemoTenant.LoadAsync(path);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new SimulatorException($"{path} is not a demo tenant file: {e.Message}");
        }
    }

    /// <summary>Binds <paramref name="action"/> to <paramref name="command"/>: a <see cref="SimulatorException"/> or a refusal (<see cref="BinderyApiException"/>) becomes one line on stderr and exit code 1.</summary>
    public static void SetAction(Command command, Func<ParseResult, TextWriter, Task> action) =>
        command.SetAction(async (parse, _) =>
        {
            try
            {
                await action(parse, parse.InvocationConfiguration.Output);
                return 0;
            }
            catch (Exception e) when (e is SimulatorException or BinderyApiException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("bindery-sim: " + e.Message);
                return 1;
            }
        });

    /// <summary>
    /// Like <see cref="SetAction(Command, Func{ParseResult, TextWriter, Task})"/> for a command that runs until a
    /// timeout or Ctrl-C (<paramref name="action"/> gets the token Ctrl-C cancels) and chooses its own exit code.
    /// </summary>
    public static void SetAction(Command command, Func<ParseResult, TextWriter, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await action(parse, parse.InvocationConfiguration.Output, cancellationToken);
            }
            catch (Exception e) when (e is SimulatorException or BinderyApiException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("bindery-sim: " + e.Message);
                return 1;
            }
        });

    /// <summary><c>--user</c>: which demo user's credentials, family and room to use.</summary>
    public static Option<string> UserOption(string purpose) => new("--user", "-u")
    {
        Description = $"Demo user {purpose} (default: {DemoUsername})",
        DefaultValueFactory = _ => DemoUsername,
    };

    public const string DemoUsername = "demo";

    public static DemoUser RequireUser(DemoTenant tenant, string username) =>
        tenant.FindUser(username) ?? throw new SimulatorException(
            $"the demo tenant has no user '{username}' (it has: {string.Join(", ", tenant.Users.Select(u => u.Username))})");
}

/// <summary>
/// A problem to report to the user as one line on standard error (exit code 1), never a stack trace. The server's
/// refusals arrive as <see cref="BinderyApiException"/> (from the protocol library) and are reported the same way.
/// </summary>
public sealed class SimulatorException(string message) : Exception(message);
