namespace Bindery.Audit;

/// <summary>
/// Configuration section <c>Audit</c> (docs/events.md, "Retention"). The binding events the audit log reads are kept
/// for <c>Binding:EventRetention</c> (<see cref="Binding.BindingOptions.EventRetention"/>); the refusals for
/// <see cref="RefusalRetention"/>.
/// </summary>
public sealed class AuditOptions
{
    public const string SectionName = "Audit";

    /// <summary>How long <c>security_events</c> rows are kept; older ones are pruned. Zero or less keeps them forever.</summary>
    public TimeSpan RefusalRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often each node prunes the refusals (the first run is one minute after start).</summary>
    public TimeSpan RefusalPruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Refusals that have no write of their own (a replayed device request) are recorded at most once per subject and
    /// reason per this interval on each node; the <c>bindery.security.refusals</c> counter still counts every one.
    /// A replay storm stays a handful of rows instead of a write per request. Zero records every one.
    /// </summary>
    public TimeSpan RefusalRecordInterval { get; set; } = TimeSpan.FromMinutes(1);
}
