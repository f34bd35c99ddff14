using Bindery.Tencent;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace Bindery.Infrastructure;

/// <summary>
/// How one dialect answers a refused request: the shape of the body and the HTTP status of a refusal whose status
/// is not already decided. A feature declares its envelope on its route group with
/// <see cref="ErrorEnvelopes.WithErrorEnvelope{TBuilder}"/>; <see cref="ErrorHandling"/> reads it back from the
/// matched endpoint (or, when no endpoint matched, from the <see cref="ErrorEnvelopeTable"/> built from the same
/// declarations). Nothing else picks an envelope.
/// </summary>
public sealed class ErrorEnvelope
{
    private readonly Func<ErrorDef, int> _status;
    private readonly ErrorHandling.ErrorWriter _writer;

    internal ErrorEnvelope(string name, Func<ErrorDef, int> status, ErrorHandling.ErrorWriter writer)
    {
        Name = name;
        _status = status;
        _writer = writer;
    }

    public string Name { get; }

    /// <summary>The HTTP status this dialect answers <paramref name="error"/> with when nothing decided it before.</summary>
    public int StatusOf(ErrorDef error) => _status(error);

    /// <summary>
    /// Writes <paramref name="error"/> in this envelope, with <paramref name="status"/> when the HTTP status is
    /// already decided (404 unknown route, 405, 413, 415), else with <see cref="StatusOf"/>.
    /// </summary>
    public Task WriteAsync(HttpContext context, ErrorDef error, string? detail, int? status = null)
    {
        context.Response.StatusCode = status ?? _status(error);
        return _writer(context, error, detail, keepStatus: true);
    }

    public override string ToString() => Name;
}

/// <summary>
/// The dialects' error envelopes, and how a feature declares one: <c>app.MapGroup("/x").WithErrorEnvelope(ErrorEnvelopes.X)</c>.
/// Every endpoint carries exactly one declaration (tests/Bindery.Tests/Ops/ErrorEnvelopeTests).
/// </summary>
public static class ErrorEnvelopes
{
    /// <summary>
    /// The Quectel-style app API (<c>/v2/...</c>): <c>{code,msg,extMsg,data}</c>; business errors answer HTTP 200
    /// with the code in the body, like the cloud it imitates; storage and internal errors (5xx) and 413 keep their status.
    /// </summary>
    public static readonly ErrorEnvelope Quectel = new(nameof(Quectel),
        e => e.HttpStatus < 500 && e.HttpStatus != StatusCodes.Status413PayloadTooLarge ? StatusCodes.Status200OK : e.HttpStatus,
        WriteCodeBodyAsync);

    /// <summary>
    /// The admin API (<c>/admin/v1</c>): <c>{code,msg,extMsg,data}</c> with the catalogued HTTP status; codes taken
    /// from the seeds (catalogued with 200 for the <c>/v2</c> API) are client errors here, so 400.
    /// </summary>
    public static readonly ErrorEnvelope Admin = new(nameof(Admin),
        e => e.HttpStatus == StatusCodes.Status200OK ? StatusCodes.Status400BadRequest : e.HttpStatus,
        WriteCodeBodyAsync);

    /// <summary>The device API (<c>/device/v1</c>): <c>{code,msg,extMsg,data}</c> with the catalogued HTTP status as it is.</summary>
    public static readonly ErrorEnvelope Device = new(nameof(Device), e => e.HttpStatus, WriteCodeBodyAsync);

    /// <summary>
    /// The Tencent-style action API (<c>/api/exploreropen</c>): <c>{"Response":{"Error":{Code,Message},"RequestId"}}</c>,
    /// HTTP 200 for every refusal it decides itself.
    /// </summary>
    public static readonly ErrorEnvelope Tencent = new(nameof(Tencent), _ => StatusCodes.Status200OK, TencentEnvelope.WriteErrorAsync);

    /// <summary>
    /// Operational endpoints (health, OpenAPI) and every path under no declared group: <c>{code,msg,extMsg,data}</c>
    /// with the catalogued HTTP status.
    /// </summary>
    public static readonly ErrorEnvelope Plain = new(nameof(Plain), e => e.HttpStatus, WriteCodeBodyAsync);

    public static IReadOnlyList<ErrorEnvelope> All { get; } = [Quectel, Admin, Device, Tencent, Plain];

