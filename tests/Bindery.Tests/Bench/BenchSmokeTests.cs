using System.Diagnostics;

namespace Bindery.Tests.Bench;

/// <summary>
/// The benchmark orchestrator runs end to end with tiny numbers: a real server, the bulk import, code reports,
/// wrk phases (binds, reads, pre-signed device code reports, bind-token reports, Tencent token binds into families),
/// the fixed-rate client, the store profile (<c>--profile</c>), the webhook comparison (<c>--webhooks</c>) and the MQTT phase (200 Tencent-protocol devices
/// connected at once, a bare round trip each, a token report each), and prints its figures with no errors. It
/// asserts nothing about speed.
/// Runs once, in the SQLite pass (it starts its own server and store). Where a missing PostgreSQL is a failure
/// (CI, <c>BINDERY_REQUIRE_POSTGRES</c>), so is a missing wrk: .ci/run installs both.
/// </summary>
public sealed class BenchSmokeTests
{
    [SkippableFact]
    public async Task The_benchmark_seeds_binds_reads_and_reports_without_errors()
    {
        Skip.If(Environment.GetEnvironmentVariable("BINDERY_TEST_STORE") == "postgres", "the benchmark smoke test runs in the SQLite pass");
        var wrkMissing = !File.Exists("/usr/bin/wrk") && !(Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, "wrk")));
        if (wrkMissing)
        {
            Assert.False(Support.PostgresCluster.Required, "wrk is not installed (.ci/run installs it)");
            Skip.If(true, "wrk is not installed (apt-get install wrk)");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                LocateBenchDll(), "--devices", "16000", "--users", "20", "--duration", "1", "--warmup", "0",
                "--rate", "200", "--connections", "4", "--mqtt-devices", "200", "--mqtt-concurrency", "32",
                "--reports", "2000", "--token-reports", "300", "--token-binds", "300", "--profile", "--webhooks",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var bench = Process.Start(start)!;
        var stdout = bench.StandardOutput.ReadToEndAsync();
        var stderr = bench.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await bench.WaitForExitAsync(deadline.Token);
        var output = await stdout + await stderr;

        Assert.True(bench.ExitCode == 0, output);
        Assert.Contains("16,000 devices reported their binding code", output);
        Assert.Contains("webhooks, both rounds: binds/s off", output);
        Assert.Contains("webhooks, Wi-Fi bind, webhooks on: the receiver got all", output);
        Assert.Contains("webhooks, Wi-Fi bind, webhooks on (2): the receiver got all", output);
        Assert.Contains("binds/s ÷ bare req/s", output);
        Assert.Contains("connections open at once: 200 of 200", output);
        Assert.Contains("token reports/s ÷ bare round trips/s", output);
        Assert.Contains("KiB per connection", output);
        Assert.Contains("code reports/s ÷ bare req/s", output);
        Assert.Contains("token binds/s ÷ bare req/s", output);
        Assert.Contains("store profile per request", output);
        foreach (var phase in new[]
        {
            "bare GET /bench/noop", "Wi-Fi bind", "Wi-Fi bind, webhooks off", "Wi-Fi bind, webhooks on", "Wi-Fi bind, webhooks on (2)", "Wi-Fi bind, webhooks off (2)", "device list (read)", "Wi-Fi bind at 200/s",
            "device code report", "bind-token report", "Tencent token bind",
            "connect+subscribe", "bare round trip (→ 9010)", "app_bind_token → reply",
        })
        {
            // Each row starts with the phase name padded to 28 characters (the first table; the store profile's follows).
            var row = output.Split('\n').First(line => line.StartsWith(phase.PadRight(28), StringComparison.Ordinal));
            Assert.True(row.TrimEnd().EndsWith(" 0", StringComparison.Ordinal), $"errors in: {row}\n{output}");
        }
    }

    /// <summary>bench/Bindery.Bench's build output of the same configuration as this test assembly.</summary>
    private static string LocateBenchDll()
    {
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (baseDir.Name, baseDir.Parent!.Name);
        for (var dir = baseDir; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bindery.sln")))
            {
                var dll = Path.Combine(dir.FullName, "bench", "Bindery.Bench", "bin", configuration, framework, "Bindery.Bench.dll");
                Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (dotnet build)");
                return dll;
            }
        }
        throw new FileNotFoundException("Bindery.sln not found above " + baseDir.FullName);
    }
}
