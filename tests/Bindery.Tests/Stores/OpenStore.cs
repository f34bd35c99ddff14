using Bindery.Storage;
using Bindery.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bindery.Tests.Stores;

/// <summary>An <see cref="IDatabase"/> on a <see cref="TestStorage"/>, without a server around it.</summary>
public static class OpenStore
{
    public static async Task<IDatabase> MigratedAsync(TestStorage storage, StorageOptions? options = null)
    {
        var db = Open(storage, options);
        await db.MigrateAsync();
        return db;
    }

    public static IDatabase Open(TestStorage storage, StorageOptions? options = null)
    {
        options ??= new StorageOptions { Provider = storage.Provider, ConnectionString = storage.ConnectionString, Synchronous = "NORMAL" };
        return storage.Provider == "postgres"
            ? new PostgresDatabase(storage.ConnectionString!, options, NullLogger<PostgresDatabase>.Instance)
            : new SqliteDatabase(Path.Combine(storage.DataDir, "bindery.db"), options, NullLogger<SqliteDatabase>.Instance);
    }
}
