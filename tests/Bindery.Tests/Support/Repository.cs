namespace Bindery.Tests.Support;

/// <summary>Where the repository checkout the tests run from is: the directory holding <c>Bindery.sln</c>.</summary>
public static class Repository
{
    /// <summary>The checkout, or null when the tests run from a build copied out of it.</summary>
    public static string? TryRoot { get; } = FindRoot();

    /// <summary>The checkout; for tests that cannot run without it.</summary>
    public static string Root => TryRoot ?? throw new DirectoryNotFoundException("Bindery.sln not found above " + AppContext.BaseDirectory);

    /// <summary>Whether <paramref name="tool"/> is an executable on the PATH (bash, curl, git, node, wrk …).</summary>
    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, tool)));

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bindery.sln")))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}
