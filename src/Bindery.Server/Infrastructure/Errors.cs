namespace Bindery.Infrastructure;

/// <summary>
/// One entry of the error catalog. <see cref="Code"/> is the numeric code of the Quectel-style
/// <c>/v2</c> API; <see cref="TencentCode"/> is the string code the Tencent-style action API answers with.
/// Codes 5xxx/6xxx come from the seeds; 9xxx are Bindery's own (see docs/errors.md).
/// </summary>
public sealed record ErrorDef(string Name, int Code, string TencentCode, string English, string Chinese, int HttpStatus = 200)
{
    public string Message(bool chinese) => chinese ? Chinese : English;
}

/// <summary>The single error catalog shared by every dialect.</summary>
public static class Errors
{
    // Seed 000-002 codes.
    public static readonly ErrorDef DeviceVerificationFailed = new(nameof(DeviceVerificationFailed), 5009, "InvalidParameterValue", "Device verification failed", "设备验证失败");
    public static readonly ErrorDef TokenVerificationFailed = new(nameof(TokenVerificationFailed), 5032, "InvalidParameterValue.InvalidAccessToken", "Token verification failed", "token 验证失败");
    public static readonly ErrorDef NoPermission = new(nameof(NoPermission), 5041, "UnauthorizedOperation", "No permission", "没有权限");
    public static readonly ErrorDef DeviceBindingFailed = new(nameof(DeviceBindingFailed), 5048, "InternalError", "Device binding failed", "设备绑定失败");
    public static readonly ErrorDef DeviceAlreadyBound = new(nameof(DeviceAlreadyBound), 5049, "UnsupportedOperation.CannotBindSameFamily", "Device already bound", "设备已绑定");
    public static readonly ErrorDef DeviceNotBound = new(nameof(DeviceNotBound), 5052, "ResourceNotFound.DeviceNotExist", "Device not bound", "设备未绑定");
    public static readonly ErrorDef ProductKeyMissing = new(nameof(ProductKeyMissing), 5066, "InvalidParameter", "Please enter Product Key", "请输入Product Key");
    public static readonly ErrorDef DeviceKeyMissing = new(nameof(DeviceKeyMissing), 5067, "InvalidParameter", "Please enter Device Key", "请输入Device Key");
    public static readonly ErrorDef SnMissing = new(nameof(SnMissing), 5088, "InvalidParameter", "Please enter device SN", "请输入设备SN");
    public static readonly ErrorDef SnRequestFailed = new(nameof(SnRequestFailed), 5089, "InternalError", "Device SN request failed", "设备SN请求失败");
    public static readonly ErrorDef SnInvalid = new(nameof(SnInvalid), 5090, "InvalidParameterValue", "Requested device SN invalid", "请求的设备SN无效");
    public static readonly ErrorDef UserDomainAbnormal = new(nameof(UserDomainAbnormal), 5093, "UnauthorizedOperation", "Abnormal user domain", "用户域异常");
    public static readonly ErrorDef TokenMissing = new(nameof(TokenMissing), 5106, "InvalidParameterValue.InvalidAccessToken", "Please enter token", "请输入token");
    public static readonly ErrorDef BindingCodeMissing = new(nameof(BindingCodeMissing), 5179, "InvalidParameter", "Please enter bindingCode", "请输入bindingCode");
    public static readonly ErrorDef BindingCodeFormat = new(nameof(BindingCodeFormat), 5213, "InvalidParameterValue", "Incorrect bindingCode format", "bindingCode格式不正确");
    public static readonly ErrorDef DomainNotAuthorizedForProduct = new(nameof(DomainNotAuthorizedForProduct), 5229, "UnauthorizedOperation.APPNoPermissionToStudioProduct", "User domain not authorized for this product", "用户域未授权此产品");
    public static readonly ErrorDef DeviceNameMissing = new(nameof(DeviceNameMissing), 5068, "InvalidParameter", "Please enter device name", "请输入设备名称");
    public static readonly ErrorDef ShareCodeMissing = new(nameof(ShareCodeMissing), 5136, "InvalidParameter", "Please enter share code", "请输入分享码");
    public static readonly ErrorDef ShareCodeInvalid = new(nameof(ShareCodeInvalid), 5137, "InvalidParameterValue.InvalidShareDeviceToken", "Invalid share code", "分享码无效");
    public static readonly ErrorDef DeviceQueryKeysMissing = new(nameof(DeviceQueryKeysMissing), 5140, "InvalidParameter", "Please enter pk, dk or share code", "请输入pk、dk或分享码");
    public static readonly ErrorDef DeviceQueryFailed = new(nameof(DeviceQueryFailed), 5314, "InternalError.InternalServerExceptionDB", "Device query failed in cloud platform", "云平台中设备查询失败");
    public static readonly ErrorDef NoProductPermission = new(nameof(NoProductPermission), 5327, "UnauthorizedOperation.APPNoPermissionToStudioProduct", "No permission for this product", "没有此产品的权限");
    public static readonly ErrorDef DeviceNameTooLong = new(nameof(DeviceNameTooLong), 5333, "InvalidParameterValue", "Device name exceeds length limit", "设备名称超出长度限制");
    public static readonly ErrorDef PwdFormat = new(nameof(PwdFormat), 5357, "InvalidParameterValue", "Incorrect pwd format", "pwd格式不正确");
    public static readonly ErrorDef NoProductRight = new(nameof(NoProductRight), 5358, "UnauthorizedOperation.APPNoPermissionToStudioProduct", "No product permission", "没有产品权限");
    public static readonly ErrorDef UnverifiedBindingCannotShare = new(nameof(UnverifiedBindingCannotShare), 5360, "UnsupportedOperation", "An unverified binding cannot share the device; bind it with proof of possession first", "未验证的绑定不能分享设备，请先验证绑定");
    public static readonly ErrorDef DkFormat = new(nameof(DkFormat), 5361, "InvalidParameterValue", "Incorrect DK format", "dk格式不正确");
    public static readonly ErrorDef UniqueBindingMode = new(nameof(UniqueBindingMode), 5412, "UnsupportedOperation.CannotBindSameFamily", "Product binding mode is unique, cannot bind repeatedly", "产品绑定模式为唯一模式，不能重复绑定");
    public static readonly ErrorDef BindingCodeNotReported = new(nameof(BindingCodeNotReported), 5460, "InvalidParameterValue.TokenNotBind", "bindingCode not reported", "bindingCode未上报");
    public static readonly ErrorDef BindingCodeExpired = new(nameof(BindingCodeExpired), 5461, "InvalidParameterValue.TokenIsExpire", "bindingCode expired", "bindingCode已过期");
    public static readonly ErrorDef BindingCodeVerificationFailed = new(nameof(BindingCodeVerificationFailed), 5462, "InvalidParameterValue.TokenNotExist", "bindingCode verification failed", "bindingCode验证失败");
    public static readonly ErrorDef BindingSecretNotReported = new(nameof(BindingSecretNotReported), 5465, "InvalidParameterValue", "bindingSecret not reported", "bindingSecret未上报");
    public static readonly ErrorDef ProductOrDeviceNotFound = new(nameof(ProductOrDeviceNotFound), 5553, "ResourceNotFound.DeviceNotExist", "Product or device does not exist", "产品或设备不存在");
    public static readonly ErrorDef RoomSortMissing = new(nameof(RoomSortMissing), 5002, "InvalidParameter", "Please enter room sort information", "请输入房间排序信息");
    public static readonly ErrorDef RoomSortDuplicated = new(nameof(RoomSortDuplicated), 5007, "InvalidParameterValue", "Room sequence number duplicated", "房间序号重复");
    public static readonly ErrorDef FamilyModeSwitchMissing = new(nameof(FamilyModeSwitchMissing), 5623, "InvalidParameter", "Please enter enable/disable", "请输入启用/停用");
    public static readonly ErrorDef HomeModeNotEnabled = new(nameof(HomeModeNotEnabled), 5624, "UnsupportedOperation", "Home mode not enabled", "未启用家居模式");
    public static readonly ErrorDef FamilyIdMissing = new(nameof(FamilyIdMissing), 5636, "InvalidParameter", "Please enter family ID", "请输入家庭ID");
    public static readonly ErrorDef RoomIdMissing = new(nameof(RoomIdMissing), 5637, "InvalidParameter", "Please enter room ID", "请输入房间ID");
    public static readonly ErrorDef SameRoom = new(nameof(SameRoom), 5663, "InvalidParameterValue", "Source room cannot be the same as target room", "源房间不能与目标房间相同");
    public static readonly ErrorDef RegularMemberCannotBind = new(nameof(RegularMemberCannotBind), 5669, "UnauthorizedOperation.NoPermissionToFamily", "Regular user has no permission to bind device", "普通用户没有权限绑定设备");
    public static readonly ErrorDef MatterDiscriminatorMissing = new(nameof(MatterDiscriminatorMissing), 5879, "InvalidParameter", "Please enter device identifier", "请输入设备标识符");
    public static readonly ErrorDef MatterProductIdMissing = new(nameof(MatterProductIdMissing), 5880, "InvalidParameter", "Please enter Matter device product ID", "请输入Matter设备产品ID");
    public static readonly ErrorDef MatterVersionMissing = new(nameof(MatterVersionMissing), 5881, "InvalidParameter", "Please enter Matter version number", "请输入Matter版本号");
    public static readonly ErrorDef MatterVendorMissing = new(nameof(MatterVendorMissing), 5882, "InvalidParameter", "Please enter vendor", "请输入厂商");
    public static readonly ErrorDef MatterFabricIdMissing = new(nameof(MatterFabricIdMissing), 5883, "InvalidParameter", "Please enter fabricId", "请输入fabricId");
    public static readonly ErrorDef MatterNodeIdMissing = new(nameof(MatterNodeIdMissing), 5885, "InvalidParameter", "Node ID cannot be empty", "节点ID不能为空");
    public static readonly ErrorDef CommonDeviceAddFailed = new(nameof(CommonDeviceAddFailed), 5893, "InternalError", "Failed to add common device", "添加常用设备失败");
    public static readonly ErrorDef ShareRecipientMissing = new(nameof(ShareRecipientMissing), 5891, "InvalidParameter", "Please enter recipient's uid, email, or phone", "请输入被分享人的uid、邮箱或手机号");
    public static readonly ErrorDef NoPermissionToBind = new(nameof(NoPermissionToBind), 5913, "UnauthorizedOperation", "No permission to bind", "没有绑定权限");
    public static readonly ErrorDef ShareAcceptingExpireMissing = new(nameof(ShareAcceptingExpireMissing), 5132, "InvalidParameter", "Please enter the share code's expiry time", "请输入分享二维码种子失效时间");
    public static readonly ErrorDef ShareCoverMarkOutOfRange = new(nameof(ShareCoverMarkOutOfRange), 5133, "InvalidParameterValue", "Cover mark value out of range", "覆盖标志参数值超出范围");
    public static readonly ErrorDef ShareNotExtended = new(nameof(ShareNotExtended), 5151, "InvalidParameterValue", "With cover mark 3, the new share's sharing expiry cannot be earlier than the live share's", "覆盖标志为 3，分享码的设备使用到期时间不能小于正在使用的分享码的设备使用到期时间");
    public static readonly ErrorDef SharingBeforeAccepting = new(nameof(SharingBeforeAccepting), 5153, "InvalidParameterValue", "The sharing expiry must be later than the share code's expiry", "设备使用到期时间必须大于分享二维码种子失效时间");
    public static readonly ErrorDef AlreadyAcceptedShare = new(nameof(AlreadyAcceptedShare), 6040, "InvalidParameterValue.DeviceBinded", "Already accepted device sharing", "已接受该设备分享");
    public static readonly ErrorDef OldPasswordWrong = new(nameof(OldPasswordWrong), 5008, "InvalidParameterValue", "Original password is incorrect", "原密码错误");
    public static readonly ErrorDef SmsVerificationFailed = new(nameof(SmsVerificationFailed), 5037, "InvalidParameterValue.VerificationCodeError", "Verification code verification failed", "验证码校验失败");
    public static readonly ErrorDef NewPasswordSameAsOld = new(nameof(NewPasswordSameAsOld), 5063, "InvalidParameterValue", "New password cannot be the same as the original password", "新密码不能与原密码相同");
    public static readonly ErrorDef SignatureVerificationFailed = new(nameof(SignatureVerificationFailed), 5420, "AuthFailure.SignatureFailure", "Signature verification failed", "签名校验失败");
    public static readonly ErrorDef PasswordDecryptionFailed = new(nameof(PasswordDecryptionFailed), 5508, "InvalidParameterValue", "Password decryption failed", "密码解密失败");
    public static readonly ErrorDef WrongDataCenter = new(nameof(WrongDataCenter), 6083, "UnsupportedOperation", "Bound device does not belong to current data center", "绑定的设备不属于当前数据中心");

