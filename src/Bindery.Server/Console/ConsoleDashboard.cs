using System.Globalization;
using System.Text;
using Bindery.Infrastructure;
using Bindery.Observability;

namespace Bindery.AdminConsole;

/// <summary>
/// The console home's numbers: this node's bind attempts over the last hour (<see cref="BindRates"/>), per minute and
/// by method, outcome and code, and the chart of them as inline SVG drawn on the server.
/// </summary>
public sealed class ConsoleDashboard
{
    public ConsoleDashboard(IReadOnlyList<BindRates.Row> rows, long currentMinuteStart)
    {
        CurrentMinuteStart = currentMinuteStart;
        Minutes = Enumerable.Range(0, BindRates.Minutes)
            .Select(i => currentMinuteStart - (BindRates.Minutes - 1 - i) * 60_000L)
            .Select(start => new MinuteTotals(start,
                rows.Where(r => r.MinuteStart == start && r.Outcome == BinderyMetrics.Outcomes.Bound).Sum(r => r.Count),
                rows.Where(r => r.MinuteStart == start && r.Outcome == BinderyMetrics.Outcomes.Refused).Sum(r => r.Count)))
            .ToList();
        ByMethodAndCode = rows
            .GroupBy(r => (r.Method, r.Outcome, r.Code))
            .Select(g => new MethodCodeTotals(g.Key.Method, g.Key.Outcome, g.Key.Code, CodeName(g.Key.Code), g.Sum(r => r.Count),
                g.Where(r => r.MinuteStart == currentMinuteStart).Sum(r => r.Count)))
            .OrderBy(t => t.Method, StringComparer.Ordinal).ThenBy(t => t.Outcome, StringComparer.Ordinal).ThenBy(t => t.Code, StringComparer.Ordinal)
            .ToList();
    }

    public sealed record MinuteTotals(long MinuteStart, long Bound, long Refused);

    public sealed record MethodCodeTotals(string Method, string Outcome, string Code, string CodeName, long LastHour, long ThisMinute);

    public long CurrentMinuteStart { get; }

    /// <summary>The last 60 minutes, oldest first, the current one last (it is still counting).</summary>
    public IReadOnlyList<MinuteTotals> Minutes { get; }

    public IReadOnlyList<MethodCodeTotals> ByMethodAndCode { get; }

    public long TotalBound => Minutes.Sum(m => m.Bound);

    public long TotalRefused => Minutes.Sum(m => m.Refused);

    private static string CodeName(string code) =>
        code == "0" ? "" : Errors.All.FirstOrDefault(e => e.Code.ToString(CultureInfo.InvariantCulture) == code) is { } e ? e.Name : "";

    /// <summary>
    /// Stacked bars, one per minute (bound below, refused on top), with a title and a description for assistive
    /// technology; the same numbers are in the page's tables. Only numbers and fixed words go into the markup.
    /// </summary>
    public string ChartSvg()
    {
        const int barWidth = 10, plotHeight = 120, left = 36, top = 10, bottom = 24;
        var width = left + Minutes.Count * barWidth + 8;
        var height = top + plotHeight + bottom;
        var max = Math.Max(1, Minutes.Max(m => m.Bound + m.Refused));
        var svg = new StringBuilder();
        string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append("<title id=\"chart-title\">Bind attempts per minute on this node, last 60 minutes</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<desc id=\"chart-desc\">Bars per minute, bound in green below refused in red. In the last hour: {TotalBound} bound, {TotalRefused} refused; the busiest minute had {max}. The numbers are in the tables below.</desc>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top + plotHeight}\" x2=\"{width - 4}\" y2=\"{top + plotHeight}\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + 8}\" text-anchor=\"end\">{max}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + plotHeight}\" text-anchor=\"end\">0</text>");
        for (var i = 0; i < Minutes.Count; i++)
        {
            var m = Minutes[i];
            var x = left + i * barWidth + 1;
            var boundHeight = (double)m.Bound / max * plotHeight;
            var refusedHeight = (double)m.Refused / max * plotHeight;
            if (m.Bound > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bound\" x=\"{x}\" y=\"{N(top + plotHeight - boundHeight)}\" width=\"{barWidth - 2}\" height=\"{N(boundHeight)}\"/>");
            }
            if (m.Refused > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"refused\" x=\"{x}\" y=\"{N(top + plotHeight - boundHeight - refusedHeight)}\" width=\"{barWidth - 2}\" height=\"{N(refusedHeight)}\"/>");
            }
            if (i % 15 == 0 || i == Minutes.Count - 1)
            {
                var anchor = i == Minutes.Count - 1 ? "end" : i == 0 ? "start" : "middle";
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(i == Minutes.Count - 1 ? x + barWidth : x + barWidth / 2)}\" y=\"{height - 8}\" text-anchor=\"{anchor}\">{ConsoleFormat.Minute(m.MinuteStart)}</text>");
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }
}
