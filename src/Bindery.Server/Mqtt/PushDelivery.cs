using System.Buffers;
using System.Text.Json;
using Bindery.Devices;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Mqtt;

/// <summary>
/// This node's record of the devices connected to its broker, in <c>mqtt_connections</c> (one row per device, moved
/// by its latest connection wherever it is), and the acknowledgements that mark pushes delivered. Database failures
/// are logged and never break a device's connection: the row is written again at the device's next connect.
/// </summary>
public sealed class MqttConnections(IDatabase db, TimeProvider clock, ILogger<MqttConnections> logger) : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>The connections this node holds (connection ids): with none, there is nothing to poll for.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _held = new();

    /// <summary>The prefix of a round whose subscription is QoS 0.</summary>
    public const string AtMostOncePrefix = "q0-";

    /// <summary>This process's node id (random per start: a restarted node's old rows are stale, not its own).</summary>
    public string NodeId { get; } = "node-" + Secrets.NewId();

    public void Dispose() => _wake.Dispose();

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Whether any device is connected to this node (else <see cref="PushDelivery"/> skips the database).</summary>
    public bool HoldsAny => !_held.IsEmpty;

    /// <summary>How many connections this node holds (the <c>bindery.mqtt.connections</c> gauge).</summary>
    public int HeldCount => _held.Count;

    /// <summary>Wakes <see cref="PushDelivery"/> at once (a device of this node became ready).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    /// <summary>Waits for <see cref="Wake"/> or <paramref name="interval"/>, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken) => _wake.WaitAsync(interval, cancellationToken);

    /// <summary>A device connected here: its row now names this node and this connection (not yet subscribed).</summary>
    public async Task ConnectedAsync(AuthenticatedDevice device, string connId)
    {
        _held[connId] = 0;
        try
        {
            var now = Now;
            await db.WriteAsync(async tx =>
            {
                await tx.ExecuteAsync(
                    """
                    INSERT INTO mqtt_connections (pk, dk, node_id, conn_id, round_id, connected_at, seen_at)
                    VALUES (@Pk, @Dk, @NodeId, @ConnId, NULL, @Now, @Now)
                    ON CONFLICT (pk, dk) DO UPDATE SET node_id = excluded.node_id, conn_id = excluded.conn_id,
                        round_id = NULL, connected_at = excluded.connected_at, seen_at = excluded.seen_at
                    """,
                    new { device.Pk, device.Dk, NodeId, ConnId = connId, Now = now });
                await DeviceActivity.RecordConnectedAsync(tx, device.Pk, device.Dk, now);
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("MQTT: could not record the connection of {Pk}/{Dk} ({ExceptionType})", device.Pk, device.Dk, e.GetType().Name);
        }
    }

    /// <summary>
    /// The device subscribed to its service down topic: a new delivery round starts, in which every undelivered push
    /// is sent (again), in order.
    /// </summary>
    public async Task SubscribedAsync(AuthenticatedDevice device, string connId, bool qos0)
    {
        try
        {
            // A QoS 0 subscription gets no PUBACK to wait for: its round is marked, and its pushes count as delivered when sent.
            var round = (qos0 ? AtMostOncePrefix : "") + Secrets.NewId();
            await db.WriteAsync(tx => tx.ExecuteAsync(
                "UPDATE mqtt_connections SET round_id = @Round, seen_at = @Now WHERE pk = @Pk AND dk = @Dk AND conn_id = @ConnId",
                new { Round = round, Now, device.Pk, device.Dk, ConnId = connId }));
            Wake();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("MQTT: could not record the subscription of {Pk}/{Dk} ({ExceptionType})", device.Pk, device.Dk, e.GetType().Name);
        }
    }

    /// <summary>The connection ended: its row goes, unless a later connection of the device already replaced it.</summary>
    public async Task DisconnectedAsync(AuthenticatedDevice device, string connId)
    {
        _held.TryRemove(connId, out _);
        try
        {
            await db.WriteAsync(tx => tx.ExecuteAsync(
                "DELETE FROM mqtt_connections WHERE pk = @Pk AND dk = @Dk AND conn_id = @ConnId",
                new { device.Pk, device.Dk, ConnId = connId }));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("MQTT: could not record the disconnect of {Pk}/{Dk} ({ExceptionType})", device.Pk, device.Dk, e.GetType().Name);
        }
    }

    /// <summary>
    /// The device acknowledged (PUBACK) a message on its service down topic: when it was a push, the push is delivered.
    /// </summary>
    public async Task AcknowledgedAsync(AuthenticatedDevice device, string topic, ReadOnlySequence<byte> payload)
    {
        if (topic != MqttTopics.Down(device, MqttTopics.ServiceType))
        {
            return;
        }
        string? pushId = null;
        try
        {
            using var json = JsonDocument.Parse(payload);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("method", out var method)
                && method.GetString() is DevicePushes.BindDevice or DevicePushes.UnbindDevice
                && json.RootElement.TryGetProperty("clientToken", out var token))
            {
                pushId = token.GetString();
            }
        }
        catch (JsonException)
        {
            return;
        }
        if (pushId is null)
        {
            return;
        }
        try
        {
            await db.WriteAsync(tx => tx.ExecuteAsync(
                "UPDATE device_pushes SET delivered_at = @Now WHERE push_id = @PushId AND pk = @Pk AND dk = @Dk AND delivered_at IS NULL",
                new { Now, PushId = pushId, device.Pk, device.Dk }));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not marked: sent again in the device's next round (at-least-once).
            logger.LogWarning("MQTT: could not mark a push to {Pk}/{Dk} delivered ({ExceptionType})", device.Pk, device.Dk, e.GetType().Name);
        }
    }

    /// <summary>This node refreshes its rows (a dead node's rows stop being refreshed and go stale).</summary>
    public Task HeartbeatAsync(CancellationToken cancellationToken) =>
        db.WriteAsync(tx => tx.ExecuteAsync(
            "UPDATE mqtt_connections SET seen_at = @Now WHERE node_id = @NodeId", new { Now, NodeId }), cancellationToken);

    /// <summary>The node stops: its connections end with it.</summary>
    public async Task ForgetNodeAsync()
    {
        try
        {
            await db.WriteAsync(tx => tx.ExecuteAsync("DELETE FROM mqtt_connections WHERE node_id = @NodeId", new { NodeId }));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("MQTT: could not forget this node's connections ({ExceptionType}); they go stale", e.GetType().Name);
        }
    }
}

