using Bindery;
using Bindery.Accounts;
using Bindery.Audit;
using Bindery.Binding;
using Bindery.AdminConsole;
using Bindery.Demo;
using Bindery.Devices;
using Bindery.Homes;
using Bindery.Infrastructure;
using Bindery.Mqtt;
using Bindery.Observability;
using Bindery.Registry;
using Bindery.Sharing;
using Bindery.StandIn;
using Bindery.Storage;
using Bindery.Tencent;
using Bindery.Webhooks;
using Microsoft.AspNetCore.Http.Json;

// Settings live next to the program (appsettings.json is copied to the build and publish output), so the server
// finds them wherever it is started from; relative data paths resolve against the directory it was started in.
var builder = WebApplication.CreateBuilder(ServerPaths.Options(args));
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--data-dir"] = "Bindery:DataDir",
});
builder.Logging.AddBinderyLogRedaction();
if (builder.Configuration["urls"] is null && builder.Configuration["ASPNETCORE_URLS"] is null && builder.Configuration["ASPNETCORE_HTTP_PORTS"] is null)
{
    builder.WebHost.UseUrls("http://localhost:5080");
}

var bindery = builder.Configuration.GetSection("Bindery");
builder.Services.Configure<BinderyOptions>(bindery);
builder.Services.PostConfigure<BinderyOptions>(o => o.DataDir = ServerPaths.ResolveDataDir(o.DataDir));
var maxBody = bindery.GetValue<long?>("MaxRequestBodyBytes") ?? new BinderyOptions().MaxRequestBodyBytes;
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestBodySize = maxBody;
    kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
});
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(15));
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.Configure<JsonOptions>(o =>
{
    o.SerializerOptions.PropertyNameCaseInsensitive = true;
    o.SerializerOptions.MaxDepth = 16;
});
builder.Services.AddProblemDetails();
builder.Services.AddBinderyErrors();
builder.Services.AddBinderyApiReference();
// The system clock; in stand-in mode AddStandIn replaces it with the advanceable StandInClock.
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddBinderyStorage(builder.Configuration);
builder.Services.AddSingleton<AdminKey>();
builder.Services.AddSingleton<UserSessions>();
builder.Services.AddSingleton<Startup>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Startup>());
builder.Services
    .AddRegistry()
    .AddAccounts()
    .AddHomes()
    .AddBinding()
    .AddSharing()
    .AddDeviceApi()
    .AddTencent()
    .AddAudit()
    .AddWebhooks()
    .AddDemo()
    .AddConsole()
    .AddStandIn(builder.Configuration, builder.Environment);
// Metrics and traces (docs/operations.md): the Prometheus endpoint and OTLP export when configured.
builder.Services.AddBinderyObservability(builder.Configuration);
// The embedded MQTT broker devices connect to (after Startup, so it listens once the store is migrated).
builder.Services.AddMqtt(builder.Configuration);

builder.Services.RemoveRoutingContentTypeCheck();

var app = builder.Build();
ServerPaths.LogLocations(app);

// Request logging outermost, so a line carries the status the error handling answered with.
app.UseBinderyRequestLogging();
// Stand-in mode only (docs/stand-in.md): its key gate, then the faults and the journal, outside the error handling.
app.UseStandIn();
app.UseBinderyErrors();
// Binds, unbinds and device reports counted once each, with the code of whatever refused them; the scrape endpoint guarded.
app.UseBinderyMetrics();
// Who is calling, before anything is read from the request: the admin key, then the app user's token; then
// whether a JSON body is declared JSON.
app.UseAdminKey();
app.UseRequestGate();
// Then the /v2 API's query parameters posted as a form (or a flat JSON object) are read as query parameters.
app.UseQueryParametersFromBody();

app.MapOpenApi("/openapi/{documentName}.json").WithErrorEnvelope(ErrorEnvelopes.Plain);
app.MapHealth();
app.MapRegistry();
app.MapAccounts();
app.MapHomes();
app.MapBinding();
app.MapSharing();
app.MapDeviceApi();
app.MapTencent();
app.MapAudit();
app.MapBinderyMetrics();
app.MapApiReference();
app.MapWebhooks();
app.MapConsole();
app.MapStandIn();

app.Run();

/// <summary>Entry point; public so the tests' WebApplicationFactory can reach it.</summary>
public partial class Program;
