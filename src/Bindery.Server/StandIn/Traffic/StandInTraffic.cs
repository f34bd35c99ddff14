using System.Text.Json;
using System.Text.Json.Nodes;
using Bindery.Infrastructure;
using Bindery.Tencent;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Bindery.StandIn;

/// <summary>
/// The stand-in mode's view of the app and device APIs' traffic: one middleware that reads each request once
/// (<see cref="StandInCall"/>), lets the fault rules decide what it suffers (<see cref="StandInFaults"/>) and
/// journals it with its answer (<see cref="RequestJournal"/>). It is only in the pipeline when the mode is on, and
/// even then does nothing for a request of another API, or when there is no active rule and the journal is off.
/// </summary>
public static class StandInTraffic
{
    /// <summary>Registers the fault rules and the journal with their options (<c>Bindery:StandIn:Faults</c>, <c>Bindery:StandIn:Journal</c>).</summary>
    public static IServiceCollection AddStandInTraffic(this IServiceCollection services)
    {
        services.AddOptions<StandInFaultOptions>().BindConfiguration("Bindery:StandIn:Faults");
        services.AddOptions<StandInJournalOptions>().BindConfiguration("Bindery:StandIn:Journal")
            .Validate(o => o.Capacity is >= 1 and <= 1_000_000, "Bindery:StandIn:Journal:Capacity must be from 1 to 1000000")
            .Validate(o => o.MaxBodyBytes is >= 256 and <= 16 * 1024 * 1024, "Bindery:StandIn:Journal:MaxBodyBytes must be from 256 to 16 MiB")
            .ValidateOnStart();
        services.AddSingleton<StandInFaults>();
        services.AddSingleton<RequestJournal>();
        return services;
    }

    /// <summary>
    /// The middleware (outside the error handling, so the journal sees every final answer). A fault is applied
    /// before the endpoint runs, so nothing is written for a request a fault answers or drops: latency first, then
    /// the catalogued error written in the endpoint's own envelope (<see cref="ErrorHandling.WriteErrorAsync"/>) or
    /// the connection aborted. A faulted request never reaches the metrics: it did not happen as far as they know.
    /// </summary>
    public static IApplicationBuilder UseStandInTraffic(this IApplicationBuilder app)
    {
        var services = app.ApplicationServices;
        var faults = services.GetRequiredService<StandInFaults>();
        var journal = services.GetRequiredService<RequestJournal>();
        var clock = services.GetRequiredService<TimeProvider>();
        var maxBody = services.GetRequiredService<IOptions<StandInJournalOptions>>().Value.MaxBodyBytes;
        return app.Use(async (context, next) =>
        {
            if ((!journal.Enabled && !faults.Active) || StandInDialects.Of(context) is not { } dialect)
            {
                await next(context);
                return;
            }
            var at = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var started = clock.GetTimestamp();
            var call = await StandInCall.ReadAsync(context, dialect, maxBody);
            var effect = faults.Decide(call);
            if (dialect == StandInDialects.Tencent && effect?.Error is not null)
            {
                await DecideTencentEnvelopeAsync(context, call);
            }
            if (!journal.Enabled)
            {
                await SufferAsync(context, effect, next);
                return;
            }

            var seq = journal.NextSeq();
            var original = context.Response.Body;
            var capture = new CapturingStream(original, maxBody);
            context.Response.Body = capture;
            Exception? thrown = null;
            try
            {
                await SufferAsync(context, effect, next);
                if (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
                }
            }
            catch (Exception e)
            {
                thrown = e;
                throw;
            }
            finally
            {
                context.Response.Body = original;
                var elapsed = (long)clock.GetElapsedTime(started).TotalMilliseconds;
                journal.Add(await EntryAsync(context, call, seq, at, elapsed, effect, capture, thrown));
            }
        });
    }

    private static async Task SufferAsync(HttpContext context, FaultEffect? effect, RequestDelegate next)
    {
        if (effect is null)
        {
            await next(context);
            return;
        }
        if (effect.Latency > TimeSpan.Zero)
        {
            // Network latency is wall-clock time: the stand-in clock (moved by API for expiry decisions) does not shorten it.
            await Task.Delay(effect.Latency, context.RequestAborted);
        }
        if (effect.Drop)
        {
            context.Abort();
            return;
        }
        if (effect.Error is { } error)
        {
            // The same writer the error handling uses, in the endpoint's envelope (the path's, for an unknown route).
            await ErrorHandling.WriteErrorAsync(context, error, effect.Detail);
            return;
        }
        await next(context);
    }

    /// <summary>A fault answered before the action runs still answers in the envelope the caller's user domain reads.</summary>
    private static async Task DecideTencentEnvelopeAsync(HttpContext context, StandInCall call)
    {
        var choice = context.RequestServices.GetRequiredService<TencentEnvelopeChoice>();
        TencentEnvelope.SetKind(context, call.DomainId is { } domain ? await choice.ForDomainAsync(domain) : choice.Default);
        // The RequestId the answer will echo is fixed now, so the journal renders the same one.
        _ = TencentEnvelope.RequestId(context);
    }

