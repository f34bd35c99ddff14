using System.Diagnostics;
using System.Net;
using System.Text;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Tests.Support;

namespace Bindery.Tests.Registry;

public sealed class DeviceImportTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private readonly HttpClient _admin = app.CreateAdminClient();

    private static long _serial = Random.Shared.NextInt64(100, 900) * 100_000_000;

    internal static string NewImei() => DeviceKeys.ImeiFromBody("86" + Interlocked.Increment(ref _serial).ToString("D12"));

    private async Task<Tenant.Product> NewProductAsync() => await (await Tenant.CreateAsync(app)).CreateProductAsync(bindingMode: 1);

    private Task<AdminAnswer> ImportAsync(string pk, string body, string mediaType) =>
        _admin.SendRawAsync(HttpMethod.Post, $"/admin/v1/products/{pk}/devices/import", body, mediaType);

    private async Task<long> DeviceCountAsync(string pk) =>
        (await _admin.GetAnswerAsync($"/admin/v1/products/{pk}/devices?limit=1")).Data.GetProperty("total").GetInt64();

    internal static string JsonLine(string dk, string sn, string secret = "secret-0123456789", string? extra = null) =>
        $"{{\"dk\":\"{dk}\",\"sn\":\"{sn}\",\"deviceSecret\":\"{secret}\"{extra}}}";

    [Fact]
    public async Task Json_lines_import_every_valid_line_and_report_each_bad_one_by_line_number()
    {
        var product = await NewProductAsync();
        var taken = await _admin.SendAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices", new { dk = NewImei(), sn = "TAKEN" });
        taken.AssertOk();
        var good1 = NewImei();
        var good2 = NewImei();
        var body = string.Join("\n",
            JsonLine(good1, "A1"),                                         // 1 ok
            JsonLine("490154203237519", "A2"),                             // 2 bad dk
            "",                                                            // 3 blank: ignored
            JsonLine(NewImei(), "TAKEN"),                                  // 4 sn already registered
            "{\"dk\":\"" + NewImei() + "\",\"sn\":\"A4\"}",                // 5 no secret
            "{not json",                                                   // 6
            JsonLine(good1, "A5"),                                         // 7 dk repeated from line 1
            JsonLine(NewImei(), "A1"),                                     // 8 sn repeated from line 1
            JsonLine(good2, "A6", extra: ",\"moduleType\":\"BG95\",\"dataCenter\":\"dc-eu\"")); // 9 ok
        var answer = await ImportAsync(product.Pk, body, "application/x-ndjson");
        answer.AssertOk();
        Assert.Equal(2, answer.Data.GetProperty("imported").GetInt32());
        Assert.Equal(6, answer.Data.GetProperty("skipped").GetInt32());
        var errors = answer.Data.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("code").GetInt32()))
            .OrderBy(e => e.Item1)
            .ToList();
        Assert.Equal([(2L, 5361), (4L, 9008), (5L, 9000), (6L, 9000), (7L, 9008), (8L, 9008)], errors);

        Assert.Equal(3, await DeviceCountAsync(product.Pk));
        var imported = (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{good2}")).Data;
        Assert.Equal(("A6", "secret-0123456789", "BG95", "dc-eu"),
            (imported.GetProperty("sn").GetString(), imported.GetProperty("deviceSecret").GetString(),
             imported.GetProperty("moduleType").GetString(), imported.GetProperty("dataCenter").GetString()));
        var defaults = (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{good1}")).Data;
        Assert.Equal((product.ModuleType, "dc-test"), (defaults.GetProperty("moduleType").GetString(), defaults.GetProperty("dataCenter").GetString()));
    }

    [Fact]
    public async Task Csv_imports_with_a_header_line_and_reports_bad_rows()
    {
        var product = await NewProductAsync();
        var mac = "A4CF12" + Random.Shared.Next(0x100000, 0xFFFFFF).ToString("X6");
        var body = new StringBuilder()
            .Append("dk,sn,deviceSecret,moduleType,dataCenter\r\n")
            .Append($"{NewImei()},C1,csv-secret-0123456789,,\r\n")
            .Append($"{mac[..2]}:{mac[2..4]}:{mac[4..6]}:{mac[6..8]}:{mac[8..10]}:{mac[10..]},\"C,2\",csv-secret-0123456789,ESP32,dc-eu\r\n")
            .Append($"{NewImei()},,csv-secret-0123456789\r\n")
            .Append("bad-dk,C4,csv-secret-0123456789\r\n")
            .ToString();
        var answer = await ImportAsync(product.Pk, body, "text/csv");
        answer.AssertOk();
        Assert.Equal(2, answer.Data.GetProperty("imported").GetInt32());
        Assert.Equal(2, answer.Data.GetProperty("skipped").GetInt32());
        Assert.Equal([(4L, 5088), (5L, 5361)], answer.Data.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("code").GetInt32())));
        var device = (await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices/{mac}")).Data;
        Assert.Equal(("C,2", "ESP32", "dc-eu"), (device.GetProperty("sn").GetString(), device.GetProperty("moduleType").GetString(), device.GetProperty("dataCenter").GetString()));
    }

    [Fact]
    public async Task Importing_the_same_file_twice_adds_nothing_the_second_time()
    {
        var product = await NewProductAsync();
        var body = string.Join("\n", Enumerable.Range(0, 20).Select(i => JsonLine(NewImei(), "R" + i)));
        var first = await ImportAsync(product.Pk, body, "application/x-ndjson");
        Assert.Equal(20, first.Data.GetProperty("imported").GetInt32());
        var second = await ImportAsync(product.Pk, body, "application/x-ndjson");
        Assert.Equal((0, 20), (second.Data.GetProperty("imported").GetInt32(), second.Data.GetProperty("skipped").GetInt32()));
        Assert.All(second.Data.GetProperty("errors").EnumerateArray(), e => Assert.Equal(9008, e.GetProperty("code").GetInt32()));
        Assert.Equal(20, await DeviceCountAsync(product.Pk));
    }

    [Fact]
    public async Task The_error_list_is_capped_but_every_skipped_line_is_counted()
    {
        var product = await NewProductAsync();
        var body = string.Join("\n", Enumerable.Range(0, 250).Select(i => JsonLine("bad", "E" + i)).Append(JsonLine(NewImei(), "OK")));
        var answer = await ImportAsync(product.Pk, body, "application/x-ndjson");
        answer.AssertOk();
        Assert.Equal((1, 250), (answer.Data.GetProperty("imported").GetInt32(), answer.Data.GetProperty("skipped").GetInt32()));
        var errors = answer.Data.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(100, errors.Count);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), errors.Select(e => e.GetProperty("line").GetInt64()));
    }

    [Fact]
    public async Task An_import_without_a_usable_format_or_product_is_refused_whole()
    {
        var product = await NewProductAsync();
        var line = JsonLine(NewImei(), "X1");
        (await ImportAsync(product.Pk, line, "application/json")).AssertError(Errors.InvalidParameter, HttpStatusCode.BadRequest, "Content-Type");
        (await ImportAsync("p-nope", line, "application/x-ndjson")).AssertError(Errors.NotFound, HttpStatusCode.NotFound, "p-nope");
        (await ImportAsync(product.Pk, "dk,sn\n" + NewImei() + ",X2\n", "text/csv")).AssertError(Errors.InvalidParameter, HttpStatusCode.BadRequest, "deviceSecret");
        Assert.Equal(0, await DeviceCountAsync(product.Pk));
    }

    [Fact]
    public async Task An_empty_body_imports_nothing()
    {
        var product = await NewProductAsync();
        var answer = await ImportAsync(product.Pk, "", "application/x-ndjson");
        answer.AssertOk();
        Assert.Equal((0, 0), (answer.Data.GetProperty("imported").GetInt32(), answer.Data.GetProperty("skipped").GetInt32()));
    }

    [Fact]
    public async Task A_hundred_thousand_devices_import_in_one_request()
    {
        var product = await NewProductAsync();
        var content = new StreamedContent("application/x-ndjson", stream => WriteLinesAsync(stream, 0, 100_000));
        var answer = await AdminHttp.ReadAsync(await app.CreateStreamingAdminClient().PostAsync($"/admin/v1/products/{product.Pk}/devices/import", content));
        answer.AssertOk();
        Assert.Equal((100_000, 0), (answer.Data.GetProperty("imported").GetInt32(), answer.Data.GetProperty("skipped").GetInt32()));
        Assert.Equal(100_000, await DeviceCountAsync(product.Pk));
    }

    internal static async Task WriteLinesAsync(Stream stream, int from, int to)
    {
        var buffer = new StringBuilder();
        for (var i = from; i < to; i++)
        {
            buffer.Append(JsonLine(NewImei(), "BULK" + i.ToString("D7"))).Append('\n');
            if (buffer.Length > 32_000 || i == to - 1)
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(buffer.ToString()));
                await stream.FlushAsync();
                buffer.Clear();
            }
        }
    }
}
