using System.Text.Json;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Mqtt;

/// <summary>
/// The pushes Bindery sends a device on <c>$thing/down/service/{pk}/{dk}</c> (docs/device-api.md, "Pushes to the
/// device"), queued in <c>device_pushes</c> by <see cref="BindingLifecycle"/> inside the transaction that changes the
/// binding — committed with it or not at all — and delivered by <see cref="PushDelivery"/>.
/// <list type="bullet">
/// <item><c>bind_device</c> after a binding that proved possession — a token binding (esp-qcloud waits up to 40 s for
/// it, then wipes its Wi-Fi), a Wi-Fi code or a Bluetooth binding, in either dialect; not after an SN binding.</item>
/// <item><c>unbind_device</c> when a binding ends and the device is left with no binding at all — whatever ended it
/// (unbind in either dialect, displacement, reset, admin deletion). Not while other users still hold the device
/// (multi-user mode): the stock esp-qcloud example wipes its Wi-Fi on <c>unbind_device</c>. Not when a user's own
/// unverified binding is upgraded by their own verified one.</item>
/// </list>
/// The latest state wins: a new <c>bind_device</c> drops the device's undelivered <c>unbind_device</c> pushes and a
/// new <c>unbind_device</c> its undelivered <c>bind_device</c> pushes, so a device never acts on a stale state (a
/// rotation by a token binding sends the new holder's <c>bind_device</c> only, not an <c>unbind_device</c> that would
/// make esp-qcloud wipe the Wi-Fi it was just given; nor does a rotation by a Wi-Fi binding).
/// </summary>
public static class DevicePushes
{
    public const string BindDevice = "bind_device";
    public const string UnbindDevice = "unbind_device";

    /// <summary>The push, if any, that a binding event calls for; called by <see cref="BindingLifecycle.RecordAsync"/>.</summary>
    public static async Task OnBindingEventAsync(DbTx tx, BindingEvent e, long now)
    {
        if (e.Pk is null || e.Dk is null || e.UserId is null)
        {
            return;
        }
        switch (e.Kind)
        {
            // Every binding the device took part in proving (token, Wi-Fi code, Bluetooth), in either dialect; an SN
            // binding proves nothing about the device and is not announced to it.
            case BindingEventKinds.Bound when e.Verified == true:
                await EnqueueAsync(tx, e.Pk, e.Dk, BindDevice, UnbindDevice, new Dictionary<string, object?>
                {
                    ["UserID"] = e.UserId,
                    ["FamilyId"] = e.Fid,
                }, now);
                break;
            case BindingEventKinds.Unbound or BindingEventKinds.Displaced or BindingEventKinds.Reset or BindingEventKinds.DeviceDeleted:
                if (e.Kind == BindingEventKinds.Displaced && e.Actor.Id == e.UserId)
                {
                    // The user's own unverified binding upgraded: the device stays theirs.
                    return;
                }
                var remaining = await tx.ExecuteScalarAsync<long>(
                    "SELECT COUNT(*) FROM bindings WHERE pk = @Pk AND dk = @Dk", new { e.Pk, e.Dk });
                if (remaining > 0)
                {
                    return;
                }
                await EnqueueAsync(tx, e.Pk, e.Dk, UnbindDevice, BindDevice, new Dictionary<string, object?>
                {
                    ["UserID"] = e.UserId,
                }, now);
                break;
        }
    }

    private static async Task EnqueueAsync(DbTx tx, string pk, string dk, string method, string supersedes,
        Dictionary<string, object?> parameters, long now)
    {
        // Both put off (DbTx.ExecuteLaterAsync): the transaction does not read the pushes it queues.
        await tx.ExecuteLaterAsync(
            "DELETE FROM device_pushes WHERE pk = @Pk AND dk = @Dk AND method = @Method AND delivered_at IS NULL",
            new { Pk = pk, Dk = dk, Method = supersedes });
        var pushId = Secrets.NewTimeOrderedId(now);
        var payload = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["method"] = method,
            ["clientToken"] = pushId,
            ["timestamp"] = now / 1000,
            ["params"] = parameters,
        });
        await tx.ExecuteLaterAsync(
            """
            INSERT INTO device_pushes (push_id, pk, dk, method, payload, created_at, attempts)
            VALUES (@PushId, @Pk, @Dk, @Method, @Payload, @Now, 0)
            """,
            new { PushId = pushId, Pk = pk, Dk = dk, Method = method, Payload = payload, Now = now });
    }
}