    // Bindery's own codes (9xxx): situations the seeds do not name a code for.
    public static readonly ErrorDef InvalidParameter = new(nameof(InvalidParameter), 9000, "InvalidParameter", "Invalid request parameter", "请求参数无效", 400);
    public static readonly ErrorDef InvalidParameterValue = new(nameof(InvalidParameterValue), 9001, "InvalidParameterValue", "Invalid parameter value", "参数值无效", 400);
    public static readonly ErrorDef RequestTooLarge = new(nameof(RequestTooLarge), 9002, "InvalidParameter", "Request body too large", "请求体过大", 413);
    public static readonly ErrorDef NotFound = new(nameof(NotFound), 9003, "ResourceNotFound", "Resource does not exist", "资源不存在", 404);
    public static readonly ErrorDef AdminKeyInvalid = new(nameof(AdminKeyInvalid), 9004, "UnauthorizedOperation", "Admin API key missing or invalid", "管理密钥缺失或无效", 401);
    public static readonly ErrorDef UsernameTaken = new(nameof(UsernameTaken), 9005, "InvalidParameterValue", "Username already registered in this user domain", "该用户域中用户名已被注册", 409);
    public static readonly ErrorDef LoginFailed = new(nameof(LoginFailed), 9006, "UnauthorizedOperation", "Wrong username or password", "用户名或密码错误", 401);
    public static readonly ErrorDef TooManyAttempts = new(nameof(TooManyAttempts), 9007, "LimitExceeded", "Too many failed attempts, try again later", "失败次数过多，请稍后再试", 429);
    public static readonly ErrorDef AlreadyExists = new(nameof(AlreadyExists), 9008, "InvalidParameterValue", "Resource already exists", "资源已存在", 409);
    public static readonly ErrorDef InternalError = new(nameof(InternalError), 9009, "InternalError.InternalServerException", "Internal error", "内部错误", 500);
    public static readonly ErrorDef UnsupportedOperation = new(nameof(UnsupportedOperation), 9010, "UnsupportedOperation", "Unsupported operation", "不支持的操作", 400);
    public static readonly ErrorDef DeviceAuthFailed = new(nameof(DeviceAuthFailed), 9011, "UnauthorizedOperation", "Device authentication failed", "设备认证失败", 401);
    public static readonly ErrorDef MethodNotAllowedForProduct = new(nameof(MethodNotAllowedForProduct), 9012, "UnsupportedOperation", "This binding method is not enabled for the product", "该产品未启用此绑定方式");
    public static readonly ErrorDef UserCapReached = new(nameof(UserCapReached), 9013, "LimitExceeded", "The device has reached the product's user limit", "设备已达到产品的用户数上限");
    public static readonly ErrorDef StorageUnavailable = new(nameof(StorageUnavailable), 9014, "InternalError.InternalServerExceptionDB", "Storage temporarily unavailable, retry", "存储暂不可用，请重试", 503);

