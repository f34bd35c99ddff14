using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Storage;
using Bindery.Tests.Storage;
using Bindery.Tests.Support;

namespace Bindery.Tests.Durability;

/// <summary>
/// The real server process, SIGKILLed while clients are writing: every write it acknowledged must be there
/// after a restart on the same store. Runs on the suite's store (SQLite with synchronous=FULL, or PostgreSQL).
/// </summary>
public sealed class KillMidLoadTests : IDisposable
{
    private const int Writers = 12;
    private const int AcknowledgedBeforeKill = 150;
    private const string Password = "correct horse battery staple";
    private readonly TestStorage _storage = TestStore.Create();

    [Fact]
    public async Task Every_write_acknowledged_before_a_SIGKILL_is_there_after_restart()
    {
        var domain = await SeedUserDomainAsync();
        var acknowledged = new ConcurrentBag<string>();
        var lostConnections = 0;
        int inFlightAtKill;

        await using (var server = await ServerProcess.StartAsync(ServerSettings()))
        {
            using var client = server.CreateClient();
            using var stop = new CancellationTokenSource();
            var inFlight = 0;
            var enoughAcknowledged = new TaskCompletionSource();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var username = $"durable-{w}-{n}";
                    Interlocked.Increment(ref inFlight);
                    try
                    {
                        using var response = await client.PostAsJsonAsync("/v2/enduser/enduserapi/register",
                            new { userDomain = domain, username, password = Password });
                        var envelope = await response.ReadEnvelopeAsync();
                        Assert.True(envelope.Code() == 200, $"register answered {envelope}");
                        acknowledged.Add(username);
                        if (acknowledged.Count >= AcknowledgedBeforeKill)
                        {
                            enoughAcknowledged.TrySetResult();
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException)
                    {
                        // The server is gone: this write's fate is unknown, and nothing is asserted about it.
                        Interlocked.Increment(ref lostConnections);
                        return;
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                    }
                }
            })).ToList();

            await Task.WhenAny(enoughAcknowledged.Task, Task.WhenAll(writers));
            inFlightAtKill = Volatile.Read(ref inFlight);
            server.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        Assert.True(acknowledged.Count >= AcknowledgedBeforeKill, $"only {acknowledged.Count} writes acknowledged before the kill");
        Assert.True(inFlightAtKill > 0, "the kill should land while writes are in flight");
        Assert.True(lostConnections > 0, "the writers should see the server vanish");

        await using var restarted = await ServerProcess.StartAsync(ServerSettings());
        using var again = restarted.CreateClient();
        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (username, cancellationToken) =>
        {
            using var response = await again.PostAsJsonAsync("/v2/enduser/enduserapi/login", new { userDomain = domain, username, password = Password }, cancellationToken);
            var envelope = await response.ReadEnvelopeAsync();
            if (envelope.Code() != 200)
            {
                missing.Add($"{username}: {envelope}");
            }
        });
        Assert.Empty(missing);
    }

    private Dictionary<string, string?> ServerSettings()
    {
        var settings = _storage.Settings();
        settings["Bindery:AdminKey"] = BinderyApp.AdminKeyValue;
        settings["Bindery:SeedDemo"] = "false";
        settings["Bindery:DataCenter"] = "dc-test";
        settings["Bindery:Accounts:PasswordHashIterations"] = "1000";
        settings["Storage:Synchronous"] = "FULL";
        return settings;
    }

    /// <summary>The user domain the registrations go into, written straight into the store before the server starts.</summary>
    private async Task<string> SeedUserDomainAsync()
    {
        var id = "ud" + Secrets.NewId(14);
        await using var db = await OpenStore.MigratedAsync(_storage);
        await db.WriteAsync(tx => tx.ExecuteAsync(
            "INSERT INTO user_domains (id, secret, home_mode, created_at) VALUES (@Id, @Secret, TRUE, 0)",
            new { Id = id, Secret = Secrets.RandomAlphanumeric(32) }));
        return id;
    }

    public void Dispose() => _storage.Dispose();
}
