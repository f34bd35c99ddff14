using System.Data.Common;
using Bindery.Accounts;
using Bindery.Homes;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Microsoft.Extensions.Options;

namespace Bindery.Binding;

/// <summary>
/// The binding rules, free of HTTP and of any dialect: every way to bind (SN, Wi-Fi, pure BT, token) goes through
/// <see cref="BindDeviceAsync"/>, and unbinding through <see cref="UnbindAsync"/>. The whole decision runs in one write
/// transaction with the device row locked; docs/binding.md describes the rules.
/// </summary>
public sealed class BindingCore(IDatabase db, TimeProvider clock, GuessLimiter guesses, IOptions<BinderyOptions> options)
{
    /// <summary>Longest device name a binding accepts (5333 beyond it).</summary>
    public const int MaxDeviceNameLength = 64;

    public const int MaxSnLength = 64;
    public const int MaxIdLength = 64;
    public const int MaxPkLength = 64;

    private abstract record Outcome;

    private sealed record Bound(BindResult Result) : Outcome;

    /// <summary>A refusal whose side effects (failure counts) must commit before the caller hears of it.</summary>
    private sealed record Refused(ErrorDef Error, string? Detail) : Outcome;

    /// <summary>A refused bind by SN: the transaction wrote nothing; the failure is counted in a write of its own.</summary>
    private sealed record SnRefused(ErrorDef Error, string? Detail) : Outcome;

    /// <summary>What the bind reads before the writer: the user domain, the user's own home mode, their lock-out count.</summary>
    private sealed class BindContextRow
    {
        public string? Secret { get; set; }

        public bool? DomainMode { get; set; }

        public bool? UserMode { get; set; }

        public long? UserFailures { get; set; }
    }

    /// <summary>The locked device row, with the caller's failed-guess count read in the same statement.</summary>
    private sealed class LockedDevice : BindingDevice
    {
        public long? UserFailures { get; set; }
    }

    /// <summary>
    /// What the bind decided or made before the writer: the product, the target in the product's key format, the
    /// user domain's secret, and the new binding's id, authKey and its hash (pure: the delegate may run again).
    /// </summary>
    private sealed record BindContext(BindingProduct Product, DeviceTarget Target, string UserDomainSecret,
        string BindingId, string AuthKey, string AuthKeyHash);

