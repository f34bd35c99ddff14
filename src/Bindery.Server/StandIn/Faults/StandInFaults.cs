using Bindery.Infrastructure;

namespace Bindery.StandIn;

/// <summary>The fault rules' settings (<c>Bindery:StandIn:Faults</c>).</summary>
public sealed class StandInFaultOptions
{
    /// <summary>How many rules may be active at once.</summary>
    public int MaxRules { get; set; } = 100;

    /// <summary>The longest latency a rule may add.</summary>
    public TimeSpan MaxLatency { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A fault rule as the stand-in API takes it (<c>POST /stand-in/v1/faults</c>): which requests it matches (every
/// criterion given must hold; none given matches every request of the app and device APIs) and what it does to
/// them: answer a catalogued <see cref="Error"/> in the request's own envelope, add <see cref="LatencyMs"/>, or
/// <see cref="Drop"/> the connection, for the next <see cref="Times"/> matching requests (all of them when absent),
/// each with <see cref="Probability"/>, drawn from a generator seeded with <see cref="Seed"/> when given.
/// </summary>
public sealed class FaultRuleInput
{
    /// <summary><c>quectel</c>, <c>tencent</c> or <c>device</c>.</summary>
    public string? Dialect { get; set; }

    /// <summary>The request path, exactly (any case, trailing slash ignored), or a prefix ending in <c>*</c>.</summary>
    public string? Path { get; set; }

    /// <summary>The Tencent-style Action (body or path), exactly.</summary>
    public string? Action { get; set; }

    /// <summary>The id of the user whose session the request carries.</summary>
    public string? UserId { get; set; }

    public string? Pk { get; set; }

    public string? Dk { get; set; }

    /// <summary>The catalogued error to answer: its name (<c>DeviceAlreadyBound</c>) or its numeric code (<c>5049</c>).</summary>
    public string? Error { get; set; }

    /// <summary>The answer's extra detail (<c>extMsg</c>; appended to the Tencent message); the catalog's message alone when absent.</summary>
    public string? Detail { get; set; }

    public int? LatencyMs { get; set; }

    public bool? Drop { get; set; }

    public int? Times { get; set; }

    public double? Probability { get; set; }

    public int? Seed { get; set; }
}

/// <summary>A rule as listed: what it matches, what it does, how often it has fired and how many times remain (null: unlimited).</summary>
public sealed record FaultRuleView(
    string Id,
    string? Dialect,
    string? Path,
    string? Action,
    string? UserId,
    string? Pk,
    string? Dk,
    string? Error,
    int? Code,
    string? TencentCode,
    string? Detail,
    int LatencyMs,
    bool Drop,
    int? Times,
    double Probability,
    int? Seed,
    int Matched,
    int Fired,
    int? Remaining,
    long CreatedAt);

/// <summary>What a request is to suffer: a delay, then an error answer or a dropped connection (or neither: latency alone).</summary>
public sealed record FaultEffect(string RuleId, TimeSpan Latency, ErrorDef? Error, string? Detail, bool Drop);

/// <summary>
/// The fault rules of the stand-in mode, in memory (one node: docs/stand-in.md). Rules are tried in the order
/// they were added; the first that matches a request <i>and</i> fires (its probability drawn, a count left) decides
/// what the request suffers. A rule that has used up its count stays listed (Remaining 0) until cleared.
/// </summary>
public sealed class StandInFaults(TimeProvider clock, Microsoft.Extensions.Options.IOptions<StandInFaultOptions> options)
{
    private readonly Lock _lock = new();
    private readonly List<Rule> _rules = [];
    private int _nextId;

    /// <summary>True when there is at least one rule that can still fire (a cheap check before a request is read).</summary>
    public bool Active
    {
        get
        {
            lock (_lock)
            {
                return _rules.Any(r => r.Remaining is null or > 0);
            }
        }
    }

    /// <summary>True when an active rule matches on the user (the request's session must be looked up).</summary>
    public bool NeedsUser
    {
        get
        {
            lock (_lock)
            {
                return _rules.Any(r => r.UserId is not null && r.Remaining is null or > 0);
            }
        }
    }

    public FaultRuleView Add(FaultRuleInput? input)
    {
        var rule = Validate(input ?? throw new BinderyException(Errors.InvalidParameter, "a JSON body describing the rule is required"));
        lock (_lock)
        {
            if (_rules.Count >= options.Value.MaxRules)
            {
                throw new BinderyException(Errors.InvalidParameterValue, $"at most {options.Value.MaxRules} fault rules at once (Bindery:StandIn:Faults:MaxRules); clear some first");
            }
            rule.Id = "f" + (++_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _rules.Add(rule);
            return rule.View();
        }
    }

    public IReadOnlyList<FaultRuleView> List()
    {
        lock (_lock)
        {
            return [.. _rules.Select(r => r.View())];
        }
    }

    /// <summary>Removes one rule; 9003 when there is none with that id.</summary>
    public void Remove(string id)
    {
        lock (_lock)
        {
            if (_rules.RemoveAll(r => string.Equals(r.Id, id, StringComparison.Ordinal)) == 0)
            {
                throw new BinderyException(Errors.NotFound, $"no fault rule {id}");
            }
        }
    }

    /// <summary>Removes every rule; how many there were.</summary>
    public int Clear()
    {
        lock (_lock)
        {
            var count = _rules.Count;
            _rules.Clear();
            return count;
        }
    }

    /// <summary>The effect for <paramref name="call"/>, or null when no rule fires; a rule that fires is counted.</summary>
    public FaultEffect? Decide(StandInCall call)
    {
        lock (_lock)
        {
            foreach (var rule in _rules)
            {
                if (rule.Remaining is 0 || !rule.Matches(call))
                {
                    continue;
                }
                rule.Matched++;
                if (rule.Probability < 1 && rule.Random.NextDouble() >= rule.Probability)
                {
                    continue;
                }
                rule.Fired++;
                if (rule.Remaining is { } remaining)
                {
                    rule.Remaining = remaining - 1;
                }
                return new FaultEffect(rule.Id, TimeSpan.FromMilliseconds(rule.LatencyMs), rule.Error, rule.Detail, rule.Drop);
            }
            return null;
        }
    }

    private Rule Validate(FaultRuleInput input)
    {
        string? dialect = null;
        if (!string.IsNullOrWhiteSpace(input.Dialect))
        {
            dialect = StandInDialects.Parse(input.Dialect)
                ?? throw new BinderyException(Errors.InvalidParameterValue, $"dialect must be one of {string.Join(", ", StandInDialects.All)}");
        }
        var path = Trimmed(input.Path, "path", 512);
        if (path is not null && !path.StartsWith('/'))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "path must start with /");
        }
        ErrorDef? error = null;
        if (!string.IsNullOrWhiteSpace(input.Error))
        {
            error = FindError(input.Error.Trim())
                ?? throw new BinderyException(Errors.InvalidParameterValue, $"error '{Clip(input.Error)}' is not in the error catalog (docs/errors.md): give its name or its numeric code");
        }
        var latency = input.LatencyMs ?? 0;
        if (latency < 0 || latency > options.Value.MaxLatency.TotalMilliseconds)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"latencyMs must be from 0 to {(long)options.Value.MaxLatency.TotalMilliseconds}");
        }
        var drop = input.Drop ?? false;
        if (drop && error is not null)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "a rule either answers an error or drops the connection, not both");
        }
        if (!drop && error is null && latency == 0)
        {
            throw new BinderyException(Errors.InvalidParameter, "a rule needs an effect: error, latencyMs or drop");
        }
        if (input.Times is < 1)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "times must be at least 1 (leave it out for every matching request)");
        }
        var probability = input.Probability ?? 1;
        if (!(probability > 0 && probability <= 1))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "probability must be greater than 0 and at most 1");
        }
        return new Rule
        {
            Dialect = dialect,
            Path = path?.Length > 1 ? path.TrimEnd('/') : path,
            Action = Trimmed(input.Action, "action", 64),
            UserId = Trimmed(input.UserId, "userId", 128),
            Pk = Trimmed(input.Pk, "pk", 128),
            Dk = Trimmed(input.Dk, "dk", 128),
            Error = error,
            Detail = Trimmed(input.Detail, "detail", 256),
            LatencyMs = latency,
            Drop = drop,
            Times = input.Times,
            Remaining = input.Times,
            Probability = probability,
            Seed = input.Seed,
            Random = input.Seed is { } seed ? new Random(seed) : new Random(),
            CreatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
    }

    /// <summary>A catalog entry by name (any case) or by numeric code.</summary>
    public static ErrorDef? FindError(string nameOrCode) =>
        int.TryParse(nameOrCode, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? Errors.All.FirstOrDefault(e => e.Code == code)
            : Errors.All.FirstOrDefault(e => string.Equals(e.Name, nameOrCode, StringComparison.OrdinalIgnoreCase));

    private static string? Trimmed(string? value, string name, int maxLength)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        return text.Length > maxLength ? throw new BinderyException(Errors.InvalidParameterValue, $"{name} is longer than {maxLength} characters") : text;
    }

    private static string Clip(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private sealed class Rule
    {
        public string Id { get; set; } = "";
        public string? Dialect { get; init; }
        public string? Path { get; init; }
        public string? Action { get; init; }
        public string? UserId { get; init; }
        public string? Pk { get; init; }
        public string? Dk { get; init; }
        public ErrorDef? Error { get; init; }
        public string? Detail { get; init; }
        public int LatencyMs { get; init; }
        public bool Drop { get; init; }
        public int? Times { get; init; }
        public int? Remaining { get; set; }
        public double Probability { get; init; }
        public int? Seed { get; init; }
        public required Random Random { get; init; }
        public long CreatedAt { get; init; }
        public int Matched { get; set; }
        public int Fired { get; set; }

        public bool Matches(StandInCall call) =>
            (Dialect is null || Dialect == call.Dialect)
            && (Path is null || PathMatches(call.Path))
            && (Action is null || string.Equals(Action, call.Action, StringComparison.Ordinal))
            && (UserId is null || string.Equals(UserId, call.UserId, StringComparison.Ordinal))
            && (Pk is null || string.Equals(Pk, call.Pk, StringComparison.Ordinal))
            && (Dk is null || string.Equals(Dk, call.Dk, StringComparison.OrdinalIgnoreCase));

        private bool PathMatches(string path)
        {
            if (Path!.EndsWith('*'))
            {
                return path.StartsWith(Path[..^1], StringComparison.OrdinalIgnoreCase);
            }
            var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
            return string.Equals(Path, trimmed, StringComparison.OrdinalIgnoreCase);
        }

        public FaultRuleView View() => new(Id, Dialect, Path, Action, UserId, Pk, Dk, Error?.Name, Error?.Code, Error?.TencentCode, Detail,
            LatencyMs, Drop, Times, Probability, Seed, Matched, Fired, Remaining, CreatedAt);
    }
}
