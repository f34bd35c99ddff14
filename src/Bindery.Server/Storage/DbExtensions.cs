using System.Data.Common;
using Dapper;

namespace Bindery.Storage;

/// <summary>Dapper shortcuts that carry the transaction along.</summary>
public static class DbExtensions
{
    // Each carries what the transaction put off (DbTx.ExecuteLaterAsync) ahead of it, in the same round trip.
    public static Task<int> ExecuteAsync(this DbTx tx, string sql, object? param = null) =>
        tx.HasDeferred
            ? tx.Sender!.ExecuteAsync(tx, tx.TakeDeferred(), sql, param)
            : tx.Connection.ExecuteAsync(sql, param, tx.Transaction);

    public static async Task<T?> QuerySingleOrDefaultAsync<T>(this DbTx tx, string sql, object? param = null)
    {
        if (!tx.HasDeferred)
        {
            return await tx.Connection.QuerySingleOrDefaultAsync<T>(sql, param, tx.Transaction);
        }
        var rows = await ReadAfterDeferredAsync<T>(tx, sql, param);
        return rows.Count switch
        {
            0 => default,
            1 => rows[0],
            _ => throw new InvalidOperationException("Sequence contains more than one element"),
        };
    }

    public static async Task<T?> ExecuteScalarAsync<T>(this DbTx tx, string sql, object? param = null)
    {
        if (!tx.HasDeferred)
        {
            return await tx.Connection.ExecuteScalarAsync<T>(sql, param, tx.Transaction);
        }
        var rows = await ReadAfterDeferredAsync<T>(tx, sql, param);
        return rows.Count == 0 ? default : rows[0];
    }

    public static async Task<IEnumerable<T>> QueryAsync<T>(this DbTx tx, string sql, object? param = null) =>
        tx.HasDeferred
            ? await ReadAfterDeferredAsync<T>(tx, sql, param)
            : await tx.Connection.QueryAsync<T>(sql, param, tx.Transaction);

    private static async Task<List<T>> ReadAfterDeferredAsync<T>(DbTx tx, string sql, object? param)
    {
        await using var reader = await tx.Sender!.ReadAsync(tx, tx.TakeDeferred(), sql, param);
        var rows = new List<T>();
        if (reader.FieldCount == 0)
        {
            return rows;
        }
        // A single value (a count, an id) converts as Dapper's ExecuteScalar and Query of a simple type do (an int
        // column read as long?, a NULL as the default); a row maps by column name through Dapper's row parser.
        var simple = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (simple.IsPrimitive || simple == typeof(string) || simple == typeof(decimal))
        {
            while (await reader.ReadAsync())
            {
                var value = reader.GetValue(0);
                rows.Add(value is DBNull ? default! : (T)Convert.ChangeType(value, simple, System.Globalization.CultureInfo.InvariantCulture));
            }
            return rows;
        }
        var parse = reader.GetRowParser<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(parse(reader));
        }
        return rows;
    }

    /// <summary><see cref="DbTx.ExecuteLaterAsync"/> where nothing is put off.</summary>
    internal static Task RunNowAsync(DbTx tx, string sql, object? param) => tx.Connection.ExecuteAsync(sql, param, tx.Transaction);

    public static Task WriteAsync(this IDatabase db, Func<DbTx, Task> write, CancellationToken cancellationToken = default) =>
        db.WriteAsync<bool>(async tx => { await write(tx); return true; }, cancellationToken);

    public static Task WriteAsync(this IDatabase db, Func<DbTx, Task> write, WriteIsolation isolation, CancellationToken cancellationToken = default) =>
        db.WriteAsync<bool>(async tx => { await write(tx); return true; }, isolation, cancellationToken);
}
