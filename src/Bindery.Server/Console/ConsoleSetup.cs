using Bindery.Infrastructure;
using Bindery.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Bindery.AdminConsole;

/// <summary>
/// The admin console at <c>/console</c> (docs/console.md): Razor Pages rendered on the server, signed in with the
/// admin key. Every page but sign-in needs a session (<see cref="ConsoleSessions"/>); every form post carries an
/// antiforgery token, and a post without a valid one is refused (400) before its handler runs.
/// </summary>
public static class ConsoleSetup
{
    public const string PathPrefix = "/console";
    public const string AntiforgeryCookieName = "bindery_console_csrf";
    public const string AntiforgeryFieldName = "__csrf";

    public static IServiceCollection AddConsole(this IServiceCollection services)
    {
        services.AddSingleton<ConsoleSessions>();
        // The antiforgery tokens' keys in the database, shared by every node (ConsoleKeyRing).
        services.AddDataProtection().SetApplicationName("Bindery");
        services.AddOptions<KeyManagementOptions>().Configure<IDatabase, TimeProvider>((o, db, clock) => o.XmlRepository = new ConsoleKeyRing(db, clock));
        services.AddSingleton<ConsoleDevices>();
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Console/Pages";
            o.Conventions.ConfigureFilter(new ConsoleSessionGate());
            // Posts are checked for the antiforgery token (Razor Pages does so by default; said here so it stays so).
            o.Conventions.ConfigureFilter(new AutoValidateAntiforgeryTokenAttribute());
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = AntiforgeryCookieName;
            o.Cookie.Path = PathPrefix;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = AntiforgeryFieldName;
            o.HeaderName = null;
        });
        return services;
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        // HTML pages, not API operations: no OpenAPI entry; a 404 under /console is a plain one.
        app.MapRazorPages().WithErrorEnvelope(ErrorEnvelopes.Plain).ExcludeFromDescription();
        return app;
    }

    /// <summary>Writes the session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, no expiry (ends with the browser).</summary>
    public static void SetSessionCookie(HttpContext http, string sessionId) =>
        http.Response.Cookies.Append(ConsoleSessions.CookieName, sessionId, SessionCookieOptions(http));

    public static void ClearSessionCookie(HttpContext http) =>
        http.Response.Cookies.Delete(ConsoleSessions.CookieName, SessionCookieOptions(http));

    private static CookieOptions SessionCookieOptions(HttpContext http) => new()
    {
        HttpOnly = true,
        Secure = http.Request.IsHttps,
        SameSite = SameSiteMode.Strict,
        Path = PathPrefix,
        IsEssential = true,
    };
}

/// <summary>Marks a console page that needs no session (the sign-in page).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ConsoleAnonymousAttribute : Attribute;

/// <summary>
/// Lets a request through only with a live console session: a GET without one is sent to the sign-in page, any
/// other method is refused with 401. The answer is never cached.
/// </summary>
public sealed class ConsoleSessionGate : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var http = context.HttpContext;
        // As antiforgery would set them (it warns when it has to): no answer of the console is cached.
        http.Response.Headers.CacheControl = "no-cache, no-store";
        http.Response.Headers.Pragma = "no-cache";
        http.Response.Headers["X-Frame-Options"] = "DENY";
        http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; form-action 'self'";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        var anonymous = context.HandlerInstance.GetType().IsDefined(typeof(ConsoleAnonymousAttribute), inherit: false);
        var sessions = http.RequestServices.GetRequiredService<ConsoleSessions>();
        var signedIn = await sessions.TouchAsync(http.Request.Cookies[ConsoleSessions.CookieName], http.RequestAborted);
        if (context.HandlerInstance is PageModel page)
        {
            page.ViewData["SignedIn"] = signedIn;
        }
        if (!signedIn && !anonymous)
        {
            context.Result = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
                ? new RedirectResult(ConsoleSetup.PathPrefix + "/signin")
                : new UnauthorizedResult();
            return;
        }
        await next();
    }
}
