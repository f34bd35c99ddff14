using Bindery.Protocol;
using Bindery.Storage;
using Bindery.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Binding;

/// <summary>
/// The keys a bind inserts — the binding id, the event id, the push id — sort by creation time
/// (<see cref="Secrets.NewTimeOrderedId"/>, docs/performance.md "Time-ordered keys"), so each new row lands at the end
/// of its unique index instead of on a random page, and a group commit writes a few index pages instead of one per
/// row. They keep the 24 lowercase hex characters of every other id.
/// </summary>
public sealed class HotPathKeysTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private IDatabase Db => fx.App.Services.GetRequiredService<IDatabase>();

    [Fact]
    public void A_time_ordered_id_is_24_lowercase_hex_characters_the_time_first()
    {
        var at = DateTimeOffset.Parse("2026-11-30T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        var id = Secrets.NewTimeOrderedId(at);

        Assert.Matches("^[0-9a-f]{24}$", id);
        Assert.Equal(at, Convert.ToInt64(id[..11], 16));
    }

    [Fact]
    public void Time_ordered_ids_sort_by_their_time_and_differ_within_one_millisecond()
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ids = Enumerable.Range(0, 1_000).Select(i => Secrets.NewTimeOrderedId(start + i * 7)).ToList();
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));

        var sameMillisecond = Enumerable.Range(0, 10_000).Select(_ => Secrets.NewTimeOrderedId(start)).ToList();
        Assert.Equal(sameMillisecond.Count, sameMillisecond.Distinct(StringComparer.Ordinal).Count());
        // The random half is random: every hex digit shows up in each of its places over 10,000 ids.
        for (var place = 11; place < 24; place++)
        {
            Assert.Equal(16, sameMillisecond.Select(i => i[place]).Distinct().Count());
        }
    }

    [Fact]
    public async Task The_binding_the_event_and_the_push_of_a_bind_are_keyed_by_the_time_of_the_bind()
    {
        var product = await fx.Tenant.CreateProductAsync(2, methods: ["WIFI"]);
        var first = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var second = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var alice = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindWifiOkAsync(fx.DeviceClient(first), alice, first);
        await Task.Delay(5);
        await BindingApi.BindWifiOkAsync(fx.DeviceClient(second), alice, second);

        async Task<(string Binding, string Event, long OccurredAt, string Push)> KeysAsync(Tenant.Device device) =>
            await Db.ReadAsync(c => c.QuerySingleAsync<(string, string, long, string)>(
                """
                SELECT b.binding_id, e.event_id, e.occurred_at, p.push_id
                FROM bindings b
                JOIN binding_events e ON e.binding_id = b.binding_id AND e.kind = 'bound'
                JOIN device_pushes p ON p.pk = b.pk AND p.dk = b.dk
                WHERE b.pk = @Pk AND b.dk = @Dk
                """, new { device.Pk, device.Dk }));
        var a = await KeysAsync(first);
        var b = await KeysAsync(second);

        foreach (var keys in new[] { a, b })
        {
            Assert.Equal(keys.OccurredAt, Convert.ToInt64(keys.Event[..11], 16));
            Assert.InRange(Convert.ToInt64(keys.Binding[..11], 16), keys.OccurredAt - 5_000, keys.OccurredAt);
            Assert.InRange(Convert.ToInt64(keys.Push[..11], 16), keys.OccurredAt - 5_000, keys.OccurredAt + 5_000);
        }
        Assert.True(string.CompareOrdinal(a.Binding, b.Binding) < 0);
        Assert.True(string.CompareOrdinal(a.Event, b.Event) < 0);
        Assert.True(string.CompareOrdinal(a.Push, b.Push) < 0);
    }
}
