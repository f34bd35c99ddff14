using Bindery.Infrastructure;

namespace Bindery.AdminConsole;

/// <summary>A refusal as the console shows it: the catalogued code and message, then the detail the admin API puts in <c>extMsg</c>.</summary>
public static class ConsoleErrors
{
    public static string Describe(BinderyException e) =>
        e.Detail is null ? $"{e.Error.Code}: {e.Error.English}" : $"{e.Error.Code}: {e.Error.English} ({e.Detail})";
}
