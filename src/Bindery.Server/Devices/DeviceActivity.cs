using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Mqtt;
using Bindery.Registry;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Devices;

/// <summary>
/// A device's provisioning trail (table <c>device_activity</c>): its MQTT connections and the outcome of its last
/// bind-token report, recorded by the transports and shown to an app that waits to bind it — so the app can say
/// "the device never reached the cloud" or "the device reported a token the cloud did not know" instead of "failed".
/// </summary>
public sealed class DeviceActivity(IDatabase db, TimeProvider clock, IOptions<MqttOptions> mqtt)
{
    /// <summary>What an app may learn about a device before binding it. Times are Unix seconds.</summary>
    public sealed record Status(bool Connected, long? FirstConnectTime, long? LastConnectTime, long? LastTokenReportTime, int? LastTokenReportCode);

    private sealed class Row
    {
        public long? FirstConnectedAt { get; set; }

        public long? LastConnectedAt { get; set; }

        public long? LastReportAt { get; set; }

        public int? LastReportCode { get; set; }

        public long Connections { get; set; }

        public long OtherHolders { get; set; }
    }

    /// <summary>Records a connection of the device (MQTT), inside the caller's transaction.</summary>
    public static Task RecordConnectedAsync(DbTx tx, string pk, string dk, long now) => tx.ExecuteAsync(
        """
        INSERT INTO device_activity (pk, dk, first_connected_at, last_connected_at) VALUES (@Pk, @Dk, @Now, @Now)
        ON CONFLICT (pk, dk) DO UPDATE SET last_connected_at = excluded.last_connected_at,
            first_connected_at = COALESCE(device_activity.first_connected_at, excluded.first_connected_at)
        """,
        new { Pk = pk, Dk = dk, Now = now });

    /// <summary>Records the outcome of a bind-token report (0 accepted, else the refusal's code), inside the caller's transaction.</summary>
    public static Task RecordTokenReportAsync(DbTx tx, string pk, string dk, int code, long now) => tx.ExecuteAsync(
        """
        INSERT INTO device_activity (pk, dk, last_report_at, last_report_code) VALUES (@Pk, @Dk, @Now, @Code)
        ON CONFLICT (pk, dk) DO UPDATE SET last_report_at = excluded.last_report_at, last_report_code = excluded.last_report_code
        """,
        new { Pk = pk, Dk = dk, Now = now, Code = code });

    /// <summary>
    /// The device's trail as <paramref name="user"/> may see it, or null — and null alike for an unknown device, a
    /// device of a product the user's domain cannot bind, and a device someone else holds: a user learns nothing about
    /// a device that is not theirs to bind. A connection row not refreshed for <c>Mqtt:ConnectionStaleAfter</c> is a
    /// dead node's and does not count as connected.
    /// </summary>
    public async Task<Status?> ForAppAsync(AppUser user, string pk, string dk)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var (normalized, exact) = DeviceKeyFormats.LookupKeys(dk);
        return await db.ReadAsync(async c =>
        {
            var product = await BindingCore.ReadProductAsync(c, pk, user.DomainId);
            if (product is not { Authorized: true })
            {
                return null;
            }
            var row = await c.QuerySingleOrDefaultAsync<Row>(
                $"""
                SELECT a.first_connected_at, a.last_connected_at, a.last_report_at, a.last_report_code,
                       (SELECT COUNT(*) FROM mqtt_connections m WHERE m.pk = d.pk AND m.dk = d.dk AND m.seen_at >= @LiveSince) AS connections,
                       (SELECT COUNT(*) FROM bindings b WHERE b.pk = d.pk AND b.dk = d.dk AND b.user_id <> @UserId) AS other_holders
                FROM devices d LEFT JOIN device_activity a ON a.pk = d.pk AND a.dk = d.dk
                WHERE d.pk = @Pk AND d.dk = {DeviceKeyFormats.StoredDkSql}
                """,
                new { Pk = pk, DkNormalized = normalized, DkExact = exact, UserId = user.Id, LiveSince = mqtt.Value.LiveConnectionSeenSince(now) });
            if (row is null || row.OtherHolders > 0)
            {
                return null;
            }
            return new Status(row.Connections > 0, Seconds(row.FirstConnectedAt), Seconds(row.LastConnectedAt), Seconds(row.LastReportAt), row.LastReportCode);
        });
    }

    private static long? Seconds(long? unixMs) => unixMs / 1000;
}
