using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Webhooks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>One webhook endpoint and its deliveries by state, paged; a dead (or delivered) one can be sent again (<see cref="WebhookService.RetryDeliveryAsync"/>).</summary>
public sealed class WebhookModel(WebhookService webhooks) : PageModel
{
    public const int DefaultPageSize = 50;

    public string Id { get; private set; } = "";

    public string? State { get; private set; }

    public int PageSize { get; private set; } = DefaultPageSize;

    public WebhookView? Endpoint { get; private set; }

    public Page<DeliveryView> Deliveries { get; private set; } = new(0, 0, 0, []);

    public DeliveryView? Retried { get; private set; }

    public string? Error { get; private set; }

    public Task OnGetAsync(string id, string? state, int? offset) => LoadAsync(id, state, offset);

    public async Task OnPostRetryAsync(string id, [FromForm(Name = "EventId")] string? eventId, [FromForm(Name = "State")] string? state)
    {
        try
        {
            Retried = await webhooks.RetryDeliveryAsync(id, eventId ?? "", HttpContext.RequestAborted);
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        await LoadAsync(id, state, 0);
    }

    public string PageLink(int offset) =>
        $"{ConsoleSetup.PathPrefix}/webhooks/{Uri.EscapeDataString(Id)}?{(State is null ? "" : "state=" + Uri.EscapeDataString(State) + "&")}offset={offset}";

    private async Task LoadAsync(string id, string? state, int? offset)
    {
        Id = id;
        State = ConsoleFormat.Blank(state);
        try
        {
            Endpoint = await webhooks.GetAsync(id, HttpContext.RequestAborted);
            Deliveries = await webhooks.ListDeliveriesAsync(id, State, offset, PageSize, HttpContext.RequestAborted);
        }
        catch (BinderyException e)
        {
            Error ??= ConsoleErrors.Describe(e);
            Response.StatusCode = e.Error == Errors.WebhookNotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
        }
    }
}
