using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>The console's stylesheet (the sign-in page needs it too).</summary>
[ConsoleAnonymous]
public sealed class ConsoleCssModel : PageModel
{
    public IActionResult OnGet() => Content(ConsoleStyles.Css, "text/css; charset=utf-8");
}
