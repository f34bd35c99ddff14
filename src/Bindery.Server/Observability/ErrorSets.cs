using Bindery.Infrastructure;

namespace Bindery.Observability;

/// <summary>
/// The catalogued errors each feature's code can answer, for the API reference (<see cref="ApiReference.WithErrors{TBuilder}"/>
/// on a route group; a route adds its own). A feature's set is what its services throw, so an operation may list a code
/// that only a sibling operation of the same feature reaches in practice; the binding routes list theirs precisely.
/// </summary>
public static class ErrorSets
{
    /// <summary>What the binding core answers for any bind, whatever the method (docs/binding.md).</summary>
    public static readonly ErrorDef[] Bind =
    [
        Errors.ProductKeyMissing, Errors.DeviceKeyMissing, Errors.DkFormat, Errors.ProductOrDeviceNotFound, Errors.DomainNotAuthorizedForProduct,
        Errors.UserDomainAbnormal, Errors.MethodNotAllowedForProduct, Errors.WrongDataCenter, Errors.DeviceAlreadyBound, Errors.UniqueBindingMode,
        Errors.UserCapReached, Errors.AlreadyAcceptedShare, Errors.NoPermission, Errors.RegularMemberCannotBind, Errors.HomeModeNotEnabled,
        Errors.FamilyIdMissing, Errors.FamilyDeviceLimit, Errors.RoomNotExist, Errors.DeviceNameTooLong, Errors.DeviceVerificationFailed,
        Errors.TooManyAttempts, Errors.UnsupportedOperation, Errors.InvalidParameterValue,
    ];

    /// <summary>The binding routes besides the binds: unbind, pre-check, lists, device info, rename.</summary>
    public static readonly ErrorDef[] UserDevices =
    [
        Errors.ProductKeyMissing, Errors.DeviceKeyMissing, Errors.DkFormat, Errors.DeviceNotBound, Errors.NoPermission, Errors.NoPermissionToBind,
        Errors.ProductOrDeviceNotFound, Errors.DeviceAlreadyBound, Errors.AlreadyAcceptedShare, Errors.UserCapReached, Errors.DeviceQueryKeysMissing,
        Errors.ShareCodeInvalid, Errors.DeviceNameMissing, Errors.DeviceNameTooLong, Errors.InvalidParameterValue,
    ];

    public static readonly ErrorDef[] Homes =
    [
        Errors.FamilyModeSwitchMissing, Errors.HomeModeNotEnabled, Errors.FamilyIdMissing, Errors.FamilyNotExist, Errors.NoPermissionToFamily,
        Errors.RoomIdMissing, Errors.RoomNotExist, Errors.RoomSortMissing, Errors.RoomSortDuplicated, Errors.SameRoom, Errors.ProductKeyMissing,
        Errors.DeviceKeyMissing, Errors.DkFormat, Errors.DeviceNotBound, Errors.UserDomainAbnormal, Errors.AlreadyExists, Errors.UnsupportedOperation,
        Errors.InvalidParameterValue,
        // Family membership.
        Errors.UserInfoNotFound, Errors.MemberRoleMissing, Errors.MemberRoleInvalid, Errors.InviteExpiryMissing, Errors.InviteExpiryInPast,
        Errors.MemberNameMissing, Errors.MemberNameTooLong, Errors.MemberNameTaken, Errors.InviteeMissing, Errors.AlreadyInvited,
        Errors.InviteDecisionMissing, Errors.InviteDecisionFormat, Errors.MemberUidMissing, Errors.CannotChangeOwnRole, Errors.CannotLeaveOwnFamily,
        Errors.CannotRemoveSelf, Errors.MemberNotInFamily, Errors.FamilyInviteInvalid, Errors.TooManyAttempts,
    ];

    public static readonly ErrorDef[] Sharing =
    [
        Errors.ProductKeyMissing, Errors.DeviceNotBound, Errors.ShareCodeMissing, Errors.ShareCodeInvalid, Errors.ShareCodeUsed,
        Errors.ShareAcceptingExpireMissing, Errors.ShareCoverMarkOutOfRange, Errors.ShareNotExtended, Errors.SharingBeforeAccepting,
        Errors.ShareRecipientMissing, Errors.UnverifiedBindingCannotShare, Errors.CannotShareOwnDevice, Errors.AlreadyAcceptedShare,
        Errors.DeviceAlreadyBound, Errors.DeviceShareLimit, Errors.UserShareLimit, Errors.DeviceNameMissing, Errors.DeviceNameTooLong,
        Errors.NotFound, Errors.AlreadyExists, Errors.TooManyAttempts, Errors.InvalidParameterValue,
    ];

    public static readonly ErrorDef[] Accounts =
    [
        Errors.UserDomainAbnormal, Errors.UsernameTaken, Errors.LoginFailed, Errors.TooManyAttempts, Errors.OldPasswordWrong,
        Errors.NewPasswordSameAsOld, Errors.PasswordDecryptionFailed, Errors.SignatureVerificationFailed, Errors.SmsVerificationFailed,
        Errors.VerificationCodeInvalid, Errors.InvalidParameterValue,
    ];

    /// <summary>The device API (docs/device-api.md): HMAC authentication (9011), replays, values, the report limits.</summary>
    public static readonly ErrorDef[] Device =
    [
        Errors.DeviceAuthFailed, Errors.InvalidParameterValue, Errors.BindTokenNotExist, Errors.TooManyAttempts,
    ];

    /// <summary>The Tencent-style actions (docs/tencent-api.md, "Every action").</summary>
    public static readonly ErrorDef[] Tencent =
    [
        Errors.AppSignatureInvalid, Errors.UserLoginFailed, Errors.VerificationCodeInvalid, Errors.BindTokenNotExist, Errors.BindTokenExpired,
        Errors.BindTokenReadError, Errors.BindTokenNotReported, Errors.ProductNotExist, Errors.AppNoPermissionToProduct, Errors.FamilyNotExist,
        Errors.NoPermissionToFamily, Errors.RoomNotExist, Errors.DeviceNotExist, Errors.CannotBindSameFamily, Errors.FamilyDeviceLimit,
        Errors.DkFormat, Errors.WrongDataCenter, Errors.UnsupportedOperation, Errors.TooManyAttempts, Errors.ShareCodeInvalid,
        Errors.ShareCodeUsed, Errors.AlreadyAcceptedShare, Errors.CannotShareOwnDevice, Errors.DeviceShareLimit, Errors.UserShareLimit,
        Errors.UnverifiedBindingCannotShare, Errors.FamilyInviteInvalid, Errors.MemberRoleInvalid, Errors.NotFound, Errors.LoginFailed,
    ];

    /// <summary>The admin API (docs/admin-api.md).</summary>
    public static readonly ErrorDef[] Admin =
    [
        Errors.NotFound, Errors.AlreadyExists, Errors.InvalidParameterValue, Errors.UnsupportedOperation, Errors.DeviceKeyMissing, Errors.DkFormat,
        Errors.SnMissing, Errors.SnInvalid,
    ];
}
