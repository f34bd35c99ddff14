using System.CommandLine;
using Bindery.Protocol;

namespace Bindery.Cli;

/// <summary>The options naming the device a command plays: <c>--pk</c>, <c>--dk</c>, <c>--device-secret</c>.</summary>
public sealed class DeviceOptions
{
    public Option<string> Pk { get; } = new("--pk")
    {
        Description = "Product key (with --demo it may be left out when the dk names one demo device)",
    };

    public Option<string> Dk { get; } = new("--dk")
    {
        Description = "Device key (IMEI or MAC); with --demo also a demo device's SN",
        Required = true,
    };

    public Option<string> DeviceSecret { get; } = new("--device-secret")
    {
        Description = "The device secret issued when the device was registered (taken from the demo tenant with --demo)",
    };

    public void AddTo(Command command)
    {
        command.Add(Pk);
        command.Add(Dk);
        command.Add(DeviceSecret);
    }

    /// <summary>The device and, when it is a demo device, its product from the demo tenant.</summary>
    public async Task<(DeviceIdentity Device, DemoProduct? Product)> ResolveAsync(CliContext context, ParseResult parse)
    {
        var pk = parse.GetValue(Pk);
        var dk = parse.GetRequiredValue(Dk);
        var secret = parse.GetValue(DeviceSecret);
        var tenant = await context.TenantAsync(parse);
        if (tenant is null)
        {
            if (pk is null || secret is null)
            {
                throw new SimulatorException("give --pk and --device-secret, or --demo to take them from the demo tenant");
            }
            return (new DeviceIdentity(pk, dk, secret), null);
        }
        var found = tenant.FindDevice(pk, dk)
            ?? throw new SimulatorException(pk is null
                ? $"no demo device has dk or sn '{dk}' (run: bindery-sim demo)"
                : $"product '{pk}' of the demo tenant has no device '{dk}' (run: bindery-sim demo)");
        return (new DeviceIdentity(found.Product.Pk, found.Device.Dk, secret ?? found.Device.DeviceSecret), found.Product);
    }
}
