namespace Bindery.Infrastructure;

/// <summary>Reading a request body by hand (endpoints that authenticate over its bytes or parse it themselves).</summary>
public static class RequestBodies
{
    /// <summary>The whole body, or 9002 as soon as it is known to be longer than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpRequest request, long maxBytes)
    {
        if (request.ContentLength > maxBytes)
        {
            throw new BinderyException(Errors.RequestTooLarge);
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new BinderyException(Errors.RequestTooLarge);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
