using System.Globalization;
using Bindery.Audit;
using Bindery.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Primitives;

namespace Bindery.AdminConsole.Pages;

/// <summary>
/// The audit log (<see cref="AuditLog"/>): binding events or refusals, filtered and paged exactly as
/// <c>GET /admin/v1/audit/events</c> and <c>/refusals</c> do (their parser, their refusals 9401–9406). The only
/// translation: the form's UTC date-times become the Unix milliseconds the API takes, and blank fields are left out.
/// </summary>
public sealed class AuditModel(AuditLog log) : PageModel
{
    private const string LocalFormat = "yyyy-MM-dd'T'HH:mm:ss";

    private static readonly string[] LocalFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.fff"];

    private static readonly string[] ApiParameters = ["pk", "dk", "userId", "fid", "userDomain", "from", "to", "limit", "cursor", "kind", "reason"];

    private Dictionary<string, StringValues> _query = [];

    public bool Refusals { get; private set; }

    public AuditPage<AuditEventView>? Events { get; private set; }

    public AuditPage<AuditRefusalView>? RefusalPage { get; private set; }

    public string? NextCursor => Events?.NextCursor ?? RefusalPage?.NextCursor;

    public bool HasCursor => _query.ContainsKey("cursor");

    public string? Error { get; private set; }

    public async Task OnGetAsync()
    {
        Refusals = Request.Query["view"] == "refusals";
        _query = Request.Query
            .Where(p => ApiParameters.Contains(p.Key, StringComparer.Ordinal))
            .Select(p => (p.Key, Values: new StringValues(p.Value.Where(v => !string.IsNullOrWhiteSpace(v)).ToArray())))
            .Where(p => p.Values.Count > 0)
            .ToDictionary(p => p.Key, p => p.Values, StringComparer.Ordinal);
        foreach (var name in new[] { "from", "to" })
        {
            if (_query.TryGetValue(name, out var value) && value.Count == 1
                && DateTime.TryParseExact(value[0], LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            {
                // to: the whole minute or second the form names is included.
                var ms = new DateTimeOffset(at, TimeSpan.Zero).ToUnixTimeMilliseconds() + (name == "to" ? (value.ToString().Length == 16 ? 59_999 : 999) : 0);
                _query[name] = ms.ToString(CultureInfo.InvariantCulture);
            }
        }
        var query = new QueryCollection(_query);
        try
        {
            var filter = AuditLog.ParseFilter(query, Refusals);
            if (Refusals)
            {
                var reasons = AuditLog.ParseList(query, "reason", RefusalReasons.All, Errors.AuditReasonUnknown);
                RefusalPage = await log.RefusalsAsync(filter, AuditLog.Id(query, "userDomain"), reasons);
            }
            else
            {
                var kinds = AuditLog.ParseList(query, "kind", AuditLog.EventKinds, Errors.AuditKindUnknown);
                Events = await log.EventsAsync(filter, AuditLog.Id(query, "fid"), kinds);
            }
        }
        catch (BinderyException e)
        {
            Error = ConsoleErrors.Describe(e);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
    }

    /// <summary>A filter's value as given (the form shows it back).</summary>
    public string? Value(string name) => Request.Query[name].FirstOrDefault();

    public bool Has(string name, string value) =>
        Request.Query[name].Any(v => (v ?? "").Split(',').Contains(value, StringComparer.Ordinal));

    /// <summary>A time filter for the date-time field: as typed, or the Unix ms of a paging link shown as UTC.</summary>
    public string? LocalValue(string name) =>
        _query.TryGetValue(name, out var value) && long.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(name == "to" ? ms - ms % 1000 : ms).UtcDateTime.ToString(LocalFormat, CultureInfo.InvariantCulture)
            : Value(name);

    /// <summary>This page's filters with <paramref name="cursor"/> (null: the newest page).</summary>
    public string PageLink(string? cursor)
    {
        var pairs = _query.Where(p => p.Key != "cursor").SelectMany(p => p.Value.Select(v => (p.Key, Value: v ?? "")))
            .Prepend(("view", Refusals ? "refusals" : "events"));
        if (cursor is not null)
        {
            pairs = pairs.Append(("cursor", cursor));
        }
        return ConsoleSetup.PathPrefix + "/audit?" + string.Join('&', pairs.Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}"));
    }
}
