using Bindery.Audit;
using Bindery.Mqtt;
using Bindery.Registry;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>
/// One device: its record (never its secret), its holders, shares, binding-code state (never the code), MQTT
/// connection and pending pushes (<see cref="DevicePushReader"/>, as <c>/admin/v1/products/{pk}/devices/{dk}/mqtt</c>)
/// and its audit timeline (<see cref="AuditLog"/>, as <c>/admin/v1/audit/events</c>).
/// </summary>
public sealed class DeviceModel(RegistryService registry, ConsoleDevices devices, AuditLog audit, DevicePushReader pushes, TimeProvider clock) : PageModel
{
    public const int TimelineLength = 100;

    public string Pk { get; private set; } = "";

    public string Dk { get; private set; } = "";

    public DeviceRow? Device { get; private set; }

    public IReadOnlyList<DeviceHolder> Holders { get; private set; } = [];

    public IReadOnlyList<AuditEventView> Events { get; private set; } = [];

    public IReadOnlyList<DeviceShare> Shares { get; private set; } = [];

    public BindingCodeState? Code { get; private set; }

    public DeviceConnectionState? Connection { get; private set; }

    public IReadOnlyList<PendingPush> Pending { get; private set; } = [];

    public long Now { get; private set; }

    public async Task OnGetAsync(string pk, string dk)
    {
        (Pk, Dk) = (pk, dk);
        Device = await registry.GetDeviceAsync(pk, dk);
        if (Device is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        Now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Holders = await devices.HoldersAsync(Device.Pk, Device.Dk);
        Shares = await devices.SharesAsync(Device.Pk, Device.Dk);
        Code = await devices.CodeStateAsync(Device.Pk, Device.Dk);
        (Connection, Pending) = await pushes.ReadAsync(Device.Pk, Device.Dk, HttpContext.RequestAborted);
        Events = (await audit.EventsAsync(new AuditFilter(Device.Pk, Device.Dk, null, null, null, TimelineLength, null), null, [])).List;
    }
}