    // Tencent-style token binding (seed 003) and the objects around it.
    // Sharing (docs/sharing.md): situations the Quectel seeds name no code for; the Tencent strings are
    // AppBindUserShareDevice's (cloud.tencent.com/document/product/1081/48188), as are 5137's and 6040's above.
    public static readonly ErrorDef ShareCodeUsed = new(nameof(ShareCodeUsed), 9201, "InvalidParameterValue.ShareDeviceTokenUsed", "The share code was already used by another user", "分享码已被其他用户使用");
    public static readonly ErrorDef CannotShareOwnDevice = new(nameof(CannotShareOwnDevice), 9202, "InvalidParameterValue.CannotBindOwnDevice", "You cannot accept a share of your own device", "不能接受自己设备的分享");
    public static readonly ErrorDef DeviceShareLimit = new(nameof(DeviceShareLimit), 9203, "InvalidParameterValue.DeviceShareExceedLimit", "The device has reached its share limit", "设备分享数量已达上限");
    public static readonly ErrorDef UserShareLimit = new(nameof(UserShareLimit), 9204, "InvalidParameterValue.UserBindExceedLimit", "You have reached the limit of devices shared with you", "被分享设备数量已达上限");

    public static readonly ErrorDef BindTokenNotExist = new(nameof(BindTokenNotExist), 9101, "InvalidParameterValue.TokenNotExist", "The Token does not exist", "Token不存在");
    public static readonly ErrorDef BindTokenExpired = new(nameof(BindTokenExpired), 9102, "InvalidParameterValue.TokenIsExpire", "Token has expired", "Token已过期");
    public static readonly ErrorDef BindTokenReadError = new(nameof(BindTokenReadError), 9103, "InvalidParameterValue.ReadTokenInfoError", "Token read error", "Token读取错误");
    public static readonly ErrorDef BindTokenNotReported = new(nameof(BindTokenNotReported), 9104, "InvalidParameterValue.TokenNotBind", "The Token is not bound: no device has reported it yet", "Token未绑定：尚无设备上报");
    public static readonly ErrorDef FamilyDeviceCountReadError = new(nameof(FamilyDeviceCountReadError), 9105, "InvalidParameterValue.FamilyDeviceCountReadError", "Error reading device quantity", "读取设备数量错误");
    public static readonly ErrorDef AppNoPermissionToProduct = new(nameof(AppNoPermissionToProduct), 9106, "UnauthorizedOperation.APPNoPermissionToStudioProduct", "The App has no permission to perform operations on this product", "应用无权操作此产品");
    public static readonly ErrorDef NoPermissionToFamily = new(nameof(NoPermissionToFamily), 9107, "UnauthorizedOperation.NoPermissionToFamily", "No permission to operate this family", "无权操作此家庭");
    public static readonly ErrorDef FamilyNotExist = new(nameof(FamilyNotExist), 9108, "ResourceNotFound.StudioFamilyNotExist", "The family is not created or has been deleted", "家庭不存在或已删除");
    public static readonly ErrorDef ProductNotExist = new(nameof(ProductNotExist), 9109, "ResourceNotFound.StudioProductNotExist", "The product is not created or has been deleted", "产品不存在或已删除");
    public static readonly ErrorDef DeviceNotExist = new(nameof(DeviceNotExist), 9110, "ResourceNotFound.DeviceNotExist", "The device is not created or has been deleted", "设备不存在或已删除");
    public static readonly ErrorDef FamilyDeviceLimit = new(nameof(FamilyDeviceLimit), 9111, "LimitExceeded.FamilyDeviceExceedLimit", "The device quantity exceeds the limit", "设备数量超出限制");
    public static readonly ErrorDef CannotBindSameFamily = new(nameof(CannotBindSameFamily), 9112, "UnsupportedOperation.CannotBindSameFamily", "The device has been bound. Do not repeat binding", "设备已绑定，请勿重复绑定");
    public static readonly ErrorDef InvalidAccessToken = new(nameof(InvalidAccessToken), 9113, "InvalidParameterValue.InvalidAccessToken", "Invalid Token", "无效的Token");
    public static readonly ErrorDef AppSignatureInvalid = new(nameof(AppSignatureInvalid), 9115, "AuthFailure.SignatureFailure", "The request's AppKey, Timestamp or Signature is not valid, or the signed request was already used", "请求的AppKey、时间戳或签名无效，或该签名请求已使用过", 401);
    public static readonly ErrorDef UserLoginFailed = new(nameof(UserLoginFailed), 9116, "InvalidParameterValue.UserLoginFailed", "Wrong account or password", "账号或密码错误", 401);
    public static readonly ErrorDef VerificationCodeInvalid = new(nameof(VerificationCodeInvalid), 9117, "InvalidParameterValue.VerificationCodeError", "The verification code is wrong, expired or used", "验证码错误、已过期或已使用");
    public static readonly ErrorDef RoomNotExist = new(nameof(RoomNotExist), 9114, "ResourceNotFound", "The room is not created or has been deleted", "房间不存在或已删除");

