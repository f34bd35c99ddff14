using Bindery.Observability;
using Bindery.Registry;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>The console home: this node's bind attempts per minute over the last hour (<see cref="BindRates"/>).</summary>
public sealed class IndexModel(RegistryService registry, BindRates rates) : PageModel
{
    public string DataCenter => registry.DataCenter;

    public ConsoleDashboard Dashboard { get; private set; } = null!;

    public void OnGet() => Dashboard = new ConsoleDashboard(rates.Snapshot(), rates.CurrentMinuteStart);
}
