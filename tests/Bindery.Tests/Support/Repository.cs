namespace Bindery.Tests.Support;

/// <summary>Where the repository checkout the tests run from is: the directory holding <c>Bindery.sln</c>.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bindery.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("Bindery.sln not found above " + AppContext.BaseDirectory);
    }
}
