using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Bindery.Infrastructure;

namespace Bindery.Registry;

/// <summary>
/// Reads a bulk-import body line by line as it arrives, holding at most one line (bounded by
/// <see cref="ImportOptions.MaxLineBytes"/>) plus the pipe's buffer in memory.
/// Formats: JSON lines (<c>{"dk":…,"sn":…,"deviceSecret":…,"moduleType":…,"dataCenter":…}</c> per line) or
/// CSV with a header line naming the columns (<c>dk,sn,deviceSecret[,moduleType,dataCenter]</c>, any order).
/// Blank lines are ignored; line numbers count every physical line from 1.
/// </summary>
public static class DeviceImportReader
{
    public enum Format
    {
        JsonLines,
        Csv,
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { MaxDepth = 4 };

    private static readonly string[] CsvColumns = ["dk", "sn", "deviceSecret", "moduleType", "dataCenter"];

    /// <summary>The import format for a Content-Type, or null when it is not one of the accepted ones.</summary>
    public static Format? FormatOf(string? contentType)
    {
        var mediaType = contentType?.Split(';', 2)[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            "application/x-ndjson" or "application/ndjson" or "application/jsonl" or "application/x-jsonlines" => Format.JsonLines,
            "text/csv" => Format.Csv,
            _ => null,
        };
    }

    public static IAsyncEnumerable<DeviceImportRow> ReadAsync(PipeReader body, Format format, ImportOptions limits, CancellationToken cancellationToken = default) =>
        format == Format.Csv ? ReadCsvAsync(body, limits, cancellationToken) : ReadJsonLinesAsync(body, limits, cancellationToken);

    private static async IAsyncEnumerable<DeviceImportRow> ReadJsonLinesAsync(PipeReader body, ImportOptions limits, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (number, line) in ReadLinesAsync(body, limits, cancellationToken))
        {
            if (line is null)
            {
                yield return new DeviceImportRow(number, null, $"line is longer than {limits.MaxLineBytes} bytes");
                continue;
            }
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            yield return ParseJsonLine(number, line);
        }
    }

    private static DeviceImportRow ParseJsonLine(long number, string line)
    {
        try
        {
            var device = JsonSerializer.Deserialize<DeviceInput>(line, JsonOptions);
            return device is null
                ? new DeviceImportRow(number, null, "line is not a JSON object")
                : new DeviceImportRow(number, device);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
            return new DeviceImportRow(number, null, $"invalid JSON{where}");
        }
    }

    private static async IAsyncEnumerable<DeviceImportRow> ReadCsvAsync(PipeReader body, ImportOptions limits, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int[]? columnOf = null;
        await foreach (var (number, line) in ReadLinesAsync(body, limits, cancellationToken))
        {
            if (line is null)
            {
                if (columnOf is null)
                {
                    throw new BinderyException(Errors.InvalidParameter, "CSV header line is too long");
                }
                yield return new DeviceImportRow(number, null, $"line is longer than {limits.MaxLineBytes} bytes");
                continue;
            }
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var fields = SplitCsv(line);
            if (columnOf is null)
            {
                columnOf = ParseHeader(fields);
                continue;
            }
            if (fields is null)
            {
                yield return new DeviceImportRow(number, null, "malformed CSV (unbalanced quotes)");
                continue;
            }
            string? Field(int column) => columnOf[column] is var i and >= 0 && i < fields.Count && fields[i].Length > 0 ? fields[i] : null;
            yield return new DeviceImportRow(number, new DeviceInput(Field(0), Field(1), Field(2), Field(3), Field(4)));
        }
    }

