namespace Bindery.Accounts;

/// <summary>
/// The one way an HTTP endpoint learns who is calling: the <c>Authorization</c> header (bare token or
/// <c>Bearer x</c>) checked by <see cref="UserSessions"/>, once per request.
/// </summary>
public static class CurrentUser
{
    private static readonly object ItemKey = new();

    /// <summary>The caller, authenticated on first use and remembered for the rest of the request.</summary>
    public static async Task<AppUser> AuthenticateAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var cached) && cached is AppUser known)
        {
            return known;
        }
        var user = await context.RequestServices.GetRequiredService<UserSessions>().AuthenticateAsync(context);
        context.Items[ItemKey] = user;
        return user;
    }

    /// <summary>Endpoint filter that refuses unauthenticated calls before the handler runs.</summary>
    public static async ValueTask<object?> RequireAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        await AuthenticateAsync(context.HttpContext);
        return await next(context);
    }

    /// <summary>Requires a valid access token on every endpoint of <paramref name="group"/>.</summary>
    public static RouteGroupBuilder RequireAppUser(this RouteGroupBuilder group) => group.AddEndpointFilter(RequireAsync);
}
