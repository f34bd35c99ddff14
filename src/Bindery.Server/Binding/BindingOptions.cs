namespace Bindery.Binding;

/// <summary>Configuration section <c>Binding</c>: the guessing limits and field limits of docs/binding.md.</summary>
public sealed class BindingOptions
{
    /// <summary>Wrong codes/signatures against one device's current bindingCode before that code is void.</summary>
    public int FailuresPerCode { get; set; } = 5;

    /// <summary>Failed binding attempts one user may make within <see cref="UserFailureWindow"/>.</summary>
    public int FailuresPerUser { get; set; } = 10;

    /// <summary>The window the per-user failure count runs over; once it is full the user waits for it to end.</summary>
    public TimeSpan UserFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Bind-by-SN attempts one user may make within <see cref="SnWindow"/>, whatever each answers: a serial number
    /// that binds, one that is unknown and one someone else holds all cost the same attempt, so probing serial
    /// numbers is as slow as guessing them.
    /// </summary>
    public int SnAttemptsPerUser { get; set; } = 20;

    /// <summary>
    /// Failed bind-by-SN attempts of all users together, per product, within <see cref="SnWindow"/>; once full,
    /// every SN binding of that product is refused (9007) until the window ends, however many accounts ask.
    /// </summary>
    public int SnFailuresPerProduct { get; set; } = 100;

    /// <summary>Failed bind-by-SN attempts of all users of one user domain together within <see cref="SnWindow"/>.</summary>
    public int SnFailuresPerUserDomain { get; set; } = 300;

    /// <summary>The window the SN counters run over.</summary>
    public TimeSpan SnWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Guess counters (logins, binds, SN attempts, registrations, device signatures) whose window started longer ago
    /// than this are deleted; keep it above the longest configured window.
    /// </summary>
    public TimeSpan GuessCounterRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often expired guess records are pruned.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long rows of the <c>binding_events</c> outbox are kept (docs/architecture.md, "Binding events"); older rows
    /// are deleted by <see cref="BindingEventPruner"/>. Zero or less keeps them forever.
    /// </summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often each node prunes the outbox (the first run is one minute after start).</summary>
    public TimeSpan EventPruneInterval { get; set; } = TimeSpan.FromHours(1);
}
