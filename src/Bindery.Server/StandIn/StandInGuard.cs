namespace Bindery.StandIn;

/// <summary>
/// The stand-in mode never runs on a production deployment. A deployment is marked production by
/// <c>Bindery:Production=true</c>, or by the environment name set explicitly to <c>Production</c> through
/// <c>ASPNETCORE_ENVIRONMENT</c>, <c>DOTNET_ENVIRONMENT</c> (or <c>--environment</c>); the implicit default
/// environment does not count, so a plain <c>dotnet run</c> can use the mode.
/// </summary>
public static class StandInGuard
{
    public const string ProductionSetting = "Bindery:Production";

    /// <summary>Why the mode must not start here, or null when it may.</summary>
    public static string? RefusalReason(IConfiguration configuration, Func<string, string?> environmentVariable)
    {
        if (configuration.GetValue<bool>(ProductionSetting))
        {
            return $"{StandInOptions.SectionName}:Enabled is true but the deployment is marked production ({ProductionSetting}=true). "
                + "The stand-in mode (resettable data, an advanceable clock, faults) must never run in production: turn one of them off.";
        }
        foreach (var name in (string[])["ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"])
        {
            if (string.Equals(environmentVariable(name)?.Trim(), "Production", StringComparison.OrdinalIgnoreCase))
            {
                return $"{StandInOptions.SectionName}:Enabled is true but the environment is set to Production ({name}). "
                    + "The stand-in mode must never run in production: turn it off or use another environment name.";
            }
        }
        // --environment on the command line (host configuration key "environment").
        if (string.Equals(configuration["environment"]?.Trim(), "Production", StringComparison.OrdinalIgnoreCase))
        {
            return $"{StandInOptions.SectionName}:Enabled is true but the environment is set to Production. "
                + "The stand-in mode must never run in production: turn it off or use another environment name.";
        }
        return null;
    }
}

/// <summary>Thrown at start when the stand-in mode is on in a deployment marked production.</summary>
public sealed class StandInRefusedException(string message) : Exception(message);
