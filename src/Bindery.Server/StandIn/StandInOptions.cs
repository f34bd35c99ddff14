namespace Bindery.StandIn;

/// <summary>
/// Configuration section <c>Bindery:StandIn</c> (docs/stand-in.md): the stand-in mode an app team runs its CI
/// against. Off by default; refused at start when the deployment is marked production (<see cref="StandInGuard"/>).
/// The faults and the request journal bind their own sub-sections (<c>Bindery:StandIn:Faults</c>, <c>:Journal</c>).
/// </summary>
public sealed class StandInOptions
{
    public const string SectionName = "Bindery:StandIn";

    /// <summary>Turns the mode on: the <c>/stand-in/v1</c> API, the advanceable clock, the fixture.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The stand-in API's key (header <c>X-StandIn-Key</c>). When empty, the one in <c>&lt;data dir&gt;/stand-in.key</c>
    /// is used, or one is generated at start, printed once on standard output and written there (mode 600).
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// Wrong stand-in keys one client address (IPv4 address, IPv6 /64) may present within <see cref="KeyFailureWindow"/>;
    /// beyond it every key from that address is refused unchecked, the right one too, until the window ends.
    /// </summary>
    public int KeyFailuresPerAddress { get; set; } = 20;

    /// <summary>Wrong stand-in keys from all addresses together within <see cref="KeyFailureWindow"/> (the aggregate limit).</summary>
    public int KeyFailuresTotal { get; set; } = 500;

    /// <summary>How long a count of wrong stand-in keys runs from its first one (on the stand-in clock).</summary>
    public TimeSpan KeyFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A fixture file (JSON) loaded at start; reset returns to it.</summary>
    public string? Fixture { get; set; }

    /// <summary>Print the address the server listens on as one line <c>BINDERY_LISTENING url=http://127.0.0.1:PORT</c> on standard output once it listens.</summary>
    public bool PrintAddress { get; set; } = true;
}
