using Bindery.Infrastructure;
using Bindery.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole.Pages;

/// <summary>Lists and creates products through <see cref="RegistryService"/>: the admin API's validation, its catalogued refusals.</summary>
public sealed class ProductsModel(RegistryService registry) : PageModel
{
    public static readonly IReadOnlyList<(string Name, string Hint)> MethodChoices =
    [
        ("SN", "the serial number printed on the device"),
        ("WIFI", "a binding code the device reports while being provisioned over Wi-Fi"),
        ("BT", "a binding code exchanged over Bluetooth"),
        ("TOKEN", "a token the device reports (Tencent-style)"),
        ("SIG", "a signature the device computes with its secret, relayed by the app (Tencent-style, single use)"),
        ("QR", "a maker-issued QR signature on the label: proves no more than an SN, so the binding is unverified"),
        ("DK", "pk/dk plus the binding code the device reported (Quectel bindDeviceDk)"),
        ("SUB_DEVICE", "a sub-device its gateway reported pairing with, bound by the gateway's holder"),
    ];

    public Page<ProductView> Products { get; private set; } = new(0, 0, 0, []);

    public IReadOnlyList<string> Domains { get; private set; } = [];

    public ProductForm Input { get; private set; } = new();

    public string? Error { get; private set; }

    public ProductView? Created { get; private set; }

    public static string ModeName(int mode) => mode switch
    {
        (int)BindingMode.MultiUser => "Multi-user",
        (int)BindingMode.Owner => "Owner",
        (int)BindingMode.Rotation => "Rotation",
        _ => mode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public Task OnGetAsync() => LoadAsync();

    public async Task OnPostAsync([FromForm] ProductForm form)
    {
        Input = form;
        try
        {
            Created = await registry.CreateProductAsync(new ProductInput(
                Blank(form.Pk), null, form.Name, form.LogoUrl, form.ModuleType, form.BindingMode, form.UserCap,
                form.Methods, form.UserDomains, form.SnPairingRequired, Blank(form.DeviceKeyFormat)));
            Input = new ProductForm();
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
        Products = await registry.ListProductsAsync(0, AdminPage.MaxLimit);
        Domains = (await registry.ListUserDomainsAsync(0, AdminPage.MaxLimit)).Items.Select(d => d.Id).ToArray();
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>The create form's fields, as posted.</summary>
public sealed class ProductForm
{
    public string? Pk { get; set; }
    public string? Name { get; set; }
    public string? LogoUrl { get; set; }
    public string? ModuleType { get; set; }
    public int? BindingMode { get; set; } = 1;
    public int? UserCap { get; set; }
    public List<string> Methods { get; set; } = [];
    public List<string> UserDomains { get; set; } = [];
    public bool SnPairingRequired { get; set; }
    public string? DeviceKeyFormat { get; set; } = DeviceKeyFormatNames.ImeiOrMac;
}

/// <summary>What the shared product fields render: the values, the user domains to offer, and whether an existing product is edited.</summary>
public sealed record ProductFields(ProductForm Input, IReadOnlyList<string> Domains, bool Editing);
