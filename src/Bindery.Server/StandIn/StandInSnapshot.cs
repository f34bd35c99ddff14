using Bindery.Storage;
using Dapper;

namespace Bindery.StandIn;

/// <summary>
/// Every row of every data table, taken right after a fixture was loaded, and put back by a reset in one transaction
/// (docs/stand-in.md, "Reset"). The tables come from the schema itself (SQLite's catalog, PostgreSQL's
/// information_schema), ordered by their foreign keys, so a table a later migration adds is cleared and restored
/// without anyone listing it: bindings, shares, families, sessions, tokens, codes, pushes, events, guess counters,
/// webhook state… Only the migrations' own table, <c>settings</c> (the admin key's hash, the demo marker) and <c>data_protection_keys</c>
/// (the console's antiforgery keys: a reset must not void the forms open in a browser) are kept, and so are the
/// deployment keys' guess counts and lock-out entries (<see cref="ClearedRows"/>): a reset must not give whoever
/// guesses the stand-in key or the admin key a fresh budget, nor erase the trace of a lock-out.
/// The fixture is created once through the services (the same rules as real data); a reset is plain SQL because
/// re-running the services (password hashing, one transaction per device) could not meet the time a test run can spend.
/// </summary>
public sealed class StandInSnapshot
{
    /// <summary>Tables a reset leaves alone.</summary>
    public static readonly IReadOnlySet<string> KeptTables = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "schema_migrations", "settings", "data_protection_keys" };

    /// <summary>
    /// Tables a reset clears only in part: the condition of the rows it clears (and the snapshot holds). The rest
    /// stays as it is: the guess counts of the stand-in key and the admin key and their <c>locked_out</c> entries.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ClearedRows = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["guess_counters"] = $"scope NOT IN ('{StandInKey.AddressScope}', '{StandInKey.TotalScope}', '{Registry.AdminKey.AddressScope}', '{Registry.AdminKey.TotalScope}')",
        ["security_events"] = $"(proof IS NULL OR proof NOT IN ('{Audit.RefusalProofs.StandInKey}', '{Audit.RefusalProofs.AdminKey}'))",
    };

    private StandInSnapshot(IReadOnlyList<TableRows> tables) => Tables = tables;

    /// <summary>Parents before children.</summary>
    public IReadOnlyList<TableRows> Tables { get; }

    public int RowCount => Tables.Sum(t => t.Rows.Count);

    public sealed record TableRows(string Name, IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows);

    /// <summary>The data tables, parents before children (by foreign key).</summary>
    public static async Task<IReadOnlyList<string>> TablesAsync(System.Data.Common.DbConnection connection, SqlDialect dialect, System.Data.Common.DbTransaction? transaction = null)
    {
        List<string> names;
        List<(string Child, string Parent)> edges;
        if (dialect == SqlDialect.Postgres)
        {
            names = (await connection.QueryAsync<string>(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'", transaction: transaction)).ToList();
            edges = (await connection.QueryAsync<(string, string)>(
                """
                SELECT child.relname, parent.relname
                FROM pg_constraint c
                JOIN pg_class child ON child.oid = c.conrelid
                JOIN pg_class parent ON parent.oid = c.confrelid
                WHERE c.contype = 'f' AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
                """, transaction: transaction)).ToList();
        }
        else
        {
            names = (await connection.QueryAsync<string>(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", transaction: transaction)).ToList();
            edges = (await connection.QueryAsync<(string, string)>(
                "SELECT m.name, p.\"table\" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) p WHERE m.type = 'table'", transaction: transaction)).ToList();
        }
        var tables = names.Where(n => !KeptTables.Contains(n)).Order(StringComparer.Ordinal).ToList();
        // Topological order: a table comes after every table it references (self-references ignored).
        var parents = tables.ToDictionary(t => t, _ => new HashSet<string>(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
        foreach (var (child, parent) in edges)
        {
            if (parents.TryGetValue(child, out var set) && !string.Equals(child, parent, StringComparison.OrdinalIgnoreCase) && parents.ContainsKey(parent))
            {
                set.Add(parent);
            }
        }
        var ordered = new List<string>();
        var placed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (ordered.Count < tables.Count)
        {
            var next = tables.FirstOrDefault(t => !placed.Contains(t) && parents[t].All(placed.Contains))
                ?? throw new InvalidOperationException("The schema's foreign keys form a cycle: the stand-in reset cannot order its tables.");
            ordered.Add(next);
            placed.Add(next);
        }
        return ordered;
    }

    /// <summary>Reads every row of every data table.</summary>
    public static Task<StandInSnapshot> TakeAsync(IDatabase db, CancellationToken cancellationToken = default) => db.ReadAsync(async connection =>
    {
        var tables = new List<TableRows>();
        foreach (var table in await TablesAsync(connection, db.Dialect))
        {
            var where = ClearedRows.TryGetValue(table, out var cleared) ? " WHERE " + cleared : "";
            using var reader = await connection.ExecuteReaderAsync($"SELECT * FROM {Quote(table)}{where}");
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
            var rows = new List<object?[]>();
            while (await reader.ReadAsync(cancellationToken))
            {
                var values = new object?[columns.Count];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }
                rows.Add(values);
            }
            tables.Add(new TableRows(table, columns, rows));
        }
        return new StandInSnapshot(tables);
    }, cancellationToken);

    /// <summary>Deletes every row of every data table (children first) but the ones <see cref="ClearedRows"/> keeps, in <paramref name="tx"/>.</summary>
    public static async Task ClearAsync(DbTx tx)
    {
        await tx.FlushAsync();
        var all = await TablesAsync(tx.Connection, tx.Dialect, tx.Transaction);
        // The partly cleared tables have no foreign keys either way, so they can leave the TRUNCATE list.
        var tables = all.Where(t => !ClearedRows.ContainsKey(t)).ToList();
        if (tx.Dialect == SqlDialect.Postgres && tables.Count > 0)
        {
            await tx.Connection.ExecuteAsync($"TRUNCATE {string.Join(", ", tables.Select(Quote))}", transaction: tx.Transaction);
        }
        else
        {
            foreach (var table in Enumerable.Reverse(tables))
            {
                await tx.Connection.ExecuteAsync($"DELETE FROM {Quote(table)}", transaction: tx.Transaction);
            }
        }
        foreach (var table in all.Where(ClearedRows.ContainsKey))
        {
            await tx.Connection.ExecuteAsync($"DELETE FROM {Quote(table)} WHERE {ClearedRows[table]}", transaction: tx.Transaction);
        }
    }

    /// <summary>Clears every data table and puts this snapshot's rows back, in <paramref name="tx"/>.</summary>
    public async Task RestoreAsync(DbTx tx)
    {
        await ClearAsync(tx);
        foreach (var table in Tables)
        {
            if (table.Rows.Count == 0)
            {
                continue;
            }
            // PostgreSQL's identity columns (binding_events.seq, device_pushes.seq) are GENERATED ALWAYS: the snapshot's values go back as they were.
            var overriding = tx.Dialect == SqlDialect.Postgres ? " OVERRIDING SYSTEM VALUE" : "";
            var sql = $"INSERT INTO {Quote(table.Name)} ({string.Join(", ", table.Columns.Select(Quote))}){overriding} VALUES ({string.Join(", ", table.Columns.Select((_, i) => "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)))})";
            using var command = tx.Connection.CreateCommand();
            command.Transaction = tx.Transaction;
            command.CommandText = sql;
            var parameters = new System.Data.Common.DbParameter[table.Columns.Count];
            for (var i = 0; i < parameters.Length; i++)
            {
                parameters[i] = command.CreateParameter();
                parameters[i].ParameterName = "p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                command.Parameters.Add(parameters[i]);
            }
            foreach (var row in table.Rows)
            {
                for (var i = 0; i < parameters.Length; i++)
                {
                    parameters[i].Value = row[i] ?? DBNull.Value;
                }
                await command.ExecuteNonQueryAsync();
            }
        }
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
