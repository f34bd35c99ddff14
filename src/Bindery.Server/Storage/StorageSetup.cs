using Microsoft.Extensions.Options;

namespace Bindery.Storage;

public static class StorageSetup
{
    public static IServiceCollection AddBinderyStorage(this IServiceCollection services, IConfiguration configuration)
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        services.Configure<StorageOptions>(configuration.GetSection("Storage"));
        services.AddSingleton<IDatabase>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var bindery = sp.GetRequiredService<IOptions<BinderyOptions>>().Value;
            switch (options.Provider.ToLowerInvariant())
            {
                case "sqlite":
                    Directory.CreateDirectory(bindery.DataDir);
                    var path = Path.Combine(Path.GetFullPath(bindery.DataDir), "bindery.db");
                    return new SqliteDatabase(path, options, sp.GetRequiredService<ILogger<SqliteDatabase>>());
                case "postgres" or "postgresql":
                    if (string.IsNullOrWhiteSpace(options.ConnectionString))
                    {
                        throw new InvalidOperationException("Storage:Provider is postgres but Storage:ConnectionString (env Storage__ConnectionString) is empty.");
                    }
                    return new PostgresDatabase(options.ConnectionString, options, sp.GetRequiredService<ILogger<PostgresDatabase>>());
                default:
                    throw new InvalidOperationException($"Unknown Storage:Provider '{options.Provider}' (expected sqlite or postgres).");
            }
        });
        return services;
    }
}
