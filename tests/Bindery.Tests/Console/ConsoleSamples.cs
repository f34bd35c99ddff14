using System.Text;
using Bindery.Registry;

namespace Bindery.Tests.Console;

/// <summary>A factory's device file as the console imports it: valid IMEI rows, with bad rows at chosen lines.</summary>
public static class ConsoleSamples
{
    private static long _serial = Random.Shared.NextInt64(100_000_000, 900_000_000) * 1000;

    /// <summary>A CSV with a header and <paramref name="devices"/> valid rows, then one row per <paramref name="badDks"/>. Returns the file and the rows' (dk, sn).</summary>
    public static (string Csv, IReadOnlyList<(string Dk, string Sn)> Devices) DevicesCsv(int devices, params string[] badDks)
    {
        var csv = new StringBuilder("dk,sn,deviceSecret\n");
        var rows = new List<(string, string)>();
        for (var i = 0; i < devices; i++)
        {
            var serial = Interlocked.Increment(ref _serial);
            var dk = DeviceKeys.ImeiFromBody("86" + (serial % 1_000_000_000_000).ToString("D12", System.Globalization.CultureInfo.InvariantCulture));
            var sn = "SN" + serial.ToString(System.Globalization.CultureInfo.InvariantCulture);
            csv.Append(dk).Append(',').Append(sn).Append(",console-secret-0123456789\n");
            rows.Add((dk, sn));
        }
        foreach (var bad in badDks)
        {
            csv.Append(bad).Append(",SNBAD,console-secret-0123456789\n");
        }
        return (csv.ToString(), rows);
    }
}
