namespace Bindery.Registry;

/// <summary>Configuration section <c>Bindery:Import</c>: limits of the bulk device import.</summary>
public sealed class ImportOptions
{
    public const string SectionName = "Bindery:Import";

    /// <summary>Largest import body; replaces the global request body limit on the import endpoint only.</summary>
    public long MaxBodyBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Longest accepted line; a longer one is reported as an error and skipped.</summary>
    public int MaxLineBytes { get; set; } = 4096;

    /// <summary>Devices written per transaction.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>How many line errors the answer lists (all of them are counted in <c>skipped</c>).</summary>
    public int MaxReportedErrors { get; set; } = 100;
}
