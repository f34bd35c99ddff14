using System.Net.Http.Json;
using System.Text.Json;

namespace Bindery.Bench;

/// <summary>
/// <c>--profile</c>: reads the server's store counters (<c>GET /admin/v1/diagnostics/store</c>, docs/admin-api.md)
/// before and after a phase; <see cref="StoreDelta"/> divides what the phase added by its requests.
/// </summary>
public sealed class StoreProfiler(HttpClient http, string adminKey)
{
    public async Task<StoreCounters> ReadAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/diagnostics/store");
        request.Headers.Add("X-Admin-Key", adminKey);
        using var response = await http.SendAsync(request);
        var envelope = await response.Content.ReadFromJsonAsync<JsonElement>();
        var data = envelope.GetProperty("data");
        long Field(string name) => data.GetProperty(name).GetInt64();
        return new StoreCounters(
            data.GetProperty("store").GetString()!, data.GetProperty("countsStatements").GetBoolean(),
            Field("writeOperations"), Field("writeTransactions"), Field("writerMicros"), Field("commitMicros"),
            Field("readStatements"), Field("writeStatements"), Field("readStatementMicros"), Field("writeStatementMicros"),
            data.TryGetProperty("pagesWritten", out var pages) ? pages.GetInt64() : 0);
    }

    /// <summary>Runs <paramref name="phase"/> between two reads of the counters and attaches the difference.</summary>
    public async Task<LoadResult> AroundAsync(Func<Task<LoadResult>> phase)
    {
        var before = await ReadAsync();
        var result = await phase();
        var after = await ReadAsync();
        return result with { Store = new StoreDelta(before, after, result.Requests, result.Seconds) };
    }

    internal static void PrintTable(IEnumerable<LoadResult> results)
    {
        var rows = results.Where(r => r.Store is not null).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        var sqlite = rows[0].Store!.After.Store == "sqlite";
        Console.WriteLine();
        Console.WriteLine("store profile per request (--profile; counters of GET /admin/v1/diagnostics/store over the phase ÷ its requests):");
        Console.WriteLine($"{"phase",-28} {"writes",7} {"write tx",8} {"writer µs",9} {"commit µs",9} {"stmts",6} {"reads",6} {"writes",6} {"stmt µs",8} {(sqlite ? "batches/s" : "retries"),9} {(sqlite ? "avg batch" : "tx/s"),9} {(sqlite ? "writer busy" : "in tx"),11}{(sqlite ? "  pages" : "")}");
        foreach (var r in rows)
        {
            var d = r.Store!;
            var third = sqlite ? $"{d.Transactions / d.Seconds,9:N0} {d.AverageBatch,9:0.0} {d.WriterMicros / 1e6 / d.Seconds,10:P0}" :
                $"{d.RetriesPerRequest,9:0.000} {d.Transactions / d.Seconds,9:N0} {d.WriterMicros / 1e6 / d.Seconds,10:0.0}c";
            var statements = d.After.CountsStatements
                ? $"{d.StatementsPerRequest,6:0.0} {d.ReadStatementsPerRequest,6:0.0} {d.WriteStatementsPerRequest,6:0.0} {d.StatementMicrosPerRequest,8:0.0}"
                : $"{"-",6} {"-",6} {"-",6} {"-",8}";
            var pages = sqlite ? $" {d.PagesWrittenPerRequest,6:0.0}" : "";
            Console.WriteLine($"{r.Name,-28} {d.WriteOperationsPerRequest,7:0.00} {d.TransactionsPerRequest,8:0.000} {d.WriterMicrosPerRequest,9:0.0} {d.CommitMicrosPerRequest,9:0.0} {statements} {third}{pages}");
        }
        Console.WriteLine(sqlite
            ? "writes = WriteAsync calls; write tx = group-commit batches (one fsync each); writer µs = the single writer's time inside batches incl. commit; " +
              "stmt µs = time inside SQLite statements (reads and writes, sqlite3_profile); writer busy = writer time ÷ phase time; " +
              "pages = 4 KiB pages the writer wrote to the WAL (sqlite3_db_status CACHE_WRITE)"
            : "writes = WriteAsync calls; write tx = transaction attempts (retries = attempts beyond the calls); writer µs = time inside write transactions incl. commit, " +
              "summed over connections; stmts = commands sent (a batch is one: one round trip), stmt µs their client-side duration; in tx = connections inside a write transaction on average");
    }
}

/// <summary>Cumulative store counters (times in µs).</summary>
public sealed record StoreCounters(
    string Store, bool CountsStatements, long WriteOperations, long WriteTransactions, long WriterMicros, long CommitMicros,
    long ReadStatements, long WriteStatements, long ReadStatementMicros, long WriteStatementMicros, long PagesWritten);

/// <summary>What one phase added to the store counters, per request.</summary>
public sealed record StoreDelta(StoreCounters Before, StoreCounters After, long Requests, double Seconds)
{
    private double Per(long value) => Requests == 0 ? 0 : (double)value / Requests;

    public long Operations => After.WriteOperations - Before.WriteOperations;

    public long Transactions => After.WriteTransactions - Before.WriteTransactions;

    public long WriterMicros => After.WriterMicros - Before.WriterMicros;

    public double WriteOperationsPerRequest => Per(Operations);

    public double TransactionsPerRequest => Per(Transactions);

    public double WriterMicrosPerRequest => Per(WriterMicros);

    public double CommitMicrosPerRequest => Per(After.CommitMicros - Before.CommitMicros);

    /// <summary>SQLite: pages the writer wrote to the WAL per request (0 on PostgreSQL).</summary>
    public double PagesWrittenPerRequest => Per(After.PagesWritten - Before.PagesWritten);

    public double ReadStatementsPerRequest => Per(After.ReadStatements - Before.ReadStatements);

    public double WriteStatementsPerRequest => Per(After.WriteStatements - Before.WriteStatements);

    public double StatementsPerRequest => ReadStatementsPerRequest + WriteStatementsPerRequest;

    public double StatementMicrosPerRequest =>
        Per(After.ReadStatementMicros - Before.ReadStatementMicros + After.WriteStatementMicros - Before.WriteStatementMicros);

    public double AverageBatch => Transactions == 0 ? 0 : (double)Operations / Transactions;

    public double RetriesPerRequest => Per(Transactions - Operations);
}
