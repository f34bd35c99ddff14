using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
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
        // Half the writers register app users, half create user domains through the admin API: two kinds of
        // acknowledged writes, interleaved in the same commits.
        var registered = new ConcurrentBag<string>();
        var domainsCreated = new ConcurrentBag<string>();
        string domain;
        var lostConnections = 0;
        int inFlightAtKill;

        await using (var server = await ServerProcess.StartAsync(ServerSettings()))
        {
            using var client = server.CreateClient();
            using var admin = server.CreateAdminClient(BinderyApp.AdminKeyValue);
            domain = (await Tenant.PostOkAsync(admin, "/admin/v1/user-domains", new { homeMode = true })).GetProperty("id").GetString()!;
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
                        if (w % 2 == 0)
                        {
                            var envelope = await PostAsync(client, "/v2/enduser/enduserapi/register", new { userDomain = domain, username, password = Password });
                            Assert.True(envelope.Code() == 200, $"register answered {envelope}");
                            registered.Add(username);
                        }
                        else
                        {
                            var envelope = await PostAsync(admin, "/admin/v1/user-domains", new { homeMode = n % 2 == 0 });
                            Assert.True(envelope.Code() == 200, $"create user domain answered {envelope}");
                            domainsCreated.Add(envelope.Data().GetProperty("id").GetString()!);
                        }
                        if (registered.Count + domainsCreated.Count >= AcknowledgedBeforeKill)
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

        Assert.True(registered.Count + domainsCreated.Count >= AcknowledgedBeforeKill, $"only {registered.Count + domainsCreated.Count} writes acknowledged before the kill");
        Assert.True(inFlightAtKill > 0, "the kill should land while writes are in flight");
        Assert.True(lostConnections > 0, "the writers should see the server vanish");

        await using var restarted = await ServerProcess.StartAsync(ServerSettings());
        using var again = restarted.CreateClient();
        using var adminAgain = restarted.CreateAdminClient(BinderyApp.AdminKeyValue);
        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(registered, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (username, _) =>
        {
            var envelope = await PostAsync(again, "/v2/enduser/enduserapi/login", new { userDomain = domain, username, password = Password });
            if (envelope.Code() != 200)
            {
                missing.Add($"user {username}: {envelope}");
            }
        });
        await Parallel.ForEachAsync(domainsCreated, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, cancellationToken) =>
        {
            using var response = await adminAgain.GetAsync($"/admin/v1/user-domains/{id}", cancellationToken);
            var envelope = await response.ReadEnvelopeAsync();
            if (envelope.Code() != 200 || envelope.Data().GetProperty("id").GetString() != id)
            {
                missing.Add($"user domain {id}: {envelope}");
            }
        });
        Assert.Empty(missing);
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string url, object body)
    {
        using var response = await client.PostAsJsonAsync(url, body);
        return await response.ReadEnvelopeAsync();
    }

    private Dictionary<string, string?> ServerSettings()
    {
        var settings = _storage.ForServerProcess();
        settings["Storage:Synchronous"] = "FULL";
        return settings;
    }

    public void Dispose() => _storage.Dispose();
}
