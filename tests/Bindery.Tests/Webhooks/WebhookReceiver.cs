using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bindery.Tests.Webhooks;

/// <summary>
/// A device maker's webhook receiver: a real HTTP server (Kestrel) on a free loopback port that records every POST it
/// gets and answers <see cref="Status"/> after <see cref="Delay"/>. It can go down (<see cref="StopAsync"/>) and come
/// back on the same port (<see cref="StartAsync"/>).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication? _app;

    private WebhookReceiver(int port) => Port = port;

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hooks/bindery";

    /// <summary>What the receiver answers (200 unless a test makes it fail).</summary>
    public int Status { get; set; } = 200;

    public TimeSpan Delay { get; set; }

    public ConcurrentQueue<Received> Requests { get; } = new();

    public sealed record Received(string EventId, string Kind, string Timestamp, string Signature, byte[] Body, string ContentType)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;

        /// <summary>The documented check: hex HMAC-SHA256 of <c>timestamp + "." + body</c> keyed with the secret's UTF-8 bytes.</summary>
        public bool IsSignedWith(string secret)
        {
            var message = Encoding.ASCII.GetBytes(Timestamp + ".").Concat(Body).ToArray();
            var expected = "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(Signature));
        }
    }

    public static async Task<WebhookReceiver> StartNewAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var receiver = new WebhookReceiver(port);
        await receiver.StartAsync();
        return receiver;
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        var app = builder.Build();
        app.MapPost("/hooks/bindery", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay);
            }
            var headers = context.Request.Headers;
            Requests.Enqueue(new Received(headers["X-Bindery-Event-Id"].ToString(), headers["X-Bindery-Event-Kind"].ToString(),
                headers["X-Bindery-Timestamp"].ToString(), headers["X-Bindery-Signature"].ToString(), buffer.ToArray(),
                context.Request.ContentType ?? ""));
            return Results.StatusCode(Status);
        });
        await app.StartAsync();
        _app = app;
    }

    /// <summary>Down: the port refuses connections until <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>The distinct events received, in the order of their first arrival.</summary>
    public List<Received> Distinct() => Requests.DistinctBy(r => r.EventId).ToList();

    /// <summary>Waits until <paramref name="count"/> distinct events arrived (or fails after <paramref name="timeout"/>).</summary>
    public async Task<List<Received>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            var distinct = Distinct();
            if (distinct.Count >= count)
            {
                return distinct;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"the receiver got {Distinct().Count} distinct events, not {count}, in time: " + string.Join(", ", Distinct().Select(r => r.Kind)));
        return [];
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
