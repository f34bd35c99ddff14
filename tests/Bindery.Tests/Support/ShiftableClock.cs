namespace Bindery.Tests.Support;

/// <summary>
/// Real time plus an offset that tests can push forward, so expiry can be tested without waiting while
/// everything else (HMAC timestamps, ordering) still sees time flow normally.
/// </summary>
public sealed class ShiftableClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow.AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
