namespace Bindery.Cli;

internal static class Program
{
    public static Task<int> Main(string[] args) => SimulatorCli.RunAsync(args, Console.Out, Console.Error);
}
