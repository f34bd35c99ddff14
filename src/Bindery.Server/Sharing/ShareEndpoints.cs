using System.Text.Json.Serialization;
using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Observability;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.Sharing;

/// <summary>
/// The Quectel-style sharing endpoints of <c>/v2/binding/enduserapi</c> (docs/quectel-api.md, docs/sharing.md): thin
/// adapters over <see cref="DeviceSharing"/>. Times on this wire are Unix milliseconds.
/// </summary>
public static class ShareEndpoints
{
    public static IServiceCollection AddSharing(this IServiceCollection services)
    {
        services.AddOptions<SharingOptions>().BindConfiguration("Sharing");
        services.AddSingleton<DeviceSharing>();
        services.AddSingleton<SharePruner>();
        services.AddHostedService(sp => sp.GetRequiredService<SharePruner>());
        return services;
    }

    public static IEndpointRouteBuilder MapSharing(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2/binding/enduserapi").WithTags("Sharing").WithErrorEnvelope(ErrorEnvelopes.Quectel).WithErrors(ErrorSets.Sharing);
        group.MapPost("/shareInfo", CreateCodeAsync).WithSummary("Create an open share code for a device the caller owns");
        group.MapPost("/shareByUid", ShareByUidAsync).WithSummary("Share a device with a user, addressed by uid, email or phone");
        group.MapPost("/shareDevice", AcceptAsync).WithSummary("Accept a device share by its code");
        group.MapGet("/deviceShareUserList", ShareUsersAsync).WithSummary("List the users a device is shared with (and pending invitations)");
        group.MapDelete("/ownerUserUnshareDevice", RevokeAsync).WithSummary("Revoke a user's share of the caller's device");
        group.MapDelete("/shareUserUnshareDevice", LeaveAsync).WithSummary("Leave a share: give back a device shared with the caller");
        group.MapPut("/setShareTime", SetShareTimeAsync).WithSummary("Change a share's expiry");
        group.MapPut("/changeShareDeviceName", RenameAsync).WithSummary("Rename a device shared with the caller");
        return app;
    }

    /// <summary>POST shareInfo?pk&amp;dk&amp;acceptingExpireAt[&amp;sharingExpireAt&amp;coverMark&amp;authKey] → data: the full share code.</summary>
    private static async Task<Ok<QuectelEnvelope<string>>> CreateCodeAsync(
        AppUser user, DeviceSharing sharing, [FromQuery] string? pk, [FromQuery] string? dk, [FromQuery] long? acceptingExpireAt,
        [FromQuery] long? sharingExpireAt, [FromQuery] int? coverMark)
    {
        Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        BindingCore.RequireDk(dk);
        if (acceptingExpireAt is null)
        {
            throw new BinderyException(Errors.ShareAcceptingExpireMissing);
        }
        var issued = await sharing.CreateCodeAsync(user, pk, dk, new ShareTerms(acceptingExpireAt, sharingExpireAt, coverMark));
        return Envelope.OkResult(issued.ShareCode);
    }

    /// <summary>POST shareByUid?pk&amp;dk&amp;(shareUid|email|phone|username)[&amp;sharingExpireAt&amp;coverMark&amp;acceptingExpireAt] → data: the share's handle.</summary>
    private static async Task<Ok<QuectelEnvelope<string>>> ShareByUidAsync(
        AppUser user, DeviceSharing sharing, [FromQuery] string? pk, [FromQuery] string? dk,
        [FromQuery] string? shareUid, [FromQuery] string? email, [FromQuery] string? phone, [FromQuery] string? username,
        [FromQuery] long? sharingExpireAt, [FromQuery] int? coverMark, [FromQuery] long? acceptingExpireAt)
    {
        var issued = await sharing.ShareWithUserAsync(user, pk, dk, new ShareRecipient(shareUid, email, phone, username),
            new ShareTerms(acceptingExpireAt, sharingExpireAt, coverMark));
        return Envelope.OkResult(issued.ShareCode);
    }