    private static async Task<JournalEntry> EntryAsync(HttpContext context, StandInCall call, long seq, long at, long elapsed,
        FaultEffect? effect, CapturingStream capture, Exception? thrown)
    {
        int status;
        byte[]? body;
        var truncated = capture.Truncated;
        if (effect?.Drop == true || (thrown is not null && context.RequestAborted.IsCancellationRequested))
        {
            (status, body) = (0, null);
        }
        else if (thrown is not null || (context.Response.StatusCode >= 400 && capture.Length == 0 && !capture.Written))
        {
            // Only if an error escaped the error handling (or it is placed inside this middleware): render what it writes.
            (status, body) = await RenderErrorAsync(context, call, thrown);
            truncated = false;
        }
        else
        {
            (status, body) = (context.Response.StatusCode, capture.ToArray());
        }
        JsonNode? answer = null;
        if (truncated)
        {
            answer = JsonValue.Create("(an answer longer than the journal keeps)");
        }
        else if (body is { Length: > 0 })
        {
            try
            {
                answer = JsonNode.Parse(body);
                SecretMask.MaskAnswer(answer);
            }
            catch (JsonException)
            {
                answer = JsonValue.Create($"(an answer of {body.Length} bytes that is not JSON, not kept)");
            }
        }
        return new JournalEntry(seq, at, call.Dialect, call.Method, call.Path, call.Action, call.UserId, call.Pk, call.Dk,
            call.Parameters, status, AnswerCodeOf(answer), answer, elapsed, effect?.RuleId);
    }

    private static async Task<(int Status, byte[] Body)> RenderErrorAsync(HttpContext context, StandInCall call, Exception? thrown)
    {
        if (call.Dialect == StandInDialects.Tencent)
        {
            _ = TencentEnvelope.RequestId(context);
        }
        var scratch = new DefaultHttpContext { RequestServices = context.RequestServices };
        scratch.Request.Method = context.Request.Method;
        scratch.Request.Path = context.Request.Path;
        scratch.Request.Headers.AcceptLanguage = context.Request.Headers.AcceptLanguage;
        foreach (var (key, value) in context.Items)
        {
            scratch.Items[key] = value;
        }
        scratch.SetEndpoint(context.GetEndpoint());
        using var buffer = new MemoryStream();
        scratch.Response.Body = buffer;
        if (thrown is not null)
        {
            var (error, detail) = ErrorHandling.Classify(thrown);
            await ErrorHandling.EnvelopeOf(scratch, scratch.GetEndpoint()).WriteAsync(scratch, error, detail);
        }
        else
        {
            scratch.Response.StatusCode = context.Response.StatusCode;
            await ErrorHandling.WriteStatusCodeAsync(new StatusCodeContext(scratch, new StatusCodePagesOptions(), _ => Task.CompletedTask));
        }
        return (scratch.Response.StatusCode, buffer.ToArray());
    }

    /// <summary>
    /// The answer's code: the <c>code</c> of the <c>{code,msg,…}</c> envelopes (Quectel, device, Tencent client
    /// envelope success 0), or the Tencent <c>Error.Code</c> string, or <c>0</c> for a Tencent Response-envelope success.
    /// </summary>
    public static string? AnswerCodeOf(JsonNode? answer)
    {
        if (answer is not JsonObject root)
        {
            return null;
        }
        var error = (root["Response"] as JsonObject)?["Error"] ?? (root["data"] as JsonObject)?["Error"];
        if (error is JsonObject e && e["Code"] is JsonValue tencentCode)
        {
            return tencentCode.ToString();
        }
        if (root["code"] is JsonValue code)
        {
            return code.ToString();
        }
        return root["Response"] is JsonObject ? "0" : null;
    }

    /// <summary>Passes every write through and keeps a copy of the first <c>max</c> bytes (an empty flush does not start the response).</summary>
    private sealed class CapturingStream(Stream inner, int max) : Stream
    {
        private readonly MemoryStream _copy = new();

        public bool Truncated { get; private set; }

        public bool Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _copy.Length;

        public override long Position { get => _copy.Length; set => throw new NotSupportedException(); }

        public byte[] ToArray() => _copy.ToArray();

        private void Keep(ReadOnlySpan<byte> data)
        {
            Written = true;
            var room = max - (int)_copy.Length;
            if (data.Length > room)
            {
                Truncated = true;
                data = data[..Math.Max(0, room)];
            }
            _copy.Write(data);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Keep(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Keep(buffer.AsSpan(offset, count));
            return inner.WriteAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Keep(buffer.Span);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override void Flush()
        {
            if (Written)
            {
                inner.Flush();
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken) =>
            Written ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _copy.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