    // Family membership (docs/accounts-and-homes.md, "Family membership"): the real /v2 family API's codes
    // (inviteFamilyMember, familyMemberInviteHandle, setFamilyMemberRole/Name, deleteFamilyMember, leaveFamily)
    // and Bindery's own for what they do not name.
    public static readonly ErrorDef UserInfoNotFound = new(nameof(UserInfoNotFound), 5628, "ResourceNotFound", "User information not found", "未查询到用户信息");
    public static readonly ErrorDef MemberRoleMissing = new(nameof(MemberRoleMissing), 5645, "InvalidParameter", "Please enter member role", "请输入成员角色");
    public static readonly ErrorDef InviteExpiryMissing = new(nameof(InviteExpiryMissing), 5646, "InvalidParameter", "Please enter the invitation expiry time", "请输入失效时间");
    public static readonly ErrorDef InviteExpiryInPast = new(nameof(InviteExpiryInPast), 5647, "InvalidParameterValue", "The expiry time cannot be earlier than the current time", "失效时间不能小于当前时间");
    public static readonly ErrorDef MemberNameMissing = new(nameof(MemberNameMissing), 5648, "InvalidParameter", "Please enter member name", "请输入成员名称");
    public static readonly ErrorDef MemberNameTooLong = new(nameof(MemberNameTooLong), 5649, "InvalidParameterValue", "Member name too long, enter at most 256 characters", "成员名称超长，请输入256字符以内的成员名称");
    public static readonly ErrorDef MemberNameTaken = new(nameof(MemberNameTaken), 5650, "InvalidParameterValue", "Member name already exists, enter another", "成员名称已存在，请重新输入");
    public static readonly ErrorDef InviteeMissing = new(nameof(InviteeMissing), 5651, "InvalidParameter", "Please enter the invited user's information", "请输入被邀请用户信息");
    public static readonly ErrorDef AlreadyInvited = new(nameof(AlreadyInvited), 5653, "InvalidParameterValue", "The user has already been invited, do not invite again", "用户已被邀请，请勿重复邀请");
    public static readonly ErrorDef InviteDecisionMissing = new(nameof(InviteDecisionMissing), 5654, "InvalidParameter", "Please enter whether to accept the invitation", "请输入是否接受邀请");
    public static readonly ErrorDef InviteDecisionFormat = new(nameof(InviteDecisionFormat), 5655, "InvalidParameterValue", "Incorrect invitation decision format", "接受邀请信息格式错误");
    public static readonly ErrorDef MemberUidMissing = new(nameof(MemberUidMissing), 5656, "InvalidParameter", "Please enter the family member id", "请输入家庭成员id");
    public static readonly ErrorDef CannotChangeOwnRole = new(nameof(CannotChangeOwnRole), 5657, "UnsupportedOperation", "Changing your own member role is not allowed", "禁止修改自己的成员权限");
    public static readonly ErrorDef MemberRoleInvalid = new(nameof(MemberRoleInvalid), 5658, "InvalidParameterValue", "Invalid member role", "成员权限不合法");
    public static readonly ErrorDef CannotLeaveOwnFamily = new(nameof(CannotLeaveOwnFamily), 5661, "UnsupportedOperation", "The owner cannot leave the family; transfer it to another member first", "不能离开自己创建的家庭");
    public static readonly ErrorDef CannotRemoveSelf = new(nameof(CannotRemoveSelf), 5679, "UnsupportedOperation", "Removing yourself from the family is not allowed; leave it instead", "禁止将自己移除家庭");
    public static readonly ErrorDef MemberNotInFamily = new(nameof(MemberNotInFamily), 6054, "ResourceNotFound", "The member is not in this family", "权限不足,被移除者不在该家庭下");
    public static readonly ErrorDef FamilyInviteInvalid = new(nameof(FamilyInviteInvalid), 9301, "InvalidParameterValue.ShareTokenNotExist", "The invitation does not exist, has expired, was used, or is not yours", "邀请不存在、已过期、已使用或不属于您");