    /// <summary>POST shareDevice?shareCode[&amp;deviceName] → data {pk, dk, shareCode (the handle), ownerUid, authKey, sharingExpireAt}.</summary>
    private static async Task<Ok<QuectelEnvelope<AcceptedShareData>>> AcceptAsync(
        AppUser user, DeviceSharing sharing, [FromQuery] string? shareCode, [FromQuery] string? deviceName)
    {
        var accepted = await sharing.AcceptAsync(user, shareCode, deviceName);
        return Envelope.OkResult(new AcceptedShareData(accepted.Pk, accepted.Dk, accepted.ShareCode, accepted.OwnerUid, accepted.AuthKey,
            accepted.SharingExpireAt is { } end ? QuectelFields.Time(end) : null, accepted.SharingExpireAt));
    }

    /// <summary>GET deviceShareUserList?pk&amp;dk → data: [{shareInfo, userInfo}] of the caller's live shares of the device.</summary>
    private static async Task<Ok<QuectelEnvelope<IReadOnlyList<ShareUserData>>>> ShareUsersAsync(
        AppUser user, DeviceSharing sharing, [FromQuery] string? pk, [FromQuery] string? dk)
    {
        var users = await sharing.ShareUsersAsync(user, pk, dk);
        IReadOnlyList<ShareUserData> data = users.Select(u => new ShareUserData(
            new ShareInfoData
            {
                ShareCode = u.ShareCode,
                ShareId = DeviceSharing.ShareIdOf(u.ShareCode) ?? "",
                Pk = u.Pk,
                Dk = u.Dk,
                OwnerUid = user.Id,
                ShareUid = u.UserId,
                DeviceName = u.DeviceName,
                ShareStatus = u.AcceptedAt is null ? 0 : 1,
                ShareTime = QuectelFields.Time(u.CreatedAt),
                ShareTimeTs = u.CreatedAt,
                AcceptTime = u.AcceptedAt is { } a ? QuectelFields.Time(a) : null,
                AcceptTimeTs = u.AcceptedAt,
                AcceptingExpireAt = QuectelFields.Time(u.AcceptingExpireAt),
                AcceptingExpireAtTs = u.AcceptingExpireAt,
                SharingExpireAt = u.SharingExpireAt is { } s ? QuectelFields.Time(s) : null,
                SharingExpireAtTs = u.SharingExpireAt,
            },
            new ShareUserInfoData(u.UserId, u.UserName))).ToList();
        return Envelope.OkResult(data);
    }

    /// <summary>DELETE ownerUserUnshareDevice?shareCode → data {}.</summary>
    private static async Task<Ok<QuectelEnvelope<NoData>>> RevokeAsync(AppUser user, DeviceSharing sharing, [FromQuery] string? shareCode)
    {
        await sharing.RevokeAsync(user, new ShareSelector.ByCode(shareCode));
        return Envelope.OkResult(new NoData());
    }

    /// <summary>DELETE shareUserUnshareDevice?shareCode → data {}.</summary>
    private static async Task<Ok<QuectelEnvelope<NoData>>> LeaveAsync(AppUser user, DeviceSharing sharing, [FromQuery] string? shareCode)
    {
        await sharing.LeaveAsync(user, new ShareSelector.ByCode(shareCode));
        return Envelope.OkResult(new NoData());
    }

    /// <summary>PUT setShareTime?shareCode&amp;sharingExpireAt → data {}.</summary>
    private static async Task<Ok<QuectelEnvelope<NoData>>> SetShareTimeAsync(
        AppUser user, DeviceSharing sharing, [FromQuery] string? shareCode, [FromQuery] long? sharingExpireAt)
    {
        if (string.IsNullOrWhiteSpace(shareCode))
        {
            throw new BinderyException(Errors.ShareCodeMissing);
        }
        if (sharingExpireAt is null)
        {
            throw new BinderyException(Errors.InvalidParameter, "sharingExpireAt is required");
        }
        await sharing.SetShareTimeAsync(user, shareCode, sharingExpireAt);
        return Envelope.OkResult(new NoData());
    }

