using System.Data.Common;
using Dapper;

namespace Bindery.Storage;

/// <summary>Dapper shortcuts that carry the transaction along.</summary>
public static class DbExtensions
{
    public static Task<int> ExecuteAsync(this DbTx tx, string sql, object? param = null) =>
        tx.Connection.ExecuteAsync(sql, param, tx.Transaction);

    public static Task<T?> QuerySingleOrDefaultAsync<T>(this DbTx tx, string sql, object? param = null) =>
        tx.Connection.QuerySingleOrDefaultAsync<T>(sql, param, tx.Transaction);

    public static Task<T?> ExecuteScalarAsync<T>(this DbTx tx, string sql, object? param = null) =>
        tx.Connection.ExecuteScalarAsync<T>(sql, param, tx.Transaction);

    public static Task<IEnumerable<T>> QueryAsync<T>(this DbTx tx, string sql, object? param = null) =>
        tx.Connection.QueryAsync<T>(sql, param, tx.Transaction);

    public static Task WriteAsync(this IDatabase db, Func<DbTx, Task> write, CancellationToken cancellationToken = default) =>
        db.WriteAsync<bool>(async tx => { await write(tx); return true; }, cancellationToken);

    public static Task WriteAsync(this IDatabase db, Func<DbTx, Task> write, WriteIsolation isolation, CancellationToken cancellationToken = default) =>
        db.WriteAsync<bool>(async tx => { await write(tx); return true; }, isolation, cancellationToken);
}
