using Bindery.Infrastructure;
using Bindery.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>Edits a user domain through <see cref="RegistryService.UpdateUserDomainAsync"/> (the admin API's PATCH and its rules).</summary>
public sealed class UserDomainModel(RegistryService registry) : PageModel
{
    public string Id { get; private set; } = "";

    public UserDomainView? Domain { get; private set; }

    public string? Error { get; private set; }

    public bool Saved { get; private set; }

    public Task OnGetAsync(string id) => LoadAsync(id);

    public async Task OnPostAsync(string id, [FromForm(Name = "HomeMode")] bool homeMode,
        [FromForm(Name = "TencentEnvelope")] string? tencentEnvelope, [FromForm(Name = "RotateSecret")] bool rotateSecret)
    {
        try
        {
            await registry.UpdateUserDomainAsync(id, new UserDomainPatch(homeMode, null, rotateSecret, tencentEnvelope ?? "default"));
            Saved = true;
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = e.Error == Errors.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
        }
        await LoadAsync(id);
    }

    private async Task LoadAsync(string id)
    {
        Id = id;
        Domain = await registry.GetUserDomainAsync(id) is { } row ? UserDomainView.From(row) : null;
        if (Domain is null)
        {
            Error ??= ConsoleErrors.Describe(new BinderyException(Errors.NotFound, $"user domain '{id}' does not exist"));
            Response.StatusCode = StatusCodes.Status404NotFound;
        }
    }
}
