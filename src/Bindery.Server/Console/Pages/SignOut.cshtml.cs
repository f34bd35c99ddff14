using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>Ends the session (a post with the antiforgery token, so another site cannot sign the admin out).</summary>
public sealed class SignOutModel(ConsoleSessions sessions) : PageModel
{
    public IActionResult OnGet() => Redirect(ConsoleSetup.PathPrefix);

    public async Task<IActionResult> OnPostAsync()
    {
        await sessions.EndAsync(Request.Cookies[ConsoleSessions.CookieName], HttpContext.RequestAborted);
        ConsoleSetup.ClearSessionCookie(HttpContext);
        return Redirect(ConsoleSetup.PathPrefix + "/signin");
    }
}
