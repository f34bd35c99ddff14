using Bindery.Cli;

return await SimulatorCli.RunAsync(args, Console.Out, Console.Error);