    /// <summary>PUT changeShareDeviceName?shareCode&amp;deviceName → data {}.</summary>
    private static async Task<Ok<QuectelEnvelope<NoData>>> RenameAsync(
        AppUser user, DeviceSharing sharing, [FromQuery] string? shareCode, [FromQuery] string? deviceName)
    {
        await sharing.RenameAsync(user, shareCode, deviceName);
        return Envelope.OkResult(new NoData());
    }
}

/// <summary>The answer of <c>shareDevice</c>: the accepted device and the recipient's own authKey (shown once).</summary>
public sealed record AcceptedShareData(
    [property: JsonPropertyName("pk")] string Pk,
    [property: JsonPropertyName("dk")] string Dk,
    [property: JsonPropertyName("shareCode")] string ShareCode,
    [property: JsonPropertyName("ownerUid")] string OwnerUid,
    [property: JsonPropertyName("authKey")] string AuthKey,
    [property: JsonPropertyName("sharingExpireAt")] string? SharingExpireAt,
    [property: JsonPropertyName("sharingExpireAtTs")] long? SharingExpireAtTs);

/// <summary>One entry of <c>deviceShareUserList</c>.</summary>
public sealed record ShareUserData(
    [property: JsonPropertyName("shareInfo")] ShareInfoData ShareInfo,
    [property: JsonPropertyName("userInfo")] ShareUserInfoData UserInfo);

/// <summary>The real cloud's <c>BidShareModelExtV1</c>, with the fields Bindery fills (never an authKey).</summary>
public sealed record ShareInfoData
{
    [JsonPropertyName("shareCode")]
    public required string ShareCode { get; init; }

    /// <summary>Bindery's share id (24 lower-hex characters; the real cloud's is a number).</summary>
    [JsonPropertyName("shareId")]
    public required string ShareId { get; init; }

    [JsonPropertyName("pk")]
    public required string Pk { get; init; }

    [JsonPropertyName("dk")]
    public required string Dk { get; init; }

    [JsonPropertyName("ownerUid")]
    public required string OwnerUid { get; init; }

    [JsonPropertyName("shareUid")]
    public required string ShareUid { get; init; }

    /// <summary>The name the recipient gave the device, if any.</summary>
    [JsonPropertyName("deviceName")]
    public string? DeviceName { get; init; }

    /// <summary>0 pending (not yet accepted), 1 accepted.</summary>
    [JsonPropertyName("shareStatus")]
    public required int ShareStatus { get; init; }

    [JsonPropertyName("shareTime")]
    public required string ShareTime { get; init; }

    [JsonPropertyName("shareTimeTs")]
    public required long ShareTimeTs { get; init; }

    [JsonPropertyName("acceptTime")]
    public string? AcceptTime { get; init; }

    [JsonPropertyName("acceptTimeTs")]
    public long? AcceptTimeTs { get; init; }

    [JsonPropertyName("acceptingExpireAt")]
    public required string AcceptingExpireAt { get; init; }

    [JsonPropertyName("acceptingExpireAtTs")]
    public required long AcceptingExpireAtTs { get; init; }

    [JsonPropertyName("sharingExpireAt")]
    public string? SharingExpireAt { get; init; }

    [JsonPropertyName("sharingExpireAtTs")]
    public long? SharingExpireAtTs { get; init; }
}

/// <summary>The recipient as <c>deviceShareUserList</c> shows them: uid and account name (as <c>nikeName</c>, the real field's spelling).</summary>
public sealed record ShareUserInfoData(
    [property: JsonPropertyName("uid")] string Uid,
    [property: JsonPropertyName("nikeName")] string NikeName);
