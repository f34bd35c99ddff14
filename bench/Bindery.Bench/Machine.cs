using System.Globalization;

namespace Bindery.Bench;

/// <summary>What the figures were measured on, and the CPU time processes spent (from /proc).</summary>
public static class Machine
{
    public static string Describe()
    {
        var model = ReadField("/proc/cpuinfo", "model name") ?? "unknown CPU";
        var memKb = ReadField("/proc/meminfo", "MemTotal")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        var ram = long.TryParse(memKb, CultureInfo.InvariantCulture, out var kb) ? $"{kb / 1024 / 1024.0:0.0} GiB RAM" : "RAM unknown";
        return $"{Environment.ProcessorCount} cores, {model}, {ram}, {Environment.OSVersion.VersionString}, .NET {Environment.Version}";
    }

    /// <summary>The 1-minute load average: other work on the machine makes every figure noisier.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    /// <summary>User + system CPU time of a process so far, or null when it is gone.</summary>
    public static TimeSpan? CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>VmRSS and VmHWM (peak) of a process in MiB.</summary>
    public static (double RssMb, double PeakMb) Memory(int pid)
    {
        double Read(string field) =>
            ReadField($"/proc/{pid}/status", field) is { } v && long.TryParse(v.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture, out var kb)
                ? kb / 1024.0
                : double.NaN;
        return (Read("VmRSS"), Read("VmHWM"));
    }

    /// <summary>The soft limit on open files (<c>ulimit -n</c>) of a process (default this one), from <c>/proc/&lt;pid&gt;/limits</c>; null when unknown or unlimited.</summary>
    public static long? OpenFilesLimit(string pid = "self")
    {
        var file = $"/proc/{pid}/limits";
        if (!File.Exists(file))
        {
            return null;
        }
        var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var fields = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 0 } && long.TryParse(fields[0], CultureInfo.InvariantCulture, out var soft) ? soft : null;
    }

    private static string? ReadField(string file, string name)
    {
        if (!File.Exists(file))
        {
            return null;
        }
        foreach (var line in File.ReadLines(file))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == name)
            {
                return line[(colon + 1)..].Trim();
            }
        }
        return null;
    }
}
