using Bindery.Infrastructure;
using Bindery.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>Lists and creates user domains through <see cref="RegistryService"/>, the admin API's own service.</summary>
public sealed class UserDomainsModel(RegistryService registry) : PageModel
{
    public Page<UserDomainView> Domains { get; private set; } = new(0, 0, 0, []);

    public string? Error { get; private set; }

    public UserDomainView? Created { get; private set; }

    public async Task OnGetAsync() => Domains = await registry.ListUserDomainsAsync(0, AdminPage.MaxLimit);

    public async Task OnPostAsync([FromForm(Name = "Id")] string? id, [FromForm(Name = "HomeMode")] bool homeMode)
    {
        try
        {
            Created = await registry.CreateUserDomainAsync(new UserDomainInput(string.IsNullOrWhiteSpace(id) ? null : id.Trim(), homeMode, null));
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        Domains = await registry.ListUserDomainsAsync(0, AdminPage.MaxLimit);
    }
}