    // Audit log (docs/events.md, "Audit log"; docs/admin-api.md): the filters of GET /admin/v1/audit/events and /refusals.
    public static readonly ErrorDef AuditCursorInvalid = new(nameof(AuditCursorInvalid), 9401, "InvalidParameterValue", "The cursor is not one this listing handed out", "游标无效", 400);
    public static readonly ErrorDef AuditLimitOutOfRange = new(nameof(AuditLimitOutOfRange), 9402, "InvalidParameterValue", "limit must be a whole number from 1 to 500", "limit 必须为 1 到 500 的整数", 400);
    public static readonly ErrorDef AuditTimeRangeInvalid = new(nameof(AuditTimeRangeInvalid), 9403, "InvalidParameterValue", "from and to are Unix milliseconds, from not after to", "from 与 to 为 Unix 毫秒，且 from 不晚于 to", 400);
    public static readonly ErrorDef AuditKindUnknown = new(nameof(AuditKindUnknown), 9404, "InvalidParameterValue", "Unknown binding event kind", "未知的绑定事件类型", 400);
    public static readonly ErrorDef AuditReasonUnknown = new(nameof(AuditReasonUnknown), 9405, "InvalidParameterValue", "Unknown refusal reason", "未知的拒绝原因", 400);
    public static readonly ErrorDef AuditFilterInvalid = new(nameof(AuditFilterInvalid), 9406, "InvalidParameterValue", "Invalid audit filter", "审计筛选条件无效", 400);
    // Webhooks (docs/events.md, "Webhooks"; admin API /admin/v1/webhooks): 9411-9429.
    public static readonly ErrorDef WebhookUrlInvalid = new(nameof(WebhookUrlInvalid), 9411, "InvalidParameterValue", "The webhook URL must be an absolute http or https URL without user information", "回调地址必须是不含用户信息的 http 或 https 绝对地址", 400);
    public static readonly ErrorDef WebhookUrlForbidden = new(nameof(WebhookUrlForbidden), 9412, "InvalidParameterValue", "The webhook URL points to a loopback, private, link-local or other non-public address", "回调地址指向回环、私有、链路本地或其他非公网地址", 400);
    public static readonly ErrorDef WebhookScopeInvalid = new(nameof(WebhookScopeInvalid), 9413, "InvalidParameterValue", "Name exactly one existing user domain (userDomain) or product (pk) for the webhook", "请为回调指定一个已存在的用户域(userDomain)或产品(pk)", 400);
    public static readonly ErrorDef WebhookKindsInvalid = new(nameof(WebhookKindsInvalid), 9414, "InvalidParameterValue", "Unknown binding event kind", "未知的绑定事件类型", 400);
    public static readonly ErrorDef WebhookNotFound = new(nameof(WebhookNotFound), 9415, "ResourceNotFound", "The webhook endpoint does not exist", "回调端点不存在", 404);
    public static readonly ErrorDef WebhookDeliveryNotFound = new(nameof(WebhookDeliveryNotFound), 9416, "ResourceNotFound", "The webhook delivery does not exist", "回调投递记录不存在", 404);
    public static readonly ErrorDef WebhookDeliveryStateInvalid = new(nameof(WebhookDeliveryStateInvalid), 9417, "InvalidParameterValue", "Delivery state must be pending, delivered or dead", "投递状态必须是 pending、delivered 或 dead", 400);
    public static readonly ErrorDef WebhookDeliveryStillPending = new(nameof(WebhookDeliveryStillPending), 9418, "UnsupportedOperation", "The delivery is still pending; only a dead or delivered delivery can be sent again", "投递仍在进行中，只能重新投递失败或已送达的记录", 409);
    // Stand-in mode (docs/stand-in.md; /stand-in/v1, X-StandIn-Key): 9471-9489.
    public static readonly ErrorDef StandInKeyInvalid = new(nameof(StandInKeyInvalid), 9471, "UnauthorizedOperation", "Stand-in API key missing or invalid", "模拟模式密钥缺失或无效", 401);
    public static readonly ErrorDef StandInClockAdvanceInvalid = new(nameof(StandInClockAdvanceInvalid), 9472, "InvalidParameterValue", "Advance the clock by a positive duration of at most 3650 days: seconds (a number) or by (90s, 10m, 2h, 7d, hh:mm:ss)", "请以正的时长推进时钟（最多 3650 天）：seconds（数字）或 by（90s、10m、2h、7d、hh:mm:ss）", 400);
    public static readonly ErrorDef StandInFixtureInvalid = new(nameof(StandInFixtureInvalid), 9473, "InvalidParameterValue", "The fixture is not a valid stand-in fixture (JSON, docs/stand-in.md)", "模拟数据文件无效（JSON，见 docs/stand-in.md）", 400);
    public static readonly ErrorDef StandInDeviceNotFound = new(nameof(StandInDeviceNotFound), 9474, "ResourceNotFound.DeviceNotExist", "No such device: a virtual device must be a registered device (pk, dk)", "设备不存在：虚拟设备必须是已注册的设备（pk、dk）", 404);
    public static readonly ErrorDef StandInMqttUnavailable = new(nameof(StandInMqttUnavailable), 9475, "UnsupportedOperation", "The virtual device cannot connect over MQTT (broker off, login refused, or a device secret that is not base64)", "虚拟设备无法通过 MQTT 连接（代理未启用、登录被拒或设备密钥不是 base64）", 409);
    public static readonly ErrorDef StandInDeviceNotConnected = new(nameof(StandInDeviceNotConnected), 9476, "UnsupportedOperation", "The virtual device is not connected over MQTT: connect it first", "虚拟设备未通过 MQTT 连接，请先连接", 409);
    public static readonly ErrorDef StandInDeviceApiUnreachable = new(nameof(StandInDeviceApiUnreachable), 9477, "InternalError", "The server does not listen on an HTTP address the virtual devices can call", "服务器没有虚拟设备可调用的 HTTP 地址", 503);

    /// <summary>Every entry, for docs and tests.</summary>
    public static IReadOnlyList<ErrorDef> All { get; } = typeof(Errors)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ErrorDef))
        .Select(f => (ErrorDef)f.GetValue(null)!)
        .ToArray();
}

/// <summary>Thrown by the core when a request must be refused with a catalogued error.</summary>
public sealed class BinderyException(ErrorDef error, string? detail = null) : Exception(detail ?? error.English)
{
    public ErrorDef Error { get; } = error;

    /// <summary>Extra, non-secret detail for <c>extMsg</c> (e.g. which field was wrong).</summary>
    public string? Detail { get; } = detail;
}
