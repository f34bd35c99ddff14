using System.CommandLine;
using System.Text.Json;

namespace Bindery.Cli.Commands;

/// <summary>
/// <c>fault add|list|remove|clear</c> and <c>journal list|clear</c>: the stand-in mode's fault rules and request
/// journal (docs/stand-in.md), for a server started with <c>Bindery:StandIn:Enabled=true</c>. The key is
/// <c>--key</c> or <c>$BINDERY_STANDIN_KEY</c>.
/// </summary>
public static class StandInCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static Option<string> KeyOption() => new("--key", "-k")
    {
        Description = $"The stand-in API key (X-StandIn-Key; default: ${StandInApiClient.KeyVariable})",
        Recursive = true,
    };

    private static StandInApiClient Client(CliContext context, ParseResult parse, Option<string> key, HttpClient http)
    {
        var value = parse.GetValue(key) ?? Environment.GetEnvironmentVariable(StandInApiClient.KeyVariable);
        return string.IsNullOrWhiteSpace(value)
            ? throw new SimulatorException($"give the stand-in key with --key or ${StandInApiClient.KeyVariable}")
            : new StandInApiClient(http, value.Trim());
    }

    public static Command CreateFault(CliContext context)
    {
        var key = KeyOption();
        var command = new Command("fault", "Stand-in mode: make matching app or device API requests answer a catalogued error, wait, or lose their connection") { key };

        var dialect = new Option<string>("--dialect") { Description = "quectel, tencent or device" };
        var path = new Option<string>("--path") { Description = "Request path, exactly, or a prefix ending in *" };
        var action = new Option<string>("--action") { Description = "Tencent-style Action (e.g. AppTokenBindDeviceFamily)" };
        var userId = new Option<string>("--user-id") { Description = "Only requests of this user (uid)" };
        var pk = new Option<string>("--pk") { Description = "Only requests naming this product key" };
        var dk = new Option<string>("--dk") { Description = "Only requests naming this device key" };
        var error = new Option<string>("--error", "-e") { Description = "Catalogued error to answer: name (DeviceAlreadyBound) or code (5049)" };
        var detail = new Option<string>("--detail") { Description = "Extra detail of the answer (extMsg)" };
        var latency = new Option<int?>("--latency-ms") { Description = "Milliseconds to wait before answering" };
        var drop = new Option<bool>("--drop") { Description = "Drop the connection without an answer" };
        var times = new Option<int?>("--times", "-n") { Description = "Only the next N matching requests (default: all)" };
        var probability = new Option<double?>("--probability", "-p") { Description = "Chance each matching request is hit (0-1]" };
        var seed = new Option<int?>("--seed") { Description = "Seed of the probability draws, for a reproducible run" };
        var add = new Command("add", "Add a fault rule; prints it with its id") { dialect, path, action, userId, pk, dk, error, detail, latency, drop, times, probability, seed };
        CliContext.SetAction(add, async (parse, output) =>
        {
            using var http = context.CreateHttpClient(parse);
            var rule = await Client(context, parse, key, http).PostAsync("/stand-in/v1/faults", new
            {
                dialect = parse.GetValue(dialect), path = parse.GetValue(path), action = parse.GetValue(action), userId = parse.GetValue(userId),
                pk = parse.GetValue(pk), dk = parse.GetValue(dk), error = parse.GetValue(error), detail = parse.GetValue(detail),
                latencyMs = parse.GetValue(latency), drop = parse.GetValue(drop), times = parse.GetValue(times),
                probability = parse.GetValue(probability), seed = parse.GetValue(seed),
            }, "fault add");
            await output.WriteLineAsync(JsonSerializer.Serialize(rule, Indented));
        });

        var list = new Command("list", "List the fault rules with how often each matched and fired");
        CliContext.SetAction(list, async (parse, output) =>
        {
            using var http = context.CreateHttpClient(parse);
            await output.WriteLineAsync(JsonSerializer.Serialize(await Client(context, parse, key, http).GetAsync("/stand-in/v1/faults", "fault list"), Indented));
        });

        var id = new Argument<string>("id") { Description = "The rule's id (from fault add or fault list)" };
        var remove = new Command("remove", "Remove one fault rule") { id };
        CliContext.SetAction(remove, async (parse, output) =>
        {
            using var http = context.CreateHttpClient(parse);
            var ruleId = parse.GetRequiredValue(id);
            await Client(context, parse, key, http).DeleteAsync("/stand-in/v1/faults/" + Uri.EscapeDataString(ruleId), "fault remove");
            await output.WriteLineAsync($"Removed fault rule {ruleId}.");
        });

        var clear = new Command("clear", "Remove every fault rule");
        CliContext.SetAction(clear, async (parse, output) =>
        {
            using var http = context.CreateHttpClient(parse);
            var cleared = await Client(context, parse, key, http).DeleteAsync("/stand-in/v1/faults", "fault clear");
            await output.WriteLineAsync($"Removed {cleared.GetProperty("cleared").GetInt32()} fault rule(s).");
        });

        command.Add(add);
        command.Add(list);
        command.Add(remove);
        command.Add(clear);
        return command;
    }

    public static Command CreateJournal(CliContext context)
    {
        var key = KeyOption();
        var command = new Command("journal", "Stand-in mode: the requests and answers of the app and device APIs, secrets masked") { key };

        var dialect = new Option<string>("--dialect") { Description = "quectel, tencent or device" };
        var path = new Option<string>("--path") { Description = "Request path, exactly, or a prefix ending in *" };
        var action = new Option<string>("--action") { Description = "Tencent-style Action" };
        var userId = new Option<string>("--user-id") { Description = "Requests of this user (uid)" };
        var pk = new Option<string>("--pk") { Description = "Requests naming this product key" };
        var dk = new Option<string>("--dk") { Description = "Requests naming this device key" };
        var from = new Option<long?>("--from") { Description = "From this time (Unix milliseconds)" };
        var to = new Option<long?>("--to") { Description = "Up to this time (Unix milliseconds)" };
        var limit = new Option<int?>("--limit") { Description = "Only the newest N entries" };
        var list = new Command("list", "Print the journaled requests (oldest first) as JSON") { dialect, path, action, userId, pk, dk, from, to, limit };
        CliContext.SetAction(list, async (parse, output) =>
        {
            var query = string.Join('&', new (string Name, object? Value)[]
                {
                    ("dialect", parse.GetValue(dialect)), ("path", parse.GetValue(path)), ("action", parse.GetValue(action)),
                    ("userId", parse.GetValue(userId)), ("pk", parse.GetValue(pk)), ("dk", parse.GetValue(dk)),
                    ("from", parse.GetValue(from)), ("to", parse.GetValue(to)), ("limit", parse.GetValue(limit)),
                }
                .Where(p => p.Value is not null)
                .Select(p => p.Name + "=" + Uri.EscapeDataString(Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)!)));
            using var http = context.CreateHttpClient(parse);
            var page = await Client(context, parse, key, http).GetAsync("/stand-in/v1/journal" + (query.Length > 0 ? "?" + query : ""), "journal list");
            await output.WriteLineAsync(JsonSerializer.Serialize(page.GetProperty("entries"), Indented));
        });

        var clear = new Command("clear", "Forget every journaled request");
        CliContext.SetAction(clear, async (parse, output) =>
        {
            using var http = context.CreateHttpClient(parse);
            var cleared = await Client(context, parse, key, http).DeleteAsync("/stand-in/v1/journal", "journal clear");
            await output.WriteLineAsync($"Forgot {cleared.GetProperty("cleared").GetInt32()} journal entr{(cleared.GetProperty("cleared").GetInt32() == 1 ? "y" : "ies")}.");
        });

        command.Add(list);
        command.Add(clear);
        return command;
    }
}
