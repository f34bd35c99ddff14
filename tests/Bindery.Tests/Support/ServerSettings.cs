namespace Bindery.Tests.Support;

/// <summary>The settings a test gives a real server process (<see cref="Bindery.TestSupport.ServerProcess"/>) on its store.</summary>
public static class ServerSettings
{
    /// <summary>The store's settings, the suite's admin key and data center, no demo tenant, fast password hashing.</summary>
    public static Dictionary<string, string?> ForServerProcess(this TestStorage storage)
    {
        var settings = storage.Settings();
        settings["Bindery:AdminKey"] = BinderyApp.AdminKeyValue;
        settings["Bindery:SeedDemo"] = "false";
        settings["Bindery:DataCenter"] = "dc-test";
        // Full-strength hashing is tested in the accounts tests; elsewhere it only slows the suite down.
        settings["Bindery:Accounts:PasswordHashIterations"] = "1000";
        return settings;
    }
}
