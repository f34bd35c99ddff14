namespace Bindery.Bench;

/// <summary>One measured phase: throughput, latency percentiles, answers by envelope code, CPU spent.</summary>
public sealed record LoadResult(
    string Name,
    double Seconds,
    long Requests,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    IReadOnlyDictionary<string, long> Codes,
    long SocketErrors,
    bool Exhausted)
{
    /// <summary>Answers with envelope code 200.</summary>
    public long Succeeded => Codes.TryGetValue("200", out var ok) ? ok : 0;

    public long Errors => Requests - Succeeded;

    public double SucceededPerSecond => Succeeded / Seconds;

    public double RequestsPerSecond => Requests / Seconds;

    /// <summary>CPU the server spent per wall-clock second (1.0 = one core busy).</summary>
    public double ServerCores { get; init; }

    /// <summary>CPU the load generator spent per wall-clock second.</summary>
    public double ClientCores { get; init; }

    public string LoadAverage { get; init; } = "";

    /// <summary>What the phase added to the server's store counters (<c>--profile</c>).</summary>
    public StoreDelta? Store { get; init; }

    public string ErrorSummary =>
        Errors == 0 && SocketErrors == 0
            ? "0"
            : string.Join(' ', Codes.Where(c => c.Key != "200").OrderByDescending(c => c.Value).Select(c => $"{c.Key}×{c.Value}"))
              + (SocketErrors > 0 ? $" socket×{SocketErrors}" : "");
}
