using System.Data.Common;
using System.Reflection;
using Dapper;

namespace Bindery.Storage;

/// <summary>Versioned SQL migrations, embedded as <c>Migrations/NNNN_name.sql</c> and applied in order.</summary>
public static class Migrator
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> Load(SqlDialect dialect)
    {
        var assembly = typeof(Migrator).Assembly;
        const string prefix = "Bindery.Migrations.";
        var all = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => n[prefix.Length..^4])
            .ToList();
        var result = new List<Migration>();
        foreach (var name in all.Where(n => !n.Contains('.', StringComparison.Ordinal)))
        {
            // A dialect may override a migration with NNNN_name.<provider>.sql.
            var overrideName = all.FirstOrDefault(n => n == $"{name}.{dialect.Provider}");
            var resource = prefix + (overrideName ?? name) + ".sql";
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
            result.Add(new Migration(version, name, reader.ReadToEnd()));
        }
        return result.OrderBy(m => m.Version).ToList();
    }

    /// <summary>Applies each pending migration in its own transaction. The caller holds whatever lock keeps other nodes out.</summary>
    public static async Task ApplyAsync(DbConnection connection, SqlDialect dialect, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations")).ToHashSet();
        foreach (var migration in Load(dialect).Where(m => !applied.Contains(m.Version)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(migration.Sql, transaction: tx);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @Now)",
                new { migration.Version, migration.Name, Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx);
            await tx.CommitAsync(cancellationToken);
        }
    }
}
