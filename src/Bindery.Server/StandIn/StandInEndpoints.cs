using Bindery.Infrastructure;
using Bindery.Observability;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.StandIn;

/// <summary>The stand-in API under <c>/stand-in/v1</c> (docs/stand-in.md): header <c>X-StandIn-Key</c>, answers in the <c>{code, msg, extMsg, data}</c> envelope.</summary>
public static class StandInEndpoints
{
    public static IEndpointRouteBuilder MapStandInEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/stand-in/v1")
            .AddEndpointFilter(StandInKey.RequireAsync)
            .WithTags("Stand-in")
            .WithErrorEnvelope(ErrorEnvelopes.Admin)
            .WithErrors(Errors.StandInKeyInvalid);

        var clock = group.MapGroup("/clock");
        clock.MapGet("", GetClock).WithSummary("The stand-in clock: now and how far it was advanced");
        clock.MapPost("/advance", AdvanceClock).WithSummary("Advance the server's clock (codes, tokens, sessions and share codes expire)")
            .WithErrors(Errors.StandInClockAdvanceInvalid);
        clock.MapPost("/reset", ResetClock).WithSummary("Put the server's clock back to the system's time");

        // faults and journal (h-faults)
        group.MapStandInFaults();
        group.MapStandInJournal();
        return app;
    }

    public sealed record ClockView(long NowMs, string Now, long OffsetMs);

    /// <summary>How far to advance: <c>seconds</c>, or <c>by</c> as a duration (<c>90s</c>, <c>10m</c>, <c>2h</c>, <c>7d</c>, or <c>hh:mm:ss</c>).</summary>
    public sealed record AdvanceInput(double? Seconds, string? By);

    private static ClockView View(StandInClock clock)
    {
        var now = clock.GetUtcNow();
        return new ClockView(now.ToUnixTimeMilliseconds(), now.ToString("O", System.Globalization.CultureInfo.InvariantCulture), (long)clock.Offset.TotalMilliseconds);
    }

    private static Ok<QuectelEnvelope<ClockView>> GetClock(StandInClock clock) => Envelope.OkResult(View(clock));

    private static Ok<QuectelEnvelope<ClockView>> AdvanceClock([FromBody] AdvanceInput? body, StandInClock clock)
    {
        var by = ParseAdvance(body);
        clock.Advance(by);
        return Envelope.OkResult(View(clock));
    }

    private static Ok<QuectelEnvelope<ClockView>> ResetClock(StandInClock clock)
    {
        clock.Reset();
        return Envelope.OkResult(View(clock));
    }

    public static TimeSpan ParseAdvance(AdvanceInput? body)
    {
        TimeSpan? by = null;
        if (body?.Seconds is { } seconds)
        {
            by = double.IsFinite(seconds) && seconds > 0 && seconds <= 3650d * 86400 ? TimeSpan.FromSeconds(seconds) : null;
        }
        else if (!string.IsNullOrWhiteSpace(body?.By))
        {
            by = ParseDuration(body.By.Trim());
        }
        return by is { } value && value > TimeSpan.Zero && value <= TimeSpan.FromDays(3650)
            ? value
            : throw new BinderyException(Errors.StandInClockAdvanceInvalid);
    }

    /// <summary><c>90s</c>, <c>10m</c>, <c>2h</c>, <c>7d</c>, <c>500ms</c> or a <c>[d.]hh:mm:ss</c> time span; null when neither.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        (string Suffix, Func<double, TimeSpan> Make)[] units =
        [
            ("ms", TimeSpan.FromMilliseconds), ("s", TimeSpan.FromSeconds), ("m", TimeSpan.FromMinutes), ("h", TimeSpan.FromHours), ("d", TimeSpan.FromDays),
        ];
        foreach (var (suffix, make) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], System.Globalization.NumberStyles.Float, culture, out var amount)
                && double.IsFinite(amount) && amount > 0 && amount <= 3650d * 86400 * 1000)
            {
                var value = make(amount);
                return value <= TimeSpan.FromDays(3650) ? value : null;
            }
        }
        return TimeSpan.TryParse(text, culture, out var span) ? span : null;
    }
}
