using Bindery.Audit;
using Bindery.Registry;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>One device: its record (never its secret), its holders and its audit timeline (<see cref="AuditLog"/>, as <c>/admin/v1/audit/events</c>).</summary>
public sealed class DeviceModel(RegistryService registry, ConsoleDevices devices, AuditLog audit) : PageModel
{
    public const int TimelineLength = 100;

    public string Pk { get; private set; } = "";

    public string Dk { get; private set; } = "";

    public DeviceRow? Device { get; private set; }

    public IReadOnlyList<DeviceHolder> Holders { get; private set; } = [];

    public IReadOnlyList<AuditEventView> Events { get; private set; } = [];

    public async Task OnGetAsync(string pk, string dk)
    {
        (Pk, Dk) = (pk, dk);
        Device = await registry.GetDeviceAsync(pk, dk);
        if (Device is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        Holders = await devices.HoldersAsync(Device.Pk, Device.Dk);
        Events = (await audit.EventsAsync(new AuditFilter(Device.Pk, Device.Dk, null, null, null, TimelineLength, null), null, [])).List;
    }
}
