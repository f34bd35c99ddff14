using System.IO.Pipelines;
using System.Text;
using Bindery.Infrastructure;
using Bindery.Registry;

namespace Bindery.Tests.Registry;

public sealed class DeviceImportReaderTests
{
    private static readonly ImportOptions Limits = new() { MaxLineBytes = 64, MaxBodyBytes = 4096 };

    private static async Task<List<DeviceImportRow>> ReadAsync(string body, DeviceImportReader.Format format, ImportOptions? limits = null)
    {
        var pipe = PipeReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(body)), new StreamPipeReaderOptions(bufferSize: 16, minimumReadSize: 8));
        var rows = new List<DeviceImportRow>();
        await foreach (var row in DeviceImportReader.ReadAsync(pipe, format, limits ?? Limits))
        {
            rows.Add(row);
        }
        return rows;
    }

    [Fact]
    public async Task Json_lines_are_numbered_from_one_and_blank_lines_are_ignored()
    {
        var rows = await ReadAsync("{\"dk\":\"a\",\"sn\":\"1\"}\r\n\n{\"dk\":\"b\",\"sn\":\"2\",\"deviceSecret\":\"s\"}", DeviceImportReader.Format.JsonLines);
        Assert.Collection(rows,
            r => Assert.Equal((1L, "a", "1"), (r.Line, r.Device!.Dk, r.Device.Sn)),
            r => Assert.Equal((3L, "b", "s"), (r.Line, r.Device!.Dk, r.Device.DeviceSecret)));
    }

    [Fact]
    public async Task A_bad_json_line_is_reported_with_its_number_and_the_rest_still_read()
    {
        var rows = await ReadAsync("{\"dk\":5}\nnot json\nnull\n{\"dk\":\"c\"}\n", DeviceImportReader.Format.JsonLines);
        Assert.Equal([1L, 2L, 3L, 4L], rows.Select(r => r.Line));
        Assert.Contains("$.dk", rows[0].ParseError, StringComparison.Ordinal);
        Assert.NotNull(rows[1].ParseError);
        Assert.NotNull(rows[2].ParseError);
        Assert.Equal("c", rows[3].Device!.Dk);
    }

    [Fact]
    public async Task An_overlong_line_is_skipped_and_reported_without_losing_the_next_one()
    {
        var longLine = "{\"dk\":\"" + new string('x', 500) + "\"}";
        var rows = await ReadAsync(longLine + "\n{\"dk\":\"after\"}\n", DeviceImportReader.Format.JsonLines);
        Assert.Equal(2, rows.Count);
        Assert.Contains("longer than 64 bytes", rows[0].ParseError, StringComparison.Ordinal);
        Assert.Equal((2L, "after"), (rows[1].Line, rows[1].Device!.Dk));
    }

    [Fact]
    public async Task A_body_over_the_import_limit_is_refused()
    {
        var body = string.Concat(Enumerable.Repeat("{\"dk\":\"a\"}\n", 1000));
        var error = await Assert.ThrowsAsync<BinderyException>(() => ReadAsync(body, DeviceImportReader.Format.JsonLines));
        Assert.Equal(Errors.RequestTooLarge, error.Error);
    }

    [Fact]
    public async Task Csv_columns_follow_the_header_in_any_order_with_optional_columns()
    {
        var rows = await ReadAsync("\uFEFFsn,DK,deviceSecret,dataCenter\nS1,d1,sec1,\n\"S,2\",d2,\"se\"\"c\",dc-2\n", DeviceImportReader.Format.Csv);
        Assert.Collection(rows,
            r => Assert.Equal(new DeviceInput("d1", "S1", "sec1", null, null), r.Device),
            r => Assert.Equal(new DeviceInput("d2", "S,2", "se\"c", null, "dc-2"), r.Device));
        Assert.Equal([2L, 3L], rows.Select(r => r.Line));
    }

    [Theory]
    [InlineData("dk,sn\n", "deviceSecret")]
    [InlineData("dk,sn,deviceSecret,colour\n", "colour")]
    [InlineData("dk,sn,dk,deviceSecret\n", "twice")]
    public async Task A_csv_header_without_the_required_columns_refuses_the_whole_import(string body, string mentioned)
    {
        var error = await Assert.ThrowsAsync<BinderyException>(() => ReadAsync(body + "a,b,c\n", DeviceImportReader.Format.Csv));
        Assert.Equal(Errors.InvalidParameter, error.Error);
        Assert.Contains(mentioned, error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_csv_line_with_unbalanced_quotes_is_reported()
    {
        var rows = await ReadAsync("dk,sn,deviceSecret\n\"d1,S1,sec\nd2,S2,sec\n", DeviceImportReader.Format.Csv);
        Assert.NotNull(rows[0].ParseError);
        Assert.Equal("d2", rows[1].Device!.Dk);
    }

    [Theory]
    [InlineData("a,b,c", new[] { "a", "b", "c" })]
    [InlineData(" a , b ,c ", new[] { "a", "b", "c" })]
    [InlineData("a,,c,", new[] { "a", "", "c", "" })]
    [InlineData("\"a,b\",\"\"\"q\"\"\"", new[] { "a,b", "\"q\"" })]
    public void Csv_fields_split_by_rfc4180_quoting(string line, string[] expected) =>
        Assert.Equal(expected, DeviceImportReader.SplitCsv(line));

    [Theory]
    [InlineData("application/x-ndjson", DeviceImportReader.Format.JsonLines)]
    [InlineData("application/x-ndjson; charset=utf-8", DeviceImportReader.Format.JsonLines)]
    [InlineData("text/csv", DeviceImportReader.Format.Csv)]
    [InlineData("TEXT/CSV; charset=utf-8", DeviceImportReader.Format.Csv)]
    [InlineData("application/json", null)]
    [InlineData(null, null)]
    public void The_format_follows_the_content_type(string? contentType, DeviceImportReader.Format? expected) =>
        Assert.Equal(expected, DeviceImportReader.FormatOf(contentType));
}
