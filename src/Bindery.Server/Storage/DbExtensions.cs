using System.Data.Common;
using Dapper;

namespace Bindery.Storage;

/// <summary>Dapper shortcuts that carry the transaction along.</summary>
public static class DbExtensions
{
    // Each sends what the transaction put off (DbTx.ExecuteLaterAsync) first, so statements keep their order.
    public static async Task<int> ExecuteAsync(this DbTx tx, string sql, object? param = null)
    {
        await tx.FlushAsync();
        return await tx.Connection.ExecuteAsync(sql, param, tx.Transaction);
    }

    public static async Task<T?> QuerySingleOrDefaultAsync<T>(this DbTx tx, string sql, object? param = null)
    {
        await tx.FlushAsync();
        return await tx.Connection.QuerySingleOrDefaultAsync<T>(sql, param, tx.Transaction);
    }

    public static async Task<T?> ExecuteScalarAsync<T>(this DbTx tx, string sql, object? param = null)
    {
        await tx.FlushAsync();
        return await tx.Connection.ExecuteScalarAsync<T>(sql, param, tx.Transaction);
    }

    public static async Task<IEnumerable<T>> QueryAsync<T>(this DbTx tx, string sql, object? param = null)
    {
        await tx.FlushAsync();
        return await tx.Connection.QueryAsync<T>(sql, param, tx.Transaction);
    }

    /// <summary><see cref="DbTx.ExecuteLaterAsync"/> where nothing is put off.</summary>
    internal static Task RunNowAsync(DbTx tx, string sql, object? param) => tx.Connection.ExecuteAsync(sql, param, tx.Transaction);

    public static Task WriteAsync(this IDatabase db, Func<DbTx, Task> write, CancellationToken cancellationToken = default) =>
        db.WriteAsync<bool>(async tx => { await write(tx); return true; }, cancellationToken);

    public static Task WriteAsync(this IDatabase db, Func<DbTx, Task> write, WriteIsolation isolation, CancellationToken cancellationToken = default) =>
        db.WriteAsync<bool>(async tx => { await write(tx); return true; }, isolation, cancellationToken);
}
