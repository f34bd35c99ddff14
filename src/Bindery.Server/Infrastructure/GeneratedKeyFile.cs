namespace Bindery.Infrastructure;

/// <summary>
/// A key Bindery generated for its operator (the admin key, the stand-in key): written to a file of the data
/// directory readable by its owner only (mode 600), and shown once on standard output — deliberately not through
/// the logger, so it never reaches a log pipeline.
/// </summary>
public static class GeneratedKeyFile
{
    public static async Task WriteAndShowAsync(string dataDir, string fileName, string key, string what, CancellationToken cancellationToken = default)
    {
        var file = Path.Combine(dataDir, fileName);
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(file, key + "\n", cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        Console.WriteLine($"Bindery {what} (shown once, also saved to {file}): {key}");
    }
}
