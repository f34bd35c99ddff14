using Bindery.Infrastructure;
using Bindery.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>Edits a product through <see cref="RegistryService.UpdateProductAsync"/> (the admin API's PATCH and its rules).</summary>
public sealed class ProductModel(RegistryService registry) : PageModel
{
    public string Pk { get; private set; } = "";

    public bool Found { get; private set; }

    public ProductForm Input { get; private set; } = new();

    public IReadOnlyList<string> Domains { get; private set; } = [];

    public string? Error { get; private set; }

    public bool Saved { get; private set; }

    public async Task OnGetAsync(string pk)
    {
        Pk = pk;
        await LoadAsync(pk, fill: true);
    }

    public async Task OnPostAsync(string pk, [FromForm] ProductForm form)
    {
        Pk = pk;
        try
        {
            // Every field is sent: unchanged values pass the same checks and change nothing.
            await registry.UpdateProductAsync(pk, new ProductPatch(
                null, form.Name ?? "", form.LogoUrl ?? "", form.ModuleType ?? "", form.BindingMode, form.UserCap,
                form.Methods, form.UserDomains, form.SnPairingRequired, ConsoleFormat.Blank(form.DeviceKeyFormat)));
            Saved = true;
            await LoadAsync(pk, fill: true);
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = e.Error == Errors.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
            Input = form;
            await LoadAsync(pk, fill: false);
        }
    }

    private async Task LoadAsync(string pk, bool fill)
    {
        Domains = (await registry.ListUserDomainsAsync(0, AdminPage.MaxLimit)).Items.Select(d => d.Id).ToArray();
        var product = await registry.GetProductViewAsync(pk);
        Found = product is not null;
        if (product is null)
        {
            Error ??= ConsoleErrors.Describe(new BinderyException(Errors.NotFound, $"product '{pk}' does not exist"));
            Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (fill)
        {
            Input = new ProductForm
            {
                Pk = product.Pk,
                Name = product.Name,
                LogoUrl = product.LogoUrl,
                ModuleType = product.ModuleType,
                BindingMode = product.BindingMode,
                UserCap = product.UserCap,
                Methods = [.. product.Methods],
                UserDomains = [.. product.UserDomains],
                SnPairingRequired = product.SnPairingRequired,
                DeviceKeyFormat = product.DeviceKeyFormat,
            };
        }
    }
}
