using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Tencent;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>Lists and creates Tencent-style apps through <see cref="TencentApps"/>, as <c>/admin/v1/tencent-apps</c> does; the AppSecret is shown in the create answer only.</summary>
public sealed class AppsModel(TencentApps apps, RegistryService registry) : PageModel
{
    public IReadOnlyList<TencentApps.AppView> Apps { get; private set; } = [];

    public IReadOnlyList<string> Domains { get; private set; } = [];

    public string? Name { get; private set; }

    public string? UserDomain { get; private set; }

    public string? Error { get; private set; }

    public TencentApps.CreatedApp? Created { get; private set; }

    public Task OnGetAsync() => LoadAsync();

    public async Task OnPostAsync([FromForm(Name = "Name")] string? name, [FromForm(Name = "UserDomain")] string? userDomain)
    {
        (Name, UserDomain) = (name, userDomain);
        try
        {
            Created = await apps.CreateAsync(new TencentApps.AppInput(ConsoleFormat.Blank(userDomain), name));
            (Name, UserDomain) = (null, null);
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        Apps = await apps.ListAsync();
        Domains = (await registry.ListUserDomainsAsync(0, AdminPage.MaxLimit)).Items.Select(d => d.Id).ToArray();
    }
}