/// <summary>
/// Delivers pushes (<see cref="DevicePushes"/>) to the devices connected to this node: every
/// <see cref="MqttOptions.PushPollInterval"/> (or at once when a device of this node subscribes) it reads, in order,
/// the undelivered, unexpired pushes of its devices that were not yet sent in the device's current round, records
/// that round on each, and publishes each with QoS 1 on the device's service down topic. The device's PUBACK
/// marks it delivered (<see cref="MqttConnections.AcknowledgedAsync"/>); a push sent but not acknowledged is sent again,
/// with the same <c>clientToken</c>, when the device next subscribes (reconnects) — at least once, in order.
/// </summary>
public sealed class PushDelivery(
    IDatabase db, MqttBroker broker, MqttConnections connections, TimeProvider clock, IOptions<MqttOptions> options,
    ILogger<PushDelivery> logger) : BackgroundService
{
    public const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("MQTT pushes: this node is {NodeId} (mqtt_connections.node_id)", connections.NodeId);
        }
        var nextHeartbeat = DateTimeOffset.MinValue;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // A node without devices asks the database nothing.
                    if (connections.HoldsAny)
                    {
                        if (clock.GetUtcNow() >= nextHeartbeat)
                        {
                            await connections.HeartbeatAsync(stoppingToken);
                            nextHeartbeat = clock.GetUtcNow() + options.Value.ConnectionHeartbeat;
                        }
                        await DeliverOnceAsync(stoppingToken);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning("MQTT: delivering pushes failed ({ExceptionType}); trying again", e.GetType().Name);
                }
                var interval = options.Value.PushPollInterval;
                await connections.WaitAsync(interval > TimeSpan.Zero ? interval : TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>One pass; returns how many pushes were sent.</summary>
    public async Task<int> DeliverOnceAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var cutoff = now - (long)options.Value.PushLifetime.TotalMilliseconds;
        var due = (await db.ReadAsync(connection => Dapper.SqlMapper.QueryAsync<DuePush>(connection,
            """
            SELECT p.push_id AS PushId, p.pk AS Pk, p.dk AS Dk, p.payload AS Payload, c.round_id AS RoundId
            FROM mqtt_connections c
            JOIN device_pushes p ON p.pk = c.pk AND p.dk = c.dk
            WHERE c.node_id = @NodeId AND c.round_id IS NOT NULL
              AND p.delivered_at IS NULL AND p.created_at > @Cutoff
              AND (p.sent_round IS NULL OR p.sent_round <> c.round_id)
            ORDER BY p.seq
            LIMIT @Batch
            """,
            new { connections.NodeId, Cutoff = cutoff, Batch = BatchSize }), cancellationToken)).ToList();
        if (due.Count == 0)
        {
            return 0;
        }
        // The round is recorded before the push goes out: a push seen by the device is never sent again in the same
        // round, and one that was not sent after all (the device just left) is sent in the device's next round.
        await db.WriteAsync(async tx =>
        {
            foreach (var push in due)
            {
                await tx.ExecuteAsync(
                    push.RoundId.StartsWith(MqttConnections.AtMostOncePrefix, StringComparison.Ordinal)
                        ? "UPDATE device_pushes SET sent_round = @RoundId, attempts = attempts + 1, delivered_at = @Now WHERE push_id = @PushId AND delivered_at IS NULL"
                        : "UPDATE device_pushes SET sent_round = @RoundId, attempts = attempts + 1 WHERE push_id = @PushId AND delivered_at IS NULL",
                    new { push.RoundId, push.PushId, Now = now });
            }
        }, cancellationToken);
        var sent = 0;
        foreach (var push in due)
        {
            if (await broker.PublishToDeviceAsync(push.Pk, push.Dk, MqttTopics.ServiceType, push.Payload, cancellationToken))
            {
                sent++;
            }
        }
        return sent;
    }

    private sealed class DuePush
    {
        public string PushId { get; set; } = "";

        public string Pk { get; set; } = "";

        public string Dk { get; set; } = "";

        public string Payload { get; set; } = "";

        public string RoundId { get; set; } = "";
    }
}
