using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>Ends the session (a post with the antiforgery token, so another site cannot sign the admin out).</summary>
public sealed class SignOutModel(ConsoleSessions sessions) : PageModel
{
    public IActionResult OnGet() => Redirect(ConsoleSetup.PathPrefix);

    public IActionResult OnPost()
    {
        sessions.End(Request.Cookies[ConsoleSessions.CookieName]);
        ConsoleSetup.ClearSessionCookie(HttpContext);
        return Redirect(ConsoleSetup.PathPrefix + "/signin");
    }
}
