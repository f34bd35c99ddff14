using System.Net;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Registry;

/// <summary>
/// <c>GET /admin/v1/diagnostics/store</c> (docs/admin-api.md): the store's cumulative counters, read by the
/// benchmark's <c>--profile</c> before and after each phase. Writes, write transactions and the time inside them are
/// always counted; SQL statements only with <c>Storage:Profile=true</c>.
/// </summary>
public sealed class StoreDiagnosticsTests
{
    private const string Route = "/admin/v1/diagnostics/store";

    private static string SuiteStore => Environment.GetEnvironmentVariable("BINDERY_TEST_STORE") == "postgres" ? "postgres" : "sqlite";

    [Fact]
    public async Task Writes_and_the_time_inside_write_transactions_are_counted_and_statements_are_not_by_default()
    {
        await using var app = new BinderyApp();
        var admin = app.CreateAdminClient();
        var before = await CountersAsync(admin);

        (await admin.SendAsync(HttpMethod.Post, "/admin/v1/user-domains", new { homeMode = false })).AssertOk();
        var after = await CountersAsync(admin);

        Assert.Equal(SuiteStore, after.GetProperty("store").GetString());
        Assert.False(after.GetProperty("countsStatements").GetBoolean());
        Assert.True(Field(after, "writeOperations") > Field(before, "writeOperations"));
        Assert.True(Field(after, "writeTransactions") > Field(before, "writeTransactions"));
        Assert.True(Field(after, "writerMicros") >= Field(after, "commitMicros"));
        Assert.Equal(0, Field(after, "readStatements") + Field(after, "writeStatements"));
        // The pages a commit wrote to the WAL: SQLite counts them (a user-domain row and its index entries are at
        // least one page), PostgreSQL does not.
        if (SuiteStore == "sqlite")
        {
            Assert.True(Field(after, "pagesWritten") > Field(before, "pagesWritten"));
        }
        else
        {
            Assert.Equal(0, Field(after, "pagesWritten"));
        }
    }

    [Fact]
    public async Task With_Storage_Profile_the_statements_of_reads_and_writes_are_counted_apart()
    {
        await using var app = new BinderyApp(new Dictionary<string, string?> { ["Storage:Profile"] = "true" });
        var admin = app.CreateAdminClient();
        (await admin.SendAsync(HttpMethod.Post, "/admin/v1/user-domains", new { homeMode = false })).AssertOk();
        var before = await CountersAsync(admin);

        (await admin.SendAsync(HttpMethod.Post, "/admin/v1/user-domains", new { homeMode = true })).AssertOk();
        var afterWrite = await CountersAsync(admin);
        (await admin.GetAnswerAsync("/admin/v1/user-domains")).AssertOk();
        var afterRead = await CountersAsync(admin);

        Assert.True(afterWrite.GetProperty("countsStatements").GetBoolean());
        Assert.True(Field(afterWrite, "writeStatements") > Field(before, "writeStatements"), $"{before} → {afterWrite}");
        Assert.True(Field(afterRead, "readStatements") > Field(afterWrite, "readStatements"), $"{afterWrite} → {afterRead}");
    }

    [Fact]
    public async Task Without_the_admin_key_the_counters_are_refused_like_every_admin_route()
    {
        await using var app = new BinderyApp();
        var answer = await app.CreateClient().SendAsync(HttpMethod.Get, Route);
        answer.AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
    }

    private static async Task<JsonElement> CountersAsync(HttpClient admin)
    {
        var answer = await admin.GetAnswerAsync(Route);
        answer.AssertOk();
        return answer.Data.Clone();
    }

    private static long Field(JsonElement counters, string name) => counters.GetProperty(name).GetInt64();
}
