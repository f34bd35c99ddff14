using Bindery.Registry;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

public sealed class IndexModel(RegistryService registry) : PageModel
{
    public string DataCenter => registry.DataCenter;

    public void OnGet()
    {
    }
}
