using Bindery.Infrastructure;
using Bindery.Observability;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Bindery.Registry;

/// <summary>The device maker's admin API under <c>/admin/v1</c> (docs/admin-api.md). Every answer is the <c>{code, msg, extMsg, data}</c> envelope.</summary>
public static class RegistryEndpoints
{
    public static IServiceCollection AddRegistry(this IServiceCollection services)
    {
        services.AddOptions<ImportOptions>().BindConfiguration(ImportOptions.SectionName);
        services.AddSingleton<RegistryService>();
        return services;
    }

    public static IEndpointRouteBuilder MapRegistry(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/v1")
            .AddEndpointFilter(AdminKey.RequireAsync)
            .WithTags("Admin")
            .WithErrorEnvelope(ErrorEnvelopes.Admin)
            .WithErrors(ErrorSets.Admin);

        admin.MapGet("/data-center", (RegistryService registry) => Envelope.OkResult(new DataCenterView(registry.DataCenter)))
            .WithSummary("This deployment's data center");
        // Where the store's time goes: cumulative counters, read before and after a benchmark phase (docs/admin-api.md).
        admin.MapGet("/diagnostics/store", (Storage.IDatabase db) => Envelope.OkResult(db.Profile.Snapshot()))
            .WithSummary("The store's cumulative write and statement counters");

        var domains = admin.MapGroup("/user-domains");
        domains.MapPost("", async ([FromBody] UserDomainInput? body, RegistryService registry) =>
            Envelope.OkResult(await registry.CreateUserDomainAsync(Body(body)))).WithSummary("Create a user domain (its secret is shown once)");
        domains.MapGet("", async (int? offset, int? limit, RegistryService registry) =>
            Envelope.OkResult(await registry.ListUserDomainsAsync(offset, limit))).WithSummary("List user domains, paged");
        domains.MapGet("/{id}", async (string id, RegistryService registry) =>
            Envelope.OkResult(UserDomainView.From(await registry.GetUserDomainAsync(id)
                ?? throw new BinderyException(Errors.NotFound, $"user domain '{Shorten(id)}' does not exist")))).WithSummary("One user domain");
        domains.MapPatch("/{id}", async (string id, [FromBody] UserDomainPatch? body, RegistryService registry) =>
            Envelope.OkResult(await registry.UpdateUserDomainAsync(id, Body(body)))).WithSummary("Change a user domain (home mode, envelope, ...)");
        domains.MapDelete("/{id}", async (string id, RegistryService registry) =>
        {
            await registry.DeleteUserDomainAsync(id);
            return Envelope.OkResult(new { id });
        }).WithSummary("Delete a user domain");

        var products = admin.MapGroup("/products");
        products.MapPost("", async ([FromBody] ProductInput? body, RegistryService registry) =>
            Envelope.OkResult(await registry.CreateProductAsync(Body(body)))).WithSummary("Create a product (pk, ps, binding mode, methods, user domains)");
        products.MapGet("", async (int? offset, int? limit, RegistryService registry) =>
            Envelope.OkResult(await registry.ListProductsAsync(offset, limit))).WithSummary("List products, paged");
        products.MapGet("/{pk}", async (string pk, RegistryService registry) =>
            Envelope.OkResult(await registry.GetProductViewAsync(pk) ?? throw ProductNotFound(pk))).WithSummary("One product");
        products.MapPatch("/{pk}", async (string pk, [FromBody] ProductPatch? body, RegistryService registry) =>
            Envelope.OkResult(await registry.UpdateProductAsync(pk, Body(body)))).WithSummary("Change a product");
        products.MapDelete("/{pk}", async (string pk, RegistryService registry) =>
        {
            await registry.DeleteProductAsync(pk);
            return Envelope.OkResult(new { pk });
        }).WithSummary("Delete a product");

        var devices = products.MapGroup("/{pk}/devices");
        devices.MapPost("", async (string pk, [FromBody] DeviceInput? body, RegistryService registry) =>
            Envelope.OkResult(await registry.CreateDeviceAsync(pk, Body(body)))).WithSummary("Register a device of a product (dk, sn; its device secret is shown once)");
        devices.MapGet("", async (string pk, int? offset, int? limit, RegistryService registry) =>
            Envelope.OkResult(await registry.ListDevicesAsync(pk, offset, limit))).WithSummary("List a product's devices, paged");
        devices.MapGet("/{dk}", async (string pk, string dk, RegistryService registry) =>
        {
            RegistryService.RequirePlausibleDk(dk);
            var product = await registry.GetProductAsync(pk);
            var normalized = DeviceKeyFormats.Resolve(product?.KeyFormat ?? DeviceKeyFormat.ImeiOrMac, dk);
            var device = await registry.GetDeviceAsync(pk, normalized)
                ?? throw new BinderyException(Errors.NotFound, $"device {Shorten(normalized)} of product '{Shorten(pk)}' does not exist");
            return Envelope.OkResult(DeviceView.From(device));
        }).WithSummary("One device");
        // The device's MQTT connection and pending pushes (docs/admin-api.md).
        devices.MapGet("/{dk}/mqtt", Mqtt.MqttAdminEndpoints.GetDeviceMqttAsync).WithSummary("A device's MQTT connection and pending pushes");
        devices.MapDelete("/{dk}", async (string pk, string dk, RegistryService registry) =>
            Envelope.OkResult(await registry.DeleteDeviceAsync(pk, dk))).WithSummary("Delete a device (its bindings end)");
        // No Accepts() metadata: routing would answer a wrong Content-Type with an empty 415 before the admin key
        // is checked; the handler refuses it with an envelope instead.
        devices.MapPost("/import", ImportAsync).WithSummary("Import devices in bulk (NDJSON or CSV), streamed")
            .WithDescription("Body: application/x-ndjson (one device object per line) or text/csv (header dk,sn,deviceSecret[,moduleType,dataCenter]).");

        return app;
    }

    private static async Task<Ok<QuectelEnvelope<ImportResult>>> ImportAsync(
        string pk, HttpContext context, RegistryService registry, IOptions<ImportOptions> options, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        // The global body limit is sized for JSON requests; an import may be far larger, and is streamed.
        var sizeLimit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            sizeLimit.MaxRequestBodySize = limits.MaxBodyBytes;
        }
        if (context.Request.ContentLength > limits.MaxBodyBytes)
        {
            throw new BinderyException(Errors.RequestTooLarge, $"import body is larger than {limits.MaxBodyBytes} bytes");
        }
        var format = DeviceImportReader.FormatOf(context.Request.ContentType)
            ?? throw new BinderyException(Errors.InvalidParameter, "Content-Type must be application/x-ndjson or text/csv");
        var rows = DeviceImportReader.ReadAsync(context.Request.BodyReader, format, limits, cancellationToken);
        return Envelope.OkResult(await registry.ImportDevicesAsync(pk, rows, cancellationToken));
    }

    /// <summary>An absent or <c>null</c> JSON body is answered like a missing field, not by the binder's message.</summary>
    private static T Body<T>(T? body) where T : class =>
        body ?? throw new BinderyException(Errors.InvalidParameter, "a JSON request body is required");

    private static BinderyException ProductNotFound(string pk) => new(Errors.NotFound, $"product '{Shorten(pk)}' does not exist");

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