/// <summary>A pending push as the admin API shows it (no payload: it names users).</summary>
public sealed record PendingPush(string PushId, string Method, long CreatedAt, long ExpiresAt, int Attempts);

/// <summary>A device's MQTT connection as the database records it.</summary>
public sealed record DeviceConnectionState(bool Connected, long? ConnectedAt, string? NodeId);

/// <summary>Reads a device's connection state and pending pushes (admin API).</summary>
public sealed class DevicePushReader(IDatabase db, TimeProvider clock, IOptions<MqttOptions> options)
{
    public async Task<(DeviceConnectionState Connection, List<PendingPush> Pending)> ReadAsync(string pk, string dk, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var lifetime = (long)options.Value.PushLifetime.TotalMilliseconds;
        var liveSince = options.Value.LiveConnectionSeenSince(now);
        return await db.ReadAsync(async connection =>
        {
            var row = await Dapper.SqlMapper.QuerySingleOrDefaultAsync<ConnectionRow>(connection,
                "SELECT node_id AS NodeId, connected_at AS ConnectedAt, seen_at AS SeenAt FROM mqtt_connections WHERE pk = @Pk AND dk = @Dk",
                new { Pk = pk, Dk = dk });
            var state = row is not null && row.SeenAt >= liveSince
                ? new DeviceConnectionState(true, row.ConnectedAt, row.NodeId)
                : new DeviceConnectionState(false, null, null);
            var pending = (await Dapper.SqlMapper.QueryAsync<PushRow>(connection,
                """
                SELECT push_id AS PushId, method AS Method, created_at AS CreatedAt, attempts AS Attempts
                FROM device_pushes
                WHERE pk = @Pk AND dk = @Dk AND delivered_at IS NULL AND created_at > @Cutoff
                ORDER BY seq
                """,
                new { Pk = pk, Dk = dk, Cutoff = now - lifetime }))
                .Select(p => new PendingPush(p.PushId, p.Method, p.CreatedAt, p.CreatedAt + lifetime, p.Attempts)).ToList();
            return (state, pending);
        }, cancellationToken);
    }

    private sealed class ConnectionRow
    {
        public string NodeId { get; set; } = "";

        public long ConnectedAt { get; set; }

        public long SeenAt { get; set; }
    }

    private sealed class PushRow
    {
        public string PushId { get; set; } = "";

        public string Method { get; set; } = "";

        public long CreatedAt { get; set; }

        public int Attempts { get; set; }
    }
}

/// <summary>
/// Deletes pushes past <see cref="MqttOptions.PushLifetime"/> (delivered or not) and connection rows their node
/// stopped refreshing (a node that died), every <see cref="MqttOptions.PushPruneInterval"/>. Every node runs it;
/// concurrent runs are harmless.
/// </summary>
public sealed class DevicePushPruner(IDatabase db, TimeProvider clock, IOptions<MqttOptions> options, ILogger<DevicePushPruner> logger)
    : PeriodicWork(logger)
{
    protected override TimeSpan FirstRunDelay => TimeSpan.FromSeconds(30);

    protected override TimeSpan Interval => options.Value.PushPruneInterval;

    protected override string WhatItRemoves => "expired device pushes and stale MQTT connection rows";

    protected override Task<int> RunOnceAsync(CancellationToken cancellationToken) => PruneAsync(cancellationToken);

    public async Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var cutoff = now - (long)options.Value.PushLifetime.TotalMilliseconds;
        var stale = options.Value.LiveConnectionSeenSince(now);
        var total = await db.WriteAsync(tx => tx.ExecuteAsync(
            "DELETE FROM mqtt_connections WHERE seen_at < @Stale", new { Stale = stale }), cancellationToken);
        return total + await DeleteInBatchesAsync(db,
            "DELETE FROM device_pushes WHERE seq IN (SELECT seq FROM device_pushes WHERE created_at <= @Cutoff ORDER BY seq LIMIT @Batch)",
            new() { ["Cutoff"] = cutoff }, cancellationToken);
    }
}
