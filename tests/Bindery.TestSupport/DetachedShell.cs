using System.Diagnostics;

namespace Bindery.TestSupport;

/// <summary>
/// Runs a shell script in a session of its own that outlives the test process: the watchdogs that stop a server
/// or a PostgreSQL cluster when the test process that started it dies without cleaning up.
/// </summary>
public static class DetachedShell
{
    public static void Start(string script)
    {
        var start = new ProcessStartInfo("setsid", ["-f", "sh", "-c", script])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        process.WaitForExit();
    }
}