    /// <summary>
    /// Declares the error envelope of a route group (or of a single endpoint mapped outside any group): every
    /// endpoint under it carries <paramref name="envelope"/> as metadata, and its path prefix (the group's prefix;
    /// a single endpoint's leading literal segments) enters the <see cref="ErrorEnvelopeTable"/>, which answers for
    /// paths under it that match no endpoint (404) or no method (405).
    /// </summary>
    public static TBuilder WithErrorEnvelope<TBuilder>(this TBuilder builder, ErrorEnvelope envelope) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(envelope);
        builder.WithMetadata(envelope);
        if (builder is RouteGroupBuilder group)
        {
            // The group's full prefix (outer groups included) is only known when its endpoints are built: a data
            // source of the group is handed it then, and adds no endpoint of its own.
            ((IEndpointRouteBuilder)group).DataSources.Add(new GroupPrefixSource(envelope));
        }
        else
        {
            builder.Add(endpoint =>
            {
                if (endpoint is RouteEndpointBuilder route)
                {
                    ErrorEnvelopeTable.Of(route.ApplicationServices).Declare(route.RoutePattern, envelope);
                }
            });
        }
        return builder;
    }

    private static Task WriteCodeBodyAsync(HttpContext context, ErrorDef error, string? detail, bool keepStatus) =>
        context.Response.WriteAsJsonAsync(Envelope.Error(error, Envelope.WantsChinese(context), detail));

    private sealed class GroupPrefixSource(ErrorEnvelope envelope) : EndpointDataSource
    {
        public override IReadOnlyList<Endpoint> Endpoints => [];

        public override IReadOnlyList<Endpoint> GetGroupedEndpoints(RouteGroupContext context)
        {
            ErrorEnvelopeTable.Of(context.ApplicationServices).Declare(context.Prefix, envelope);
            return [];
        }

        public override IChangeToken GetChangeToken() => NullChangeToken.Singleton;
    }
}

/// <summary>
/// Which envelope answers for a path that matched no endpoint (404) or no method (405): the declared groups'
/// prefixes, longest first, filled from the <see cref="ErrorEnvelopes.WithErrorEnvelope{TBuilder}"/> declarations
/// when the route table is built — no second list to keep in step. A path under no prefix answers in
/// <see cref="ErrorEnvelopes.Plain"/>.
/// </summary>
public sealed class ErrorEnvelopeTable(IServiceProvider services)
{
    private readonly Lock _lock = new();
    private (PathString Prefix, ErrorEnvelope Envelope)[] _entries = [];
    private volatile bool _built;

    /// <summary>The declared prefixes, longest (most segments) first.</summary>
    public IReadOnlyList<(PathString Prefix, ErrorEnvelope Envelope)> Entries
    {
        get
        {
            EnsureBuilt();
            return _entries;
        }
    }

    /// <summary>The envelope declared for the longest prefix <paramref name="path"/> lies under, or null.</summary>
    public ErrorEnvelope? Find(PathString path)
    {
        foreach (var (prefix, envelope) in Entries)
        {
            if (path.StartsWithSegments(prefix))
            {
                return envelope;
            }
        }
        return null;
    }

    internal static ErrorEnvelopeTable Of(IServiceProvider services) =>
        services.GetService<ErrorEnvelopeTable>()
        ?? throw new InvalidOperationException("Error envelopes are declared but ErrorEnvelopeTable is not registered: call services.AddBinderyErrors().");

    /// <summary>Records a declaration; the route table may be built more than once, so a repeat is ignored.</summary>
    internal void Declare(RoutePattern pattern, ErrorEnvelope envelope)
    {
        var prefix = LiteralPrefix(pattern);
        lock (_lock)
        {
            foreach (var (known, declared) in _entries)
            {
                if (known.Equals(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    if (declared != envelope)
                    {
                        throw new InvalidOperationException($"'{prefix}' is declared with two error envelopes: {declared} and {envelope}.");
                    }
                    return;
                }
            }
            _entries = [.. _entries.Append((Prefix: prefix, Envelope: envelope)).OrderByDescending(e => Segments(e.Prefix))];
        }
    }

    /// <summary>The pattern's leading literal segments (a group prefix is usually all literal).</summary>
    private static PathString LiteralPrefix(RoutePattern pattern)
    {
        var literal = new List<string>();
        foreach (var segment in pattern.PathSegments)
        {
            if (segment.Parts is not [RoutePatternLiteralPart part])
            {
                break;
            }
            literal.Add(part.Content);
        }
        return literal.Count == 0 ? PathString.Empty : new PathString("/" + string.Join('/', literal));
    }

    private static int Segments(PathString prefix) => prefix.Value?.Count(c => c == '/') ?? 0;

    /// <summary>Declarations are recorded while the endpoints are built: make sure they were, even before routing ran.</summary>
    private void EnsureBuilt()
    {
        if (!_built)
        {
            _ = services.GetService<EndpointDataSource>()?.Endpoints;
            _built = true;
        }
    }
}
