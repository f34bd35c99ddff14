using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Tencent;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Bindery.Observability;

/// <summary>
/// The catalogued errors an endpoint can answer, declared on its route (or its group) with
/// <see cref="ApiReference.WithErrors{TBuilder}"/>; the OpenAPI document lists them per operation.
/// </summary>
public sealed record EndpointErrors(IReadOnlyList<ErrorDef> Errors);

/// <summary>
/// The API reference (docs/operations.md, "API reference"): the OpenAPI document at <c>/openapi/v1.json</c>, where every
/// operation carries its summary, description, parameters and the catalogued errors it can answer (its own, declared with
/// <see cref="WithErrors{TBuilder}"/>, plus those its envelope and authentication can answer: one list, generated from
/// <see cref="Errors"/>), and a browsable page at <see cref="DocsPath"/> (Scalar, its script served by Bindery itself: no CDN).
/// </summary>
public static class ApiReference
{
    public const string DocsPath = "/docs";

    /// <summary>The OpenAPI extension holding an operation's catalogued errors: <c>[{code, name, tencentCode, httpStatus, message}]</c>.</summary>
    public const string ErrorsExtension = "x-bindery-errors";

    /// <summary>Declares the catalogued errors this endpoint (or every endpoint of this group) can answer besides the common ones.</summary>
    public static TBuilder WithErrors<TBuilder>(this TBuilder builder, params ErrorDef[] errors) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new EndpointErrors(errors));

    public static IServiceCollection AddBinderyApiReference(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Bindery";
                document.Info.Description =
                    "A self-hostable device-binding cloud: the Quectel-style app API (`/v2/...`), the Tencent-style action API "
                    + "(`/api/exploreropen/...`, one path, the `Action` in the body), the device API (`/device/v1`) and the admin API "
                    + "(`/admin/v1`, `X-Admin-Key`). Every operation lists the catalogued error codes it can answer (docs/errors.md).";
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                Describe(operation, context.Description.ActionDescriptor.EndpointMetadata);
                return Task.CompletedTask;
            });
        });

    /// <summary>Maps the reference page at <see cref="DocsPath"/>: Scalar, reading <c>/openapi/v1.json</c>, with only bundled assets.</summary>
    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder app)
    {
        app.MapScalarApiReference(DocsPath, options =>
        {
            options.Title = "Bindery API reference";
            options.OpenApiRoutePattern = "/openapi/{documentName}.json";
            // Everything from Bindery itself: the bundled script, no web fonts, no telemetry.
            options.DefaultFonts = false;
            options.Telemetry = false;
            options.HideClientButton = true;
        }).ExcludeFromDescription().WithErrorEnvelope(ErrorEnvelopes.Plain);
        return app;
    }

    /// <summary>The catalogued errors every endpoint with this envelope (and authentication) can answer, whatever it does.</summary>
    public static IReadOnlyList<ErrorDef> CommonErrors(IReadOnlyList<object> metadata)
    {
        var envelope = metadata.OfType<ErrorEnvelope>().LastOrDefault() ?? ErrorEnvelopes.Plain;
        var errors = new List<ErrorDef> { Errors.InvalidParameter, Errors.RequestTooLarge, Errors.StorageUnavailable, Errors.InternalError };
        if (envelope == ErrorEnvelopes.Admin)
        {
            errors.Add(Errors.AdminKeyInvalid);
        }
        else if (envelope == ErrorEnvelopes.Device)
        {
            errors.Add(Errors.DeviceAuthFailed);
        }
        else if (envelope == ErrorEnvelopes.Tencent)
        {
            errors.Add(Errors.InvalidParameterValue);
            errors.Add(Errors.InvalidAccessToken);
        }
        var handler = metadata.OfType<MethodInfo>().FirstOrDefault();
        if (handler?.GetParameters().Any(p => p.ParameterType == typeof(AppUser)) == true)
        {
            errors.Add(Errors.TokenMissing);
            errors.Add(Errors.TokenVerificationFailed);
        }
        return errors;
    }

    /// <summary>Every catalogued error the endpoint with <paramref name="metadata"/> can answer: its declared ones, then the common ones.</summary>
    public static IReadOnlyList<ErrorDef> ErrorsOf(IReadOnlyList<object> metadata) =>
        metadata.OfType<EndpointErrors>().SelectMany(e => e.Errors)
            .Concat(CommonErrors(metadata))
            .Distinct()
            .ToList();

    private static void Describe(OpenApiOperation operation, IList<object> endpointMetadata)
    {
        var metadata = endpointMetadata.ToList();
        var envelope = metadata.OfType<ErrorEnvelope>().LastOrDefault() ?? ErrorEnvelopes.Plain;
        var errors = ErrorsOf(metadata);
        var description = new StringBuilder(operation.Description ?? "");
        description.Append(envelope.Name switch
        {
            nameof(ErrorEnvelopes.Quectel) => "\n\nQuectel-style app API (docs/quectel-api.md): parameters as query, form or flat JSON; the answer is "
                + "`{code,msg,extMsg,data}` with `code` 200 on success and business errors answered with HTTP 200 and their code in the body. "
                + (metadata.OfType<MethodInfo>().FirstOrDefault()?.GetParameters().Any(p => p.ParameterType == typeof(AppUser)) == true
                    ? "Needs the user's access token in the `Authorization` header (from `login`)."
                    : "No access token needed."),
            nameof(ErrorEnvelopes.Admin) => "\n\nAdmin API (docs/admin-api.md): needs the `X-Admin-Key` header; the answer is `{code,msg,extMsg,data}` with the HTTP status of the error.",
            nameof(ErrorEnvelopes.Device) => "\n\nDevice API (docs/device-api.md): signed by the device with HMAC-SHA256 of its device secret, in the headers "
                + "`X-Bindery-Pk`, `X-Bindery-Dk`, `X-Bindery-Timestamp`, `X-Bindery-Nonce`, `X-Bindery-Signature`; the answer is `{code,msg,extMsg,data}`.",
            _ => "",
        });
        if (envelope == ErrorEnvelopes.Tencent)
        {
            description.Append(TencentActionsText.Value);
        }
        description.Append("\n\n**Errors** (").Append(envelope.Name).Append(" envelope; docs/errors.md):\n\n")
            .Append(envelope == ErrorEnvelopes.Tencent ? "| Code | numeric | when |\n|---|---|---|\n" : "| code | HTTP | message |\n|---|---|---|\n");
        var list = new JsonArray();
        foreach (var error in errors)
        {
            var status = envelope.StatusOf(error);
            description.Append(envelope == ErrorEnvelopes.Tencent
                ? $"| `{error.TencentCode}` | {error.Code} | {error.English} |\n"
                : $"| {error.Code} | {status} | {error.English} |\n");
            list.Add(new JsonObject
            {
                ["code"] = error.Code,
                ["name"] = error.Name,
                ["tencentCode"] = error.TencentCode,
                ["httpStatus"] = status,
                ["message"] = error.English,
            });
        }
        operation.Description = description.ToString().TrimStart();
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions[ErrorsExtension] = new JsonNodeExtension(list);
    }

    /// <summary>
    /// The Tencent-style API's actions, for the description of its operations: every action the dispatcher serves
    /// (<see cref="TencentActions.Names"/>, <see cref="TencentAppApi.Names"/>), with the parameter table of
    /// docs/tencent-api.md ("Every action"), embedded at build time so the reference and the guide say the same.
    /// </summary>
    private static readonly Lazy<string> TencentActionsText = new(() =>
    {
        var text = new StringBuilder("\n\nOne path for every action: a JSON body with `Action`, `RequestId`, `AccessToken` (except the signed ")
            .Append("pre-login actions) and the action's parameters; the iOS form appends `/{Action}` to the path. Answered in the Response ")
            .Append("envelope `{\"Response\":{...,\"RequestId\"}}` or the client envelope `{code,msg,data}` (docs/tencent-api.md).\n\n");
        text.Append("Actions served after login: ").AppendJoin(", ", TencentActions.Names.Order(StringComparer.Ordinal).Select(n => $"`{n}`")).Append(".\n\n");
        text.Append("Signed pre-login actions (`appapi`): ").AppendJoin(", ", TencentAppApi.Names.Order(StringComparer.Ordinal).Select(n => $"`{n}`")).Append(".\n\n");
        using var stream = typeof(ApiReference).Assembly.GetManifestResourceStream("Bindery.Docs.tencent-api.md");
        if (stream is not null)
        {
            using var reader = new StreamReader(stream);
            var guide = reader.ReadToEnd();
            var start = guide.IndexOf("## Every action", StringComparison.Ordinal);
            if (start >= 0)
            {
                var end = guide.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
                text.Append('#').Append(end < 0 ? guide[start..] : guide[start..end]).Append('\n');
            }
        }
        return text.ToString();
    });
}
