using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;

namespace Bindery.Infrastructure;

/// <summary>
/// Where the server looks for its settings and keeps its data. Settings: the content root is the program's own
/// directory (the build or publish output, where <c>appsettings.json</c> is copied), so the server reads them
/// wherever it is started from, unless <c>--contentRoot</c> or <c>ASPNETCORE_CONTENTROOT</c> names another.
/// Data: a relative <c>Bindery:DataDir</c> / <c>--data-dir</c> resolves against the directory the server was
/// started in (<c>dotnet run</c> starts it in the directory the command was typed in, see the csproj's
/// <c>RunWorkingDirectory</c>).
/// </summary>
public static class ServerPaths
{
    /// <summary>The working directory at start-up, before anything could change it.</summary>
    public static string StartDirectory { get; } = Environment.CurrentDirectory;

    public static WebApplicationOptions Options(string[] args) => new()
    {
        Args = args,
        ContentRootPath = ContentRootConfigured(args) ? null : AppContext.BaseDirectory,
    };

    /// <summary>The data directory as an absolute path: relative ones against <see cref="StartDirectory"/>.</summary>
    public static string ResolveDataDir(string? dataDir) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(dataDir) ? new BinderyOptions().DataDir : dataDir, StartDirectory);

    private static bool ContentRootConfigured(string[] args) =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"))
        || new ConfigurationBuilder().AddCommandLine(args).Build()[HostDefaults.ContentRootKey] is not null;

    /// <summary>
    /// Says at start-up which settings files were read and where the data lives; warns when no appsettings.json
    /// was found (the server then runs on built-in defaults, e.g. framework logging at Information).
    /// </summary>
    public static void LogLocations(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Bindery.Startup");
        var files = ((IConfigurationRoot)app.Configuration).Providers
            .OfType<JsonConfigurationProvider>()
            .Where(p => p.Source.Path is not null && p.Source.FileProvider?.GetFileInfo(p.Source.Path).Exists == true)
            .Select(p => p.Source.FileProvider!.GetFileInfo(p.Source.Path!).PhysicalPath ?? p.Source.Path!)
            .ToList();
        var dataDir = app.Services.GetRequiredService<IOptions<BinderyOptions>>().Value.DataDir;
        if (files.Count == 0)
        {
            logger.LogWarning("No appsettings.json in {ContentRoot}: running on built-in defaults; data directory {DataDir}",
                app.Environment.ContentRootPath, dataDir);
            return;
        }
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("Settings from {SettingsFiles}; data directory {DataDir}", string.Join(", ", files), dataDir);
        }
    }
}
