using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Webhooks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>Webhook endpoints through <see cref="WebhookService"/> (as <c>/admin/v1/webhooks</c>): list, register (the secret shown once), delete.</summary>
public sealed class WebhooksModel(WebhookService webhooks, RegistryService registry) : PageModel
{
    public Page<WebhookView> Endpoints { get; private set; } = new(0, 0, 0, []);

    public IReadOnlyList<string> Domains { get; private set; } = [];

    public IReadOnlyList<string> Products { get; private set; } = [];

    public WebhookForm Input { get; private set; } = new();

    public WebhookWithSecret? Created { get; private set; }

    public string? Deleted { get; private set; }

    public string? Error { get; private set; }

    public Task OnGetAsync() => LoadAsync();

    public async Task OnPostAsync([FromForm] WebhookForm form)
    {
        Input = form;
        try
        {
            Created = await webhooks.CreateAsync(new WebhookInput(ConsoleFormat.Blank(form.Url), ConsoleFormat.Blank(form.UserDomain),
                ConsoleFormat.Blank(form.Pk), [.. form.Kinds], form.Enabled), HttpContext.RequestAborted);
            Input = new WebhookForm();
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        await LoadAsync();
    }

    public async Task OnPostDeleteAsync([FromForm(Name = "Id")] string? id)
    {
        try
        {
            await webhooks.DeleteAsync(id ?? "", HttpContext.RequestAborted);
            Deleted = id;
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = e.Error == Errors.WebhookNotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
        }
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        Endpoints = await webhooks.ListAsync(0, AdminPage.MaxLimit, null, null, HttpContext.RequestAborted);
        Domains = (await registry.ListUserDomainsAsync(0, AdminPage.MaxLimit)).Items.Select(d => d.Id).ToArray();
        Products = (await registry.ListProductsAsync(0, AdminPage.MaxLimit)).Items.Select(p => p.Pk).ToArray();
    }
}

/// <summary>The register form's fields, as posted.</summary>
public sealed class WebhookForm
{
    public string? Url { get; set; }
    public string? UserDomain { get; set; }
    public string? Pk { get; set; }
    public List<string> Kinds { get; set; } = [];
    public bool Enabled { get; set; } = true;
}
