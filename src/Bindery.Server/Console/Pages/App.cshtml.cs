using Bindery.Infrastructure;
using Bindery.Tencent;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>One Tencent-style app: rename or delete it through <see cref="TencentApps"/> (as <c>PATCH</c>/<c>DELETE /admin/v1/tencent-apps/{appKey}</c>).</summary>
public sealed class AppModel(TencentApps apps) : PageModel
{
    public string AppKey { get; private set; } = "";

    public TencentApps.AppView? App { get; private set; }

    public string? Name { get; private set; }

    public string? Error { get; private set; }

    public bool Saved { get; private set; }

    public Task OnGetAsync(string appKey) => LoadAsync(appKey);

    public async Task OnPostAsync(string appKey, [FromForm(Name = "Name")] string? name)
    {
        try
        {
            await apps.UpdateAsync(appKey, new TencentApps.AppPatch(name));
            Saved = true;
        }
        catch (BinderyException e)
        {
            Name = name;
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        await LoadAsync(appKey);
    }

    public async Task<IActionResult> OnPostDeleteAsync(string appKey)
    {
        try
        {
            await apps.DeleteAsync(appKey);
            return Redirect(ConsoleSetup.PathPrefix + "/apps");
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(appKey);
            return Page();
        }
    }

    private async Task LoadAsync(string appKey)
    {
        AppKey = appKey;
        App = (await apps.ListAsync()).FirstOrDefault(a => a.AppKey == appKey);
        if (App is null && Error is null)
        {
            Error = ConsoleErrors.Describe(new BinderyException(Errors.NotFound, "no such app"));
            Response.StatusCode = StatusCodes.Status404NotFound;
        }
    }
}
