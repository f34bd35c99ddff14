using Bindery.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>The admin key is compared as the admin API compares it; the browser gets a session id, never the key.</summary>
[ConsoleAnonymous]
public sealed class SignInModel(AdminKey adminKey, ConsoleSessions sessions) : PageModel
{
    public bool Refused { get; private set; }

    public IActionResult OnGet() => ViewData["SignedIn"] is true ? Redirect(ConsoleSetup.PathPrefix) : Page();

    public IActionResult OnPost([FromForm(Name = "AdminKey")] string? key)
    {
        if (!adminKey.IsValid(key))
        {
            Refused = true;
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        sessions.End(Request.Cookies[ConsoleSessions.CookieName]);
        ConsoleSetup.SetSessionCookie(HttpContext, sessions.Start());
        return Redirect(ConsoleSetup.PathPrefix);
    }
}