    public async Task<BindResult> BindDeviceAsync(BindRequest request, CancellationToken cancellationToken = default)
    {
        var pk = Validate.Required(request.Pk, Errors.ProductKeyMissing, MaxPkLength, "pk");
        var target = NormalizeTarget(request.Device);
        var deviceName = request.DeviceName?.Trim();
        if (deviceName is { Length: > MaxDeviceNameLength })
        {
            throw new BinderyException(Errors.DeviceNameTooLong, $"deviceName is limited to {MaxDeviceNameLength} characters");
        }
        if (request.Capabilities is { } caps && caps is < 1 or > 15)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "capabilitiesBitmask must be 1-15");
        }
        var fid = Blank(Validate.Bounded(request.Fid, MaxIdLength, "fid"));
        var frid = Blank(Validate.Bounded(request.Frid, MaxIdLength, "frid"));

        await request.Proof.PresentAsync(db, clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        if (target is DeviceTarget.BySn)
        {
            // Serial numbers are printed on boxes: the failures of all accounts together are held against the
            // product's and the domain's budgets, and every attempt costs the caller one of a few per window
            // (docs/binding.md). Both live outside the bind transaction: its conflicts stay about the device.
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (await db.ReadAsync(connection => guesses.IsSnBudgetSpentAsync(connection, pk, request.User.DomainId, now), cancellationToken)
                || !await db.WriteAsync(tx => guesses.TryClaimSnAttemptAsync(tx, request.User.Id, now), cancellationToken))
            {
                throw new BinderyException(Errors.TooManyAttempts, "too many bind-by-SN attempts; wait for the window to pass");
            }
        }
        // Everything that does not decide the race is read (and refused) on a reader, before the writer.
        var context = await db.ReadAsync(connection => ReadContextAsync(connection, request, pk, target, fid, frid), cancellationToken);
        Outcome outcome;
        try
        {
            outcome = await db.WriteAsync(tx => DecideAsync(tx, request, pk, context, deviceName, fid, frid), WriteIsolation.RowLocks, cancellationToken);
        }
        catch (UniqueViolationException)
        {
            // The partial unique index on exclusive bindings, or UNIQUE (pk, dk, user_id), had the last word.
            throw new BinderyException(Errors.UniqueBindingMode, "the device was bound by someone else at the same moment");
        }
        if (outcome is SnRefused snRefused)
        {
            // Whatever an SN attempt is refused for (unknown, someone else's, already yours, no pairing window), it
            // costs the same counted failure, so the answers are no cheaper a probe than a wrong guess. Recorded in a
            // write of its own, after the bind transaction wrote nothing: on PostgreSQL, counters written by the racing
            // losers inside their bind transactions would make them conflict with each other and retry.
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await db.WriteAsync(tx => guesses.RecordSnFailureAsync(tx, request.User.Id, pk, request.User.DomainId, now), cancellationToken);
            throw new BinderyException(snRefused.Error, snRefused.Detail);
        }
        return outcome switch
        {
            Bound bound => bound.Result,
            Refused refused => throw new BinderyException(refused.Error, refused.Detail),
            _ => throw new InvalidOperationException("unknown outcome"),
        };
    }

    /// <summary>
    /// The checks that need no lock, in the order of their answers: the caller's lock-out (a refusal here stands: the
    /// count only grows within its window; an "allowed" is checked again in the writer), the product and its rules
    /// (the admin's configuration: a bind decided on the rules it read is ordered before a concurrent change of
    /// them), the user domain, and whether a family must or must not be named (the user's own home mode; switching
    /// it changes no binding). The family itself (membership, role, room) is checked in the writer: a member can be
    /// removed and a family deleted concurrently.
    /// </summary>
    private async Task<BindContext> ReadContextAsync(DbConnection connection, BindRequest request, string pk, DeviceTarget target,
        string? fid, string? frid)
    {
        var user = request.User;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var row = await Dapper.SqlMapper.QuerySingleAsync<BindContextRow>(connection,
            $"""
            SELECT {GuessLimiter.UserFailuresSql} AS user_failures, d.secret, d.home_mode AS domain_mode, s.family_mode AS user_mode
            FROM (SELECT 1 AS one) x
            LEFT JOIN user_domains d ON d.id = @DomainId
            LEFT JOIN user_home_settings s ON s.user_id = @GuessUserId
            """,
            new { DomainId = user.DomainId, GuessScope = GuessLimiter.UserScope, GuessUserId = user.Id, GuessSince = guesses.UserWindowStartedBefore(now) });
        if (guesses.IsUserLocked(row.UserFailures))
        {
            throw new BinderyException(Errors.TooManyAttempts, "too many failed binding attempts; wait for the window to pass");
        }

        var product = await ReadProductAsync(connection, pk, user.DomainId)
            ?? throw new BinderyException(request.Errors.ProductNotFound);
        if (!product.Authorized)
        {
            throw new BinderyException(Errors.DomainNotAuthorizedForProduct);
        }
        if (target is DeviceTarget.ByDk byDk)
        {
            // The dk's shape was checked against every format before; here against the product's own (5361).
            target = new DeviceTarget.ByDk(DeviceKeyFormats.Resolve(product.KeyFormat, byDk.Dk));
        }
        if (!product.Enables(request.Method))
        {
            throw new BinderyException(request.Errors.MethodNotEnabled, $"{request.Method.WireName()} binding is not enabled for this product");
        }

        if (row.Secret is null || row.DomainMode is not { } domainMode)
        {
            throw new BinderyException(Errors.UserDomainAbnormal);
        }
        // The user's own home mode (enabledFamilyMode) wins over the domain's, except for dialects whose binds always
        // name a family (Tencent, DomainHomeModeOnly): they follow the user domain's homeMode whatever the user chose.
        var homeMode = request.DomainHomeModeOnly ? domainMode : row.UserMode ?? domainMode;
        if (!homeMode)
        {
            if (fid is not null || frid is not null)
            {
                throw new BinderyException(Errors.HomeModeNotEnabled, "this user domain does not use families; omit fid and frid");
            }
        }
        else if (fid is null)
        {
            throw new BinderyException(Errors.FamilyIdMissing);
        }
        var authKey = Secrets.NewToken();
        return new BindContext(product, target, row.Secret, Secrets.NewTimeOrderedId(clock.GetUtcNow().ToUnixTimeMilliseconds()), authKey,
            Secrets.Sha256Hex(authKey));
    }

    private async Task<Outcome> DecideAsync(DbTx tx, BindRequest request, string pk, BindContext context, string? deviceName, string? fid, string? frid)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (fid is not null)
        {
            // Home mode (checked before the writer, with fid required): the family is checked here, under its lock.
            await CheckFamilyAsync(tx, request, fid, frid);
        }

        var target = context.Target;
        if (target is DeviceTarget.BySn)
        {
            try
            {
                var outcome = await DecideOnDeviceAsync(tx, request, pk, target, deviceName, fid, frid, context, now);
                return outcome is Refused refused ? new SnRefused(refused.Error, refused.Detail) : outcome;
            }
            catch (BinderyException refused) when (refused.Error != Errors.TooManyAttempts)
            {
                // An SN attempt writes nothing before it is refused: the transaction commits empty, and the caller
                // records the failure afterwards.
                return new SnRefused(refused.Error, refused.Detail);
            }
        }
        return await DecideOnDeviceAsync(tx, request, pk, target, deviceName, fid, frid, context, now);
    }

    private async Task<Outcome> DecideOnDeviceAsync(DbTx tx, BindRequest request, string pk, DeviceTarget target, string? deviceName,
        string? fid, string? frid, BindContext context, long now)
    {
        var product = context.Product;
        var userDomainSecret = context.UserDomainSecret;
        var user = request.User;
        // The caller's row first (one user's parallel guesses decide one after another; nothing on SQLite), then the
        // device row lock, and in the same statement the caller's lock-out, which concurrent failures can change.
        await GuessLimiter.LockUserAsync(tx, user.Id);
        var device = await LockDeviceForBindAsync(tx, pk, target, user.Id, now);
        if (device is null ? await guesses.IsUserLockedAsync(tx, user.Id, now) : guesses.IsUserLocked(device.UserFailures))
        {
            throw new BinderyException(Errors.TooManyAttempts, "too many failed binding attempts; wait for the window to pass");
        }
        if (device is null)
        {
            throw new BinderyException(target is DeviceTarget.BySn ? Errors.SnInvalid : request.Errors.DeviceNotFound);
        }
        if (!string.Equals(device.DataCenter, options.Value.DataCenter, StringComparison.Ordinal))
        {
            throw new BinderyException(Errors.WrongDataCenter);
        }

        var proof = await request.Proof.VerifyAsync(new ProofContext(tx, device, product, user, userDomainSecret, now));
        if (proof is ProofResult.Failed failed)
        {
            if (failed.CountsAsGuess)
            {
                await guesses.RecordDeviceFailureAsync(tx, device.Pk, device.Dk, now);
                await guesses.RecordUserFailureAsync(tx, user.Id, now);
            }
            return new Refused(failed.Error, failed.Detail);
        }
        var proven = proof is ProofResult.ProvenResult;

        var holders = await BindingLifecycle.ReadHoldersAsync(tx, device.Pk, device.Dk);

        // A binding that proves possession displaces every unverified (SN) binding, in every mode, the caller's own
        // included (it is upgraded): whoever holds the device beats whoever only knows its serial number. An
        // unproven binding is never accepted once someone has proven possession.
        var displacedHolders = proven ? holders.Where(h => !h.Verified).ToList() : [];
        var remaining = holders.Except(displacedHolders).ToList();
        if (remaining.Any(h => h.UserId == user.Id))
        {
            throw new BinderyException(Errors.DeviceAlreadyBound);
        }
        // The shares of the device to the caller, read once: a live accepted one refuses the bind, any other is moot
        // once the binding is made and is removed below.
        var sharesToUser = await BindingLifecycle.ReadSharesToUserAsync(tx, device.Pk, device.Dk, user.Id, now);
        if (sharesToUser.Any(share => share.LiveAccepted))
        {
            throw new BinderyException(Errors.AlreadyAcceptedShare);
        }
        if (fid is not null && remaining.Any(h => h.Fid == fid))
        {
            throw new BinderyException(request.Errors.AlreadyInFamily, "the device is already in this family");
        }
        if (!proven && remaining.Any(h => h.Verified))
        {
            throw new BinderyException(Errors.UniqueBindingMode, "someone has proven possession of this device; only a binding that proves possession, or a share, can join it");
        }

        switch (product.Mode)
        {
            case BindingMode.MultiUser:
                if (remaining.Count >= product.UserCap)
                {
                    throw new BinderyException(Errors.UserCapReached, $"at most {product.UserCap} users per device");
                }
                break;
            case BindingMode.Owner:
                if (remaining.Count > 0)
                {
                    throw new BinderyException(Errors.UniqueBindingMode);
                }
                break;
            case BindingMode.Rotation:
                if (remaining.Count > 0)
                {
                    if (!proven)
                    {
                        throw new BinderyException(Errors.UniqueBindingMode, "only a binding that proves possession replaces the current holder");
                    }
                    displacedHolders.AddRange(remaining);
                }
                break;
            default:
                throw new BinderyException(Errors.UnsupportedOperation, "the product has an unknown binding mode");
        }
        var actor = BindingActor.User(user.Id);
        foreach (var holder in displacedHolders)
        {
            await BindingLifecycle.RemoveBindingAsync(tx, holder, BindingEventKinds.Displaced, actor, now);
        }
        var displaced = displacedHolders.FirstOrDefault(h => h.UserId != user.Id)?.UserId;

        if (fid is not null)
        {
            await tx.FlushAsync(); // read directly on the connection: what the displacements put off goes first
            var inFamily = await FamilyDevices.CountAsync(tx.Connection, tx.Transaction, fid);
            if (inFamily >= options.Value.FamilyDeviceLimit)
            {
                throw new BinderyException(Errors.FamilyDeviceLimit, $"a family holds at most {options.Value.FamilyDeviceLimit} devices");
            }
        }

        var authKey = context.AuthKey;
        var binding = new BindingHolder
        {
            BindingId = context.BindingId,
            Pk = device.Pk,
            Dk = device.Dk,
            UserId = user.Id,
            Fid = fid,
            Method = request.Method.WireName(),
            Verified = proven,
        };
        // Put off (DbTx.ExecuteLaterAsync): the decision is taken; on PostgreSQL the row, its event and its push go
        // in one round trip, with the COMMIT. A unique index that still refuses it surfaces from the write as before.
        await tx.ExecuteLaterAsync(
            """
            INSERT INTO bindings (binding_id, pk, dk, user_id, is_exclusive, method, auth_key_hash, device_name,
                                  capabilities, fid, frid, is_common, matter_info, verified, bound_at)
            VALUES (@BindingId, @Pk, @Dk, @UserId, @IsExclusive, @Method, @AuthKeyHash, @DeviceName,
                    @Capabilities, @Fid, @Frid, @IsCommon, @MatterInfo, @Verified, @Now)
            """,
            new
            {
                binding.BindingId,
                binding.Pk,
                binding.Dk,
                binding.UserId,
                IsExclusive = product.Mode != BindingMode.MultiUser,
                binding.Method,
                context.AuthKeyHash,
                DeviceName = string.IsNullOrEmpty(deviceName) ? product.Name : deviceName,
                request.Capabilities,
                binding.Fid,
                Frid = frid,
                IsCommon = fid is not null && request.IsCommonDevice,
                MatterInfo = request.MatterInfoJson,
                binding.Verified,
                Now = now,
            });
        await BindingLifecycle.RecordBoundAsync(tx, binding, actor, now);
        if (fid is not null && request.IsCommonDevice)
        {
            await FamilyDevices.MarkCommonAsync(tx, fid, device.Pk, device.Dk, now);
        }
        if (target is DeviceTarget.BySn && product.SnPairingRequired)
        {
            // The pairing window the device opened admits one SN binding.
            await tx.ExecuteAsync("UPDATE devices SET pairing_window_expires_at = NULL WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk });
        }
        // A pending share to this user is moot now that they hold a binding of their own.
        await BindingLifecycle.RemoveSharesReadAsync(tx, sharesToUser, actor, now);

        return new Bound(new BindResult(binding.BindingId, authKey, device.Pk, device.Dk, device.ModuleType, product.Name, product.LogoUrl,
            product.Mode, proven, displaced));
    }

    private static async Task CheckFamilyAsync(DbTx tx, BindRequest request, string fid, string? frid)
    {
        // Locks the family row: a concurrent delete of the family, or another bind counting its devices, waits.
        var role = await FamilyAccess.LockRoleAsync(tx, fid, request.User.Id)
            ?? throw new BinderyException(request.Errors.FamilyNotAccessible);
        if (role == FamilyRole.Member)
        {
            throw new BinderyException(Errors.RegularMemberCannotBind);
        }
        if (frid is not null && !await FamilyAccess.RoomBelongsToFamilyAsync(tx.Connection, tx.Transaction, frid, fid))
        {
            throw new BinderyException(request.Errors.RoomNotFound);
        }
    }

    /// <summary>
    /// Removes the caller's binding of a device (or their share of it); 5052 when they have neither. With
    /// <see cref="UnbindRequest.IsInit"/> the device's binding state is reset too (docs/binding.md, "Unbind"): allowed
    /// for a holder whose verified binding is the device's only one (owner and rotation mode always; multi-user mode
    /// for the last holder), or for any holder who presents a valid pure-BT reset proof; otherwise 5041 and nothing
    /// changes. A failed reset proof is 5009 and counts as a failed guess.
    /// </summary>
    public async Task<UnbindResult> UnbindAsync(UnbindRequest request, CancellationToken cancellationToken = default)
    {
        var user = request.User;
        var validPk = Validate.Required(request.Pk, Errors.ProductKeyMissing, MaxPkLength, "pk");
        var validDk = RequireDk(request.Dk);
        var proof = PureBtResetProof.Create(validPk, validDk, request.PureBtResetCredentials, request.Random);
        if (proof is not null)
        {
            await proof.PresentAsync(db, clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        }
        var outcome = await db.WriteAsync(async tx =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var actor = BindingActor.User(user.Id);
            var device = await LockDeviceAsync(tx, validPk, new DeviceTarget.ByDk(await DeviceKeyFormats.ResolveAsync(tx, validPk, validDk)))
                ?? throw new BinderyException(Errors.DeviceNotBound);
            var binding = await BindingLifecycle.ReadHolderAsync(tx, device.Pk, device.Dk, user.Id);
            if (binding is null)
            {
                if (request.IsInit)
                {
                    // A share's recipient (or a stranger: the same answer as unbinding without isInit) resets nothing.
                    var shared = await tx.ExecuteScalarAsync<long>(
                        "SELECT COUNT(*) FROM device_shares WHERE pk = @Pk AND dk = @Dk AND user_id = @UserId",
                        new { device.Pk, device.Dk, UserId = user.Id });
                    throw shared > 0
                        ? new BinderyException(Errors.NoPermission, "a shared device is left without isInit; only a holder resets it")
                        : new BinderyException(Errors.DeviceNotBound);
                }
                var leftShare = await BindingLifecycle.RemoveShareToUserAsync(tx, device.Pk, device.Dk, user.Id, actor, now);
                return leftShare > 0
                    ? (Outcome)new Unbound(new UnbindResult(device.Pk, device.Dk, WasShare: true) { BindingSum = await CountBindingsAsync(tx, device) })
                    : throw new BinderyException(Errors.DeviceNotBound);
            }
            var proven = false;
            if (proof is not null)
            {
                if (await guesses.IsUserLockedAsync(tx, user.Id, now))
                {
                    throw new BinderyException(Errors.TooManyAttempts, "too many failed attempts; wait for the window to pass");
                }
                var product = await ReadProductAsync(tx, device.Pk, user.DomainId) ?? throw new BinderyException(Errors.DeviceNotBound);
                proven = await proof.VerifyAsync(tx, device, product.Ps);
                if (!proven)
                {
                    // Committed with the refusal: the failure counts.
                    await guesses.RecordUserFailureAsync(tx, user.Id, now);
                    return new Refused(Errors.DeviceVerificationFailed, null);
                }
            }
            if (request.IsInit)
            {
                var others = await tx.ExecuteScalarAsync<long>(
                    "SELECT COUNT(*) FROM bindings WHERE pk = @Pk AND dk = @Dk AND user_id <> @UserId",
                    new { device.Pk, device.Dk, UserId = user.Id });
                if (!proven && !(binding.Verified && others == 0))
                {
                    throw new BinderyException(Errors.NoPermission, binding.Verified
                        ? "other users hold this device; isInit resets it only for its last holder or with the device's reset proof"
                        : "an unverified (SN) binding cannot reset the device; unbind without isInit");
                }
            }
            await BindingLifecycle.RemoveBindingAsync(tx, binding, BindingEventKinds.Unbound, actor, now);
            if (request.IsInit)
            {
                await tx.ExecuteAsync(
                    """
                    UPDATE devices SET binding_code_hash = NULL, binding_code_reported_at = NULL, binding_code_expires_at = NULL,
                        binding_code_used_at = NULL, binding_code_failures = 0, binding_secret_hash = NULL,
                        binding_secret_reported_at = NULL, pairing_window_expires_at = NULL
                    WHERE pk = @Pk AND dk = @Dk
                    """,
                    new { device.Pk, device.Dk });
            }
            return new Unbound(new UnbindResult(device.Pk, device.Dk, WasShare: false)
            {
                BindingSum = await CountBindingsAsync(tx, device),
                DeviceReset = request.IsInit,
            });
        }, WriteIsolation.RowLocks, cancellationToken);
        return outcome switch
        {
            Unbound unbound => unbound.Result,
            Refused refused => throw new BinderyException(refused.Error, refused.Detail),
            _ => throw new InvalidOperationException("unknown outcome"),
        };
    }

    private sealed record Unbound(UnbindResult Result) : Outcome;

    private static async Task<int> CountBindingsAsync(DbTx tx, BindingDevice device) =>
        (int)await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bindings WHERE pk = @Pk AND dk = @Dk", new { device.Pk, device.Dk });

    /// <summary>
    /// Removes the caller's own binding of a device when that binding is in family <paramref name="fid"/> (the Tencent
    /// dialect's delete-device-from-family); <paramref name="notInFamily"/> when the device is unknown or the caller
    /// holds no binding of it there. A share is never left this way.
    /// </summary>
    public async Task<UnbindResult> UnbindFromFamilyAsync(AppUser user, string? pk, string? dk, string fid, ErrorDef notInFamily,
        CancellationToken cancellationToken = default)
    {
        var validPk = Validate.Required(pk, Errors.ProductKeyMissing, MaxPkLength, "pk");
        var validDk = RequireDk(dk);
        return await db.WriteAsync(async tx =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var device = await LockDeviceAsync(tx, validPk, new DeviceTarget.ByDk(await DeviceKeyFormats.ResolveAsync(tx, validPk, validDk)))
                ?? throw new BinderyException(notInFamily, "you hold no binding of this device in this family");
            var binding = await BindingLifecycle.ReadHolderAsync(tx, device.Pk, device.Dk, user.Id);
            if (binding is null || binding.Fid != fid)
            {
                throw new BinderyException(notInFamily, "you hold no binding of this device in this family");
            }
            await BindingLifecycle.RemoveBindingAsync(tx, binding, BindingEventKinds.Unbound, BindingActor.User(user.Id), now);
            return new UnbindResult(device.Pk, device.Dk, WasShare: false);
        }, WriteIsolation.RowLocks, cancellationToken);
    }

    public static async Task<BindingProduct?> ReadProductAsync(DbTx tx, string pk, string domainId) =>
        await tx.QuerySingleOrDefaultAsync<BindingProduct>(ProductSql, new { Pk = pk, DomainId = domainId });

    public static Task<BindingProduct?> ReadProductAsync(DbConnection connection, string pk, string domainId) =>
        Dapper.SqlMapper.QuerySingleOrDefaultAsync<BindingProduct?>(connection, ProductSql, new { Pk = pk, DomainId = domainId });

    private const string ProductSql =
        """
        SELECT p.pk, p.ps, p.name, p.logo_url, p.module_type, p.binding_mode, p.user_cap, p.methods, p.sn_pairing_required, p.device_key_format,
               CASE WHEN pud.domain_id IS NULL THEN FALSE ELSE TRUE END AS authorized
        FROM products p
        LEFT JOIN product_user_domains pud ON pud.pk = p.pk AND pud.domain_id = @DomainId
        WHERE p.pk = @Pk
        """;

    /// <summary>Reads and locks the device row every binding decision about that device serialises on.</summary>
    public static Task<BindingDevice?> LockDeviceAsync(DbTx tx, string pk, DeviceTarget target)
    {
        var (where, key) = DeviceWhere(target);
        return tx.QuerySingleOrDefaultAsync<BindingDevice>(
            tx.LockRowsSql("devices", LockedDeviceColumns, $"pk = @Pk AND {where}", touchColumn: "binding_code_failures"),
            new { Pk = pk, Key = key });
    }

    /// <summary>
    /// <see cref="LockDeviceAsync"/> for a bind: the same row and lock, with the user's failures in the current window
    /// read by the same statement (the lock-out re-check costs no statement of its own in the writer).
    /// </summary>
    private Task<LockedDevice?> LockDeviceForBindAsync(DbTx tx, string pk, DeviceTarget target, string userId, long now)
    {
        var (where, key) = DeviceWhere(target);
        return tx.QuerySingleOrDefaultAsync<LockedDevice>(
            tx.LockRowsSql("devices", $"{LockedDeviceColumns}, {GuessLimiter.UserFailuresSql} AS user_failures",
                $"pk = @Pk AND {where}", touchColumn: "binding_code_failures"),
            new { Pk = pk, Key = key, GuessScope = GuessLimiter.UserScope, GuessUserId = userId, GuessSince = guesses.UserWindowStartedBefore(now) });
    }

    private const string LockedDeviceColumns =
        "pk, dk, sn, module_type, data_center, binding_code_hash, binding_code_expires_at, binding_code_used_at, binding_secret_hash, pairing_window_expires_at";

    /// <summary>The device row a target names: by device key or by serial number (parameter <c>@Key</c>).</summary>
    private static (string Where, string Key) DeviceWhere(DeviceTarget target) => target switch
    {
        DeviceTarget.ByDk byDk => ("dk = @Key", byDk.Dk),
        DeviceTarget.BySn bySn => ("sn = @Key", bySn.Sn),
        _ => throw new ArgumentOutOfRangeException(nameof(target)),
    };

    private static DeviceTarget NormalizeTarget(DeviceTarget target) => target switch
    {
        DeviceTarget.ByDk byDk => new DeviceTarget.ByDk(RequireDk(byDk.Dk)),
        DeviceTarget.BySn bySn => new DeviceTarget.BySn(NormalizeSn(bySn.Sn)),
        _ => throw new ArgumentOutOfRangeException(nameof(target)),
    };

    /// <summary>
    /// The dk as sent (trimmed): 5067 when missing, 5361 when no device-key format accepts it. It is checked against
    /// (and normalised by) the product's own format once the product is read: <see cref="DeviceKeyFormats"/>.
    /// </summary>
    public static string RequireDk(string? dk)
    {
        if (string.IsNullOrWhiteSpace(dk))
        {
            throw new BinderyException(Errors.DeviceKeyMissing);
        }
        var trimmed = dk.Trim();
        return DeviceKeys.IsPlausible(trimmed)
            ? trimmed
            : throw new BinderyException(Errors.DkFormat, "dk must be an IMEI (15 digits) or a MAC address (12 hex digits), or a key of the product's device-key format");
    }

    private static string NormalizeSn(string? sn)
    {
        if (string.IsNullOrWhiteSpace(sn))
        {
            throw new BinderyException(Errors.SnMissing);
        }
        var trimmed = sn.Trim();
        return trimmed.Length <= MaxSnLength ? trimmed : throw new BinderyException(Errors.SnInvalid);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

public sealed record UnbindResult(string Pk, string Dk, bool WasShare)
{
    /// <summary>Bindings of the device left after the unbind, unverified ones included (not shares).</summary>
    public int BindingSum { get; init; }

    /// <summary>The unbind also reset the device's binding state (isInit).</summary>
    public bool DeviceReset { get; init; }
}
