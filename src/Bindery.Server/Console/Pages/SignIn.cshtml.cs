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

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "AdminKey")] string? key)
    {
        // The admin API's check, guess limits included: a wrong key here counts as a wrong X-Admin-Key would.
        if (!await adminKey.CheckAsync(key, HttpContext.Connection.RemoteIpAddress, HttpContext.RequestAborted))
        {
            Refused = true;
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        await sessions.EndAsync(Request.Cookies[ConsoleSessions.CookieName], HttpContext.RequestAborted);
        ConsoleSetup.SetSessionCookie(HttpContext, await sessions.StartAsync(HttpContext.RequestAborted));
        return Redirect(ConsoleSetup.PathPrefix);
    }
}
