using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Bindery.Infrastructure;
using Bindery.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Bindery.AdminConsole.Pages;

/// <summary>
/// Device search, and the bulk import: the uploaded file goes through <see cref="DeviceImportReader"/> and
/// <see cref="RegistryService.ImportDevicesAsync"/>, exactly as the admin API's <c>/devices/import</c> does.
/// </summary>
[RequestSizeLimit(ImportLimitBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = ImportLimitBytes)]
public sealed class DevicesModel(RegistryService registry, ConsoleDevices devices, IOptions<ImportOptions> importOptions) : PageModel
{
    /// <summary>The upload's own ceiling; the import's configured limit (<c>Bindery:Import:MaxBodyBytes</c>) is checked on the file.</summary>
    public const long ImportLimitBytes = 256L * 1024 * 1024;

    public string? Query { get; private set; }

    public IReadOnlyList<DeviceHit> Hits { get; private set; } = [];

    public IReadOnlyList<string> Products { get; private set; } = [];

    public ImportResult? Result { get; private set; }

    public string? ReportCsv { get; private set; }

    public string? Error { get; private set; }

    public async Task OnGetAsync(string? q)
    {
        if (!string.IsNullOrWhiteSpace(q))
        {
            Query = q.Trim();
            Hits = await devices.SearchAsync(Query);
        }
        await LoadProductsAsync();
    }

    public async Task OnPostImportAsync([FromForm(Name = "Pk")] string? pk, [FromForm(Name = "File")] IFormFile? file, CancellationToken cancellationToken)
    {
        try
        {
            var limits = importOptions.Value;
            if (string.IsNullOrEmpty(pk))
            {
                throw new BinderyException(Errors.InvalidParameter, "choose a product");
            }
            if (file is null || file.Length == 0)
            {
                throw new BinderyException(Errors.InvalidParameter, "choose a non-empty file");
            }
            if (file.Length > limits.MaxBodyBytes)
            {
                throw new BinderyException(Errors.RequestTooLarge, $"import body is larger than {limits.MaxBodyBytes} bytes");
            }
            var format = FormatOf(file);
            await using var stream = file.OpenReadStream();
            var rows = DeviceImportReader.ReadAsync(PipeReader.Create(stream), format, limits, cancellationToken);
            Result = await registry.ImportDevicesAsync(pk, rows, cancellationToken);
            ReportCsv = Report(Result);
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        await LoadProductsAsync();
    }

    /// <summary>
    /// The rejected lines as a CSV download (the report travels in the form, so nothing is kept on the server). A
    /// browser sends a form field's line breaks as CRLF: they are put back as the page wrote them.
    /// </summary>
    public IActionResult OnPostReport([FromForm(Name = "Report")] string? report) =>
        File(Encoding.UTF8.GetBytes((report ?? "").ReplaceLineEndings("\n")), "text/csv", "import-rejected-lines.csv");

    private static DeviceImportReader.Format FormatOf(IFormFile file)
    {
        var byType = DeviceImportReader.FormatOf(file.ContentType);
        if (byType is not null)
        {
            return byType.Value;
        }
        var extension = Path.GetExtension(file.FileName).ToLowerInvariant();
        return extension switch
        {
            ".csv" => DeviceImportReader.Format.Csv,
            ".ndjson" or ".jsonl" => DeviceImportReader.Format.JsonLines,
            _ => throw new BinderyException(Errors.InvalidParameter, "the file must be CSV (.csv) or NDJSON (.ndjson, .jsonl)"),
        };
    }

    private static string Report(ImportResult result)
    {
        var csv = new StringBuilder("line,code,message\n");
        foreach (var e in result.Errors)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{e.Line},{e.Code},\"{e.Message.Replace("\"", "\"\"", StringComparison.Ordinal)}\"\n");
        }
        return csv.ToString();
    }

    private async Task LoadProductsAsync() =>
        Products = (await registry.ListProductsAsync(0, AdminPage.MaxLimit)).Items.Select(p => p.Pk).ToArray();
}
