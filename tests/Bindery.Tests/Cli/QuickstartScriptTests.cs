using System.Diagnostics;
using Bindery.Tests.Support;

namespace Bindery.Tests.Cli;

/// <summary>
/// docs/quickstart.sh, the README quickstart as a script, run by bash against a real server process seeded with
/// the demo tenant on the suite's store, with the built simulator: it must walk all three flows and succeed.
/// </summary>
public sealed class QuickstartScriptTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task The_quickstart_script_walks_wifi_sn_and_pure_bt_binding_end_to_end()
    {
        var repo = Repository.TryRoot is { } root && File.Exists(Path.Combine(root, "docs", "quickstart.sh")) ? root : null;
        Skip.If(repo is null, "docs/quickstart.sh is not next to this build (tests run outside the repository)");
        var missing = new[] { "bash", "curl" }.FirstOrDefault(tool => !Repository.OnPath(tool));
        Skip.If(missing is not null, $"{missing} is not installed; the quickstart script needs bash and curl");
        var simulator = Path.Combine(AppContext.BaseDirectory, "bindery-sim.dll");

        using var storage = TestStore.Create();
        var settings = storage.Settings();
        settings["Bindery:SeedDemo"] = "true";
        settings["Bindery:Accounts:PasswordHashIterations"] = "1000";
        await using var server = await ServerProcess.StartAsync(settings);

        var start = new ProcessStartInfo("bash", [Path.Combine(repo!, "docs", "quickstart.sh")])
        {
            WorkingDirectory = repo,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["BINDERY_URL"] = server.BaseUrl,
                ["BINDERY_DATA_DIR"] = storage.DataDir,
                ["BINDERY_SIM"] = $"dotnet {simulator}",
                // The Tencent step's device connects over MQTT, to the broker's free port.
                ["BINDERY_MQTT_PORT"] = server.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        using var script = Process.Start(start)!;
        var stdout = script.StandardOutput.ReadToEndAsync();
        var stderr = script.StandardError.ReadToEndAsync();
        using (var deadline = new CancellationTokenSource(ScriptTimeout))
        {
            try
            {
                await script.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                script.Kill(entireProcessTree: true);
                Assert.Fail($"docs/quickstart.sh did not finish within {ScriptTimeout}:\n{await stdout}\n{await stderr}");
            }
        }
        var output = await stdout;
        var report = $"exit {script.ExitCode}\n{output}\n{await stderr}";

        Assert.True(script.ExitCode == 0, report);
        Assert.Contains("QUICKSTART OK", output, StringComparison.Ordinal);
        Assert.Contains("-> code 5462, as expected", output, StringComparison.Ordinal);
        Assert.Contains("-> code 5412, as expected", output, StringComparison.Ordinal);
        Assert.Contains("\"verified\":\"1\"", output, StringComparison.Ordinal);
        foreach (var type in new[] { 2, 1, 4 }) // Wi-Fi, SN, Bluetooth
        {
            Assert.Contains($"\"bindingType\":{type},", output, StringComparison.Ordinal);
        }
    }
}
