namespace Bindery;

/// <summary>Configuration section <c>Bindery</c> (also <c>Bindery__X</c> environment variables, <c>--data-dir</c>).</summary>
public sealed class BinderyOptions
{
    /// <summary>Where the SQLite database and the generated admin key live.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>Admin API key. When empty, one is generated on first start, printed once and kept in the data dir.</summary>
    public string? AdminKey { get; set; }

    /// <summary>The data center this deployment serves; devices of another data center are refused with 6083.</summary>
    public string DataCenter { get; set; } = "dc-local";

    /// <summary>Seed a demo tenant when the store is empty at first start.</summary>
    public bool SeedDemo { get; set; } = true;

    /// <summary>Lifetime of an app user's access token.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest request body accepted by any endpoint except bulk import.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Most devices one family may hold (LimitExceeded.FamilyDeviceExceedLimit).</summary>
    public int FamilyDeviceLimit { get; set; } = 200;

    /// <summary>
    /// Wrong admin keys (admin API and console sign-in) one client address may present within
    /// <see cref="AdminKeyFailureWindow"/>; beyond it every key from that address is refused unchecked until the
    /// window ends (docs/admin-api.md, "Authentication").
    /// </summary>
    public int AdminKeyFailuresPerAddress { get; set; } = 20;

    /// <summary>Wrong admin keys from all addresses together within <see cref="AdminKeyFailureWindow"/> (the aggregate limit).</summary>
    public int AdminKeyFailuresTotal { get; set; } = 500;

    public TimeSpan AdminKeyFailureWindow { get; set; } = TimeSpan.FromMinutes(15);
}
