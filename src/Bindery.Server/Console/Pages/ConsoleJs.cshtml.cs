using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>The console's script (static, nothing secret in it: served without a session, like the stylesheet).</summary>
[ConsoleAnonymous]
public sealed class ConsoleJsModel : PageModel
{
    public IActionResult OnGet() => Content(ConsoleScript.Js, "text/javascript; charset=utf-8");
}
