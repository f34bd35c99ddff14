using System.Text.Json.Serialization;

namespace Bindery.Infrastructure;

/// <summary>
/// Paging as the Quectel-style <c>/v2</c> API asks for it (<c>page</c>, <c>pageSize</c>) and answers it: the
/// PageHelper <c>PageInfo</c> shape the real cloud returns and the Quectel app SDK parses
/// (<c>list</c>, <c>total</c>, <c>pageNum</c>, <c>pageSize</c>, <c>pages</c>, …).
/// </summary>
public readonly record struct PageRequest(int PageNum, int PageSize)
{
    public const int DefaultPageSize = 10;
    public const int MaxPageSize = 100;

    public long Offset => (long)(PageNum - 1) * PageSize;

    /// <summary>
    /// <c>page</c> starts at 1 (a missing or 0 page is the first); a missing <c>pageSize</c> is 10, and one above
    /// 100 is clamped to 100 rather than refused: apps ask for "everything" with large sizes (the Tencent Android
    /// app sends <c>Limit: 999</c>), and a refusal there leaves the app with an empty screen. Negative values are refused (4000-class).
    /// </summary>
    public static PageRequest From(int? page, int? pageSize)
    {
        if (page is < 0 || pageSize is < 0)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "page and pageSize must not be negative");
        }
        var num = page is null or 0 ? 1 : page.Value;
        var size = pageSize is null or 0 ? DefaultPageSize : Math.Min(pageSize.Value, MaxPageSize);
        return new PageRequest(num, size);
    }
}

/// <summary>
/// Paging as the admin API asks for it (<c>offset</c>, <c>limit</c>; docs/admin-api.md): a missing offset is 0, a
/// missing limit <see cref="DefaultLimit"/>; a negative offset or a limit outside 1–<see cref="MaxLimit"/> is refused.
/// </summary>
public readonly record struct AdminPage(int Skip, int Take)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static AdminPage From(int? offset, int? limit)
    {
        var skip = offset ?? 0;
        var take = limit ?? DefaultLimit;
        if (skip < 0)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "offset must be 0 or more");
        }
        if (take is < 1 or > MaxLimit)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"limit must be between 1 and {MaxLimit}");
        }
        return new AdminPage(skip, take);
    }
}

/// <summary>One page of a list in the PageHelper <c>PageInfo</c> shape.</summary>
public sealed record PageInfo<T>(
    [property: JsonPropertyName("list")] IReadOnlyList<T> List,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("pageNum")] int PageNum,
    [property: JsonPropertyName("pageSize")] int PageSize,
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("pages")] int Pages,
    [property: JsonPropertyName("isFirstPage")] bool IsFirstPage,
    [property: JsonPropertyName("isLastPage")] bool IsLastPage,
    [property: JsonPropertyName("hasPreviousPage")] bool HasPreviousPage,
    [property: JsonPropertyName("hasNextPage")] bool HasNextPage);

public static class PageInfo
{
    public static PageInfo<T> Of<T>(IReadOnlyList<T> list, long total, PageRequest request)
    {
        var pages = (int)Math.Min(int.MaxValue, (total + request.PageSize - 1) / request.PageSize);
        return new PageInfo<T>(list, total, request.PageNum, request.PageSize, list.Count, pages,
            IsFirstPage: request.PageNum == 1, IsLastPage: request.PageNum >= pages,
            HasPreviousPage: request.PageNum > 1, HasNextPage: request.PageNum < pages);
    }

    /// <summary>Pages a list already held in memory (families, rooms, members: small per user).</summary>
    public static PageInfo<T> Slice<T>(IReadOnlyList<T> all, PageRequest request) =>
        Of(all.Skip((int)Math.Min(int.MaxValue, request.Offset)).Take(request.PageSize).ToList(), all.Count, request);
}
