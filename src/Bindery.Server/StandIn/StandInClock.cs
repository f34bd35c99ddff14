namespace Bindery.StandIn;

/// <summary>
/// The server's clock in stand-in mode: the system clock plus an offset the stand-in API advances, registered as
/// THE <see cref="TimeProvider"/>, so every expiry (binding codes, sessions, tokens, share codes) reads it.
/// Only wall-clock time moves: timestamps for measuring elapsed time and timers keep the system's.
/// The offset lives in this process: with several nodes each has its own, so the stand-in mode is single-node.
/// </summary>
public sealed class StandInClock(TimeProvider system) : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => system.GetUtcNow() + Offset;

    public override TimeZoneInfo LocalTimeZone => system.LocalTimeZone;

    public override long TimestampFrequency => system.TimestampFrequency;

    public override long GetTimestamp() => system.GetTimestamp();

    /// <summary>Moves the clock forward by <paramref name="by"/> (never backward: expiry decisions only go one way).</summary>
    public TimeSpan Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        return TimeSpan.FromTicks(Interlocked.Add(ref _offsetTicks, by.Ticks));
    }

    /// <summary>Back to the system's time.</summary>
    public void Reset() => Interlocked.Exchange(ref _offsetTicks, 0);
}
