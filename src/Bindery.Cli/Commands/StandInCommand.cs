using System.CommandLine;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bindery.Protocol;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>stand-in …</c>: drives a Bindery server in stand-in mode (docs/stand-in.md) through its <c>/stand-in/v1</c> API:
/// load a fixture, reset, move the clock, and play virtual devices without computing a signature. Every subcommand
/// takes <c>--url</c> (default <c>--server</c>, <c>$BINDERY_URL</c>) and <c>--key</c> (default <c>$BINDERY_STANDIN_KEY</c>)
/// and prints the answer's <c>data</c> as JSON.
/// </summary>
public static class StandInCommand
{
    public const string KeyVariable = "BINDERY_STANDIN_KEY";
    public const string KeyHeader = "X-StandIn-Key";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(CliContext context)
    {
        var url = new Option<string>("--url") { Description = "The stand-in server (default: --server, $BINDERY_URL or http://localhost:5080)", Recursive = true };
        var key = new Option<string>("--key") { Description = $"The stand-in API key (default: ${KeyVariable}; the server prints it at start and keeps it in <data dir>/stand-in.key)", Recursive = true };
        var command = new Command("stand-in", "Drive a server in stand-in mode: fixtures, reset, clock, virtual devices (docs/stand-in.md)") { url, key };

        var file = new Argument<FileInfo>("file") { Description = "A fixture file (JSON)" };
        var load = new Command("load", "Load a fixture: empty the store and create its tenant; prints what was created (ids, secrets)") { file };
        Run(context, load, url, key, async (parse, http) =>
        {
            var path = parse.GetRequiredValue(file);
            if (!path.Exists)
            {
                throw new SimulatorException($"{path.FullName} not found");
            }
            using var content = new StringContent(await File.ReadAllTextAsync(path.FullName), Encoding.UTF8, "application/json");
            return await SendAsync(http, HttpMethod.Post, "/stand-in/v1/fixture", content);
        });
        command.Add(load);

        var reset = new Command("reset", "Reset to the fixture: bindings, sessions, codes, pushes, events… as loaded; the clock back; virtual devices disconnected");
        Run(context, reset, url, key, (_, http) => SendAsync(http, HttpMethod.Post, "/stand-in/v1/reset", null));
        command.Add(reset);

        var clock = new Command("clock", "Show the server's clock, or move it");
        Run(context, clock, url, key, (_, http) => SendAsync(http, HttpMethod.Get, "/stand-in/v1/clock", null));
        var by = new Argument<string>("by") { Description = "How far: 90s, 10m, 2h, 7d, or hh:mm:ss" };
        var advance = new Command("advance", "Advance the server's clock (codes, tokens, sessions and share codes expire)") { by };
        Run(context, advance, url, key, (parse, http) => SendAsync(http, HttpMethod.Post, "/stand-in/v1/clock/advance", Json(new { by = parse.GetRequiredValue(by) })));
        clock.Add(advance);
        var clockReset = new Command("reset", "Put the server's clock back to the system's time");
        Run(context, clockReset, url, key, (_, http) => SendAsync(http, HttpMethod.Post, "/stand-in/v1/clock/reset", null));
        clock.Add(clockReset);
        command.Add(clock);

        command.Add(DeviceCommand(context, url, key));
        return command;
    }

    private static Command DeviceCommand(CliContext context, Option<string> url, Option<string> key)
    {
        var pk = new Option<string>("--pk") { Description = "Product key", Required = true, Recursive = true };
        var dk = new Option<string>("--dk") { Description = "Device key", Required = true, Recursive = true };
        var device = new Command("device", "Play a registered device (the stand-in signs for it)") { pk, dk };
        string Base(ParseResult parse) =>
            $"/stand-in/v1/devices/{Uri.EscapeDataString(parse.GetRequiredValue(pk))}/{Uri.EscapeDataString(parse.GetRequiredValue(dk))}";

        var code = new Option<string>("--code") { Description = "The binding code (default: a fresh one, printed)" };
        var lifetime = new Option<int?>("--lifetime") { Description = "Seconds the code is valid (default 600; 0 cancels)" };
        var reportCode = new Command("code", "The device reports a binding code") { code, lifetime };
        Run(context, reportCode, url, key, (parse, http) => SendAsync(http, HttpMethod.Post, Base(parse) + "/binding-code",
            Json(new { bindingCode = parse.GetValue(code), lifetime = parse.GetValue(lifetime) })));
        device.Add(reportCode);

        var secretValue = new Option<string>("--binding-secret") { Description = "The bindingSecret (default: a fresh one, printed)" };
        var secret = new Command("secret", "The device reports its bindingSecret") { secretValue };
        Run(context, secret, url, key, (parse, http) => SendAsync(http, HttpMethod.Post, Base(parse) + "/binding-secret", Json(new { bindingSecret = parse.GetValue(secretValue) })));
        device.Add(secret);

        var tokenValue = new Option<string>("--token") { Description = "The token the app got from AppCreateDeviceBindToken", Required = true };
        var token = new Command("token", "The device reports the Tencent bind token the app gave it") { tokenValue };
        Run(context, token, url, key, (parse, http) => SendAsync(http, HttpMethod.Post, Base(parse) + "/bind-token", Json(new { token = parse.GetRequiredValue(tokenValue) })));
        device.Add(token);

        var factoryReset = new Command("reset", "The device is factory-reset");
        Run(context, factoryReset, url, key, (parse, http) => SendAsync(http, HttpMethod.Post, Base(parse) + "/reset", null));
        device.Add(factoryReset);

        var state = new Command("state", "The device's binding state");
        Run(context, state, url, key, (parse, http) => SendAsync(http, HttpMethod.Get, Base(parse) + "/state", null));
        device.Add(state);

        var connect = new Command("connect", "The device connects to the embedded MQTT broker");
        Run(context, connect, url, key, (parse, http) => SendAsync(http, HttpMethod.Post, Base(parse) + "/mqtt/connect", null));
        device.Add(connect);

        var disconnect = new Command("disconnect", "The device disconnects from the MQTT broker");
        Run(context, disconnect, url, key, (parse, http) => SendAsync(http, HttpMethod.Post, Base(parse) + "/mqtt/disconnect", null));
        device.Add(disconnect);

        var pushes = new Command("pushes", "What the cloud pushed to the connected device");
        Run(context, pushes, url, key, (parse, http) => SendAsync(http, HttpMethod.Get, Base(parse) + "/mqtt", null));
        device.Add(pushes);
        return device;
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static void Run(CliContext context, Command command, Option<string> url, Option<string> key, Func<ParseResult, HttpClient, Task<JsonElement>> call) =>
        CliContext.SetAction(command, async (parse, output) =>
        {
            var text = parse.GetValue(url);
            var server = string.IsNullOrWhiteSpace(text) ? context.ServerUri(parse)
                : Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
                : throw new SimulatorException($"--url must be an http(s) URL, not '{text}'");
            var standInKey = parse.GetValue(key) ?? Environment.GetEnvironmentVariable(KeyVariable);
            if (string.IsNullOrWhiteSpace(standInKey))
            {
                throw new SimulatorException($"give --key or ${KeyVariable} (the server printed its stand-in key at start; it is also in <data dir>/stand-in.key)");
            }
            using var http = context.CreateHttpClient(parse);
            http.BaseAddress = server;
            http.DefaultRequestHeaders.Add(KeyHeader, standInKey.Trim());
            var data = await call(parse, http);
            await output.WriteLineAsync(JsonSerializer.Serialize(data, Indented));
        });

    private static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        return await ApiEnvelope.SendAsync(http, request, $"{method.Method} {path}");
    }
}
