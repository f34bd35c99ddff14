using System.Net;
using System.Net.Sockets;

namespace Bindery.Bench;

/// <summary>
/// The webhook phase's receiver: a minimal HTTP server (HttpListener) on a free loopback port that reads each POST and
/// answers 200 at once, counting what it got. It runs in the benchmark's process, so its CPU is not the server's.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _received;

    public WebhookReceiver()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        for (var i = 0; i < 8; i++)
        {
            _loops.Add(Task.Run(ServeAsync));
        }
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/bindery-events";

    public long Received => Interlocked.Read(ref _received);

    private async Task ServeAsync()
    {
        var buffer = new byte[16 * 1024];
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                while (await context.Request.InputStream.ReadAsync(buffer) > 0)
                {
                }
                Interlocked.Increment(ref _received);
                context.Response.StatusCode = 200;
                context.Response.ContentLength64 = 0;
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                // The sender gave up on this one; it will retry.
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> events arrived or <paramref name="timeout"/> passed; returns how long it took.</summary>
    public async Task<TimeSpan?> WaitForAsync(long count, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Received >= count)
            {
                return clock.Elapsed;
            }
            await Task.Delay(50);
        }
        return null;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _stop.Dispose();
    }
}