    /// <summary>Maps each known column (dk, sn, deviceSecret, moduleType, dataCenter) to its position, -1 if absent.</summary>
    private static int[] ParseHeader(List<string>? header)
    {
        if (header is null)
        {
            throw new BinderyException(Errors.InvalidParameter, "malformed CSV header");
        }
        var columnOf = new int[CsvColumns.Length];
        Array.Fill(columnOf, -1);
        for (var i = 0; i < header.Count; i++)
        {
            var known = Array.FindIndex(CsvColumns, c => string.Equals(c, header[i], StringComparison.OrdinalIgnoreCase));
            if (known < 0)
            {
                throw new BinderyException(Errors.InvalidParameter, $"CSV header: unknown column '{Truncate(header[i])}' (expected {string.Join(",", CsvColumns)})");
            }
            if (columnOf[known] >= 0)
            {
                throw new BinderyException(Errors.InvalidParameter, $"CSV header: column '{CsvColumns[known]}' appears twice");
            }
            columnOf[known] = i;
        }
        foreach (var required in new[] { 0, 1, 2 })
        {
            if (columnOf[required] < 0)
            {
                throw new BinderyException(Errors.InvalidParameter, $"CSV header must name the columns dk,sn,deviceSecret (missing {CsvColumns[required]})");
            }
        }
        return columnOf;
    }

    /// <summary>Splits one CSV record (RFC 4180 quoting, no line breaks inside fields); null when quotes do not balance.</summary>
    internal static List<string>? SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            field.Clear();
            while (i < line.Length && line[i] == ' ')
            {
                i++;
            }
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        return null;
                    }
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
                while (i < line.Length && line[i] == ' ')
                {
                    i++;
                }
                if (i < line.Length && line[i] != ',')
                {
                    return null;
                }
                fields.Add(field.ToString());
            }
            else
            {
                var end = line.IndexOf(',', i);
                if (end < 0)
                {
                    end = line.Length;
                }
                var raw = line[i..end];
                if (raw.Contains('"', StringComparison.Ordinal))
                {
                    return null;
                }
                fields.Add(raw.Trim());
                i = end;
            }
            if (i >= line.Length)
            {
                return fields;
            }
            i++; // the comma
            if (i == line.Length)
            {
                fields.Add("");
                return fields;
            }
        }
    }

    /// <summary>
    /// Yields (line number, text) per line; text is null for a line longer than the limit, which is skipped
    /// without being buffered. Throws <see cref="Errors.RequestTooLarge"/> once the body exceeds
    /// <see cref="ImportOptions.MaxBodyBytes"/> (also where the server does not enforce a body limit itself).
    /// </summary>
    internal static async IAsyncEnumerable<(long Number, string? Text)> ReadLinesAsync(
        PipeReader body, ImportOptions limits, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long number = 0;
        long consumedBytes = 0;
        var discarding = false;
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (consumedBytes + buffer.Length > limits.MaxBodyBytes)
            {
                throw new BinderyException(Errors.RequestTooLarge, $"import body is larger than {limits.MaxBodyBytes} bytes");
            }
            var lines = new List<(long, string?)>();
            while (buffer.PositionOf((byte)'\n') is { } newline)
            {
                var line = buffer.Slice(0, newline);
                number++;
                lines.Add((number, discarding || line.Length > limits.MaxLineBytes ? null : Decode(line, number)));
                discarding = false;
                var next = buffer.GetPosition(1, newline);
                consumedBytes += buffer.Slice(0, next).Length;
                buffer = buffer.Slice(next);
            }
            if (buffer.Length > limits.MaxLineBytes)
            {
                // Drop the overlong line's bytes as they come; it is reported when its end arrives.
                discarding = true;
                consumedBytes += buffer.Length;
                buffer = buffer.Slice(buffer.End);
            }
            var completed = result.IsCompleted;
            string? last = null;
            var hasLast = false;
            if (completed && (buffer.Length > 0 || discarding))
            {
                number++;
                hasLast = true;
                last = discarding ? null : Decode(buffer, number);
                consumedBytes += buffer.Length;
                buffer = buffer.Slice(buffer.End);
            }
            body.AdvanceTo(buffer.Start, buffer.End);
            foreach (var line in lines)
            {
                yield return line;
            }
            if (hasLast)
            {
                yield return (number, last);
            }
            if (completed)
            {
                await body.CompleteAsync();
                yield break;
            }
        }
    }

    private static string Decode(ReadOnlySequence<byte> line, long number)
    {
        var text = Encoding.UTF8.GetString(line);
        if (text.EndsWith('\r'))
        {
            text = text[..^1];
        }
        return number == 1 && text.StartsWith('\uFEFF') ? text[1..] : text;
    }

    private static string Truncate(string value) => value.Length <= 32 ? value : value[..32] + "…";
}
