using Bindery.Observability;
using Bindery.Tests.Support;

namespace Bindery.Tests.Console;

/// <summary>
/// The dashboard's feed (docs/console.md, "Dashboard"): bind attempts per minute by method, outcome and code, for the
/// last 60 minutes of this node, older minutes falling out.
/// </summary>
public sealed class BindRatesTests
{
    [Fact]
    public void Attempts_are_counted_per_minute_by_method_outcome_and_code_and_fall_out_after_an_hour()
    {
        var clock = new ShiftableClock();
        var rates = new BindRates(clock);
        rates.Record("sn", "bound", "0");
        rates.Record("sn", "bound", "0");
        rates.Record("wifi", "refused", "5462");

        var now = Assert.Single(rates.Snapshot(), r => r.Method == "sn");
        Assert.Equal(new BindRates.Row(rates.CurrentMinuteStart, "sn", "bound", "0", 2), now);
        Assert.Equal(1, Assert.Single(rates.Snapshot(), r => r.Method == "wifi").Count);

        clock.Advance(TimeSpan.FromMinutes(30));
        rates.Record("sn", "refused", "5049");
        Assert.Equal(3, rates.Snapshot().Count);
        Assert.Equal([rates.CurrentMinuteStart - (long)TimeSpan.FromMinutes(30).TotalMilliseconds, rates.CurrentMinuteStart],
            rates.Snapshot().Select(r => r.MinuteStart).Distinct());

        // An hour after the first minute it is out of the window, and its slot is reused by the new minute.
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal([("sn", "refused")], rates.Snapshot().Select(r => (r.Method, r.Outcome)));
        rates.Record("tencent_token", "bound", "0");
        Assert.Equal(["sn", "tencent_token"], rates.Snapshot().Select(r => r.Method));
        clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(["tencent_token"], rates.Snapshot().Select(r => r.Method));
    }
}
