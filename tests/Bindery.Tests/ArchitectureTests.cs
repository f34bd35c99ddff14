using System.Text.RegularExpressions;
using Bindery.Tests.Support;

namespace Bindery.Tests;

/// <summary>
/// Rules of docs/architecture.md that the compiler does not enforce, checked on the source tree: provider types
/// (Microsoft.Data.Sqlite, Npgsql) stay inside the server's <c>Storage/</c> and the tests' store harness; callers
/// see only <c>IDatabase</c> and the storage exceptions.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly string[] ProviderAllowed =
    [
        "src/Bindery.Server/Storage/",
        "tests/Bindery.TestSupport/ThrowawayPostgres.cs",
        "tests/Bindery.Tests/Support/PostgresCluster.cs",
        "tests/Bindery.Tests/Stores/",
    ];

    [GeneratedRegex(@"\b(Microsoft\.Data\.Sqlite|Npgsql\w*|Sqlite(Connection|Exception|Command|Transaction)|Postgres(Exception|ErrorCodes))\b")]
    private static partial Regex ProviderIdentifier();

    [Fact]
    public void No_provider_type_is_named_outside_storage_and_the_store_harness()
    {
        var root = Repository.Root;
        var offenders = new List<string>();
        foreach (var top in new[] { "src", "bench", "tests" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, top), "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal)
                    || ProviderAllowed.Any(a => relative.StartsWith(a, StringComparison.Ordinal)) || relative == "tests/Bindery.Tests/ArchitectureTests.cs")
                {
                    continue;
                }
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                {
                    var code = lines[i].TrimStart();
                    if (!code.StartsWith("//", StringComparison.Ordinal) && ProviderIdentifier().IsMatch(code))
                    {
                        offenders.Add($"{relative}:{i + 1}: {code}");
                    }
                }
            }
        }
        Assert.True(offenders.Count == 0, "provider types outside Storage/:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void The_rule_recognises_a_provider_type()
    {
        Assert.Matches(ProviderIdentifier(), "catch (SqliteException e) when (e.SqliteErrorCode == 19)");
        Assert.Matches(ProviderIdentifier(), "using Npgsql;");
        Assert.DoesNotMatch(ProviderIdentifier(), "catch (UniqueViolationException)");
    }
}
