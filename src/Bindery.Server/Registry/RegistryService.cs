using System.Data.Common;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace Bindery.Registry;

/// <summary>
/// The device maker's registry: user domains, products and devices. Free of HTTP so that the admin API, the
/// demo seeder and the benchmark all create data through the same rules.
/// </summary>
public sealed class RegistryService(IDatabase db, TimeProvider clock, IOptions<BinderyOptions> options, IOptions<ImportOptions> importOptions)
{
    public const int DefaultUserCap = 10;
    public const int MaxUserCap = 1000;
    public const int ProductSecretLength = 16;
    private const int MaxIdentifierLength = 64;
    private const int MaxNameLength = 128;
    private const int MaxUrlLength = 1024;
    private const int MinSecretLength = 16;
    private const int MaxSecretLength = 128;
    private const int MaxUserDomainsPerProduct = 100;

    private const string InsertDeviceSql = """
        INSERT INTO devices (pk, dk, sn, device_secret, module_type, data_center, created_at)
        VALUES (@Pk, @Dk, @Sn, @DeviceSecret, @ModuleType, @DataCenter, @CreatedAt)
        ON CONFLICT DO NOTHING
        """;

    private const string DeviceColumns = "pk, dk, sn, device_secret, module_type, data_center, created_at";
    private const string ProductColumns = "pk, ps, name, logo_url, module_type, binding_mode, user_cap, methods, sn_pairing_required, device_key_format, created_at";

    /// <summary>The data center this deployment serves; the default of every device created here.</summary>
    public string DataCenter => options.Value.DataCenter;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- user domains ----

    public async Task<UserDomainView> CreateUserDomainAsync(UserDomainInput input)
    {
        var row = new UserDomainRow
        {
            HomeMode = input.HomeMode ?? throw Missing("homeMode"),
            Id = input.Id is null ? "C.DM." + Secrets.NewId(12) : Identifier(input.Id, "id"),
            Secret = input.Secret is null ? Secrets.RandomAlphanumeric(40) : SecretText(input.Secret, "secret", MinSecretLength, MaxSecretLength),
            CreatedAt = Now,
            TencentEnvelope = TencentEnvelopeName(input.TencentEnvelope),
        };
        var inserted = await Guarded(
            db.WriteAsync(tx => tx.ExecuteAsync(
                "INSERT INTO user_domains (id, secret, home_mode, created_at, tencent_envelope) VALUES (@Id, @Secret, @HomeMode, @CreatedAt, @TencentEnvelope) ON CONFLICT DO NOTHING",
                row)),
            Errors.AlreadyExists, $"user domain '{row.Id}' already exists");
        if (inserted == 0)
        {
            throw new BinderyException(Errors.AlreadyExists, $"user domain '{row.Id}' already exists");
        }
        return UserDomainView.From(row);
    }

    public Task<UserDomainRow?> GetUserDomainAsync(string id) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UserDomainRow>(
            "SELECT id, secret, home_mode, created_at, tencent_envelope FROM user_domains WHERE id = @Id", new { Id = id }));

    public async Task<Page<UserDomainView>> ListUserDomainsAsync(int? offset, int? limit)
    {
        var (skip, take) = AdminPage.From(offset, limit);
        var (total, rows) = await db.ReadAsync(async c =>
        {
            var total = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM user_domains");
            var rows = await c.QueryAsync<UserDomainRow>(
                "SELECT id, secret, home_mode, created_at, tencent_envelope FROM user_domains ORDER BY id LIMIT @Take OFFSET @Skip",
                new { Take = take, Skip = skip });
            return (total, rows.ToList());
        });
        return new Page<UserDomainView>(total, skip, take, rows.Select(UserDomainView.From).ToList());
    }

    public async Task<UserDomainView> UpdateUserDomainAsync(string id, UserDomainPatch patch)
    {
        if (patch.Secret is not null && patch.RotateSecret == true)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "send either secret or rotateSecret, not both");
        }
        var newSecret = patch.Secret is not null
            ? SecretText(patch.Secret, "secret", MinSecretLength, MaxSecretLength)
            : patch.RotateSecret == true ? Secrets.RandomAlphanumeric(40) : null;
        var row = await db.WriteAsync(async tx =>
        {
            var row = await tx.QuerySingleOrDefaultAsync<UserDomainRow>(
                "SELECT id, secret, home_mode, created_at, tencent_envelope FROM user_domains WHERE id = @Id" + tx.Dialect.ForUpdate, new { Id = id })
                ?? throw UserDomainNotFound(id);
            row.HomeMode = patch.HomeMode ?? row.HomeMode;
            row.Secret = newSecret ?? row.Secret;
            if (patch.TencentEnvelope is not null)
            {
                row.TencentEnvelope = string.Equals(patch.TencentEnvelope.Trim(), "default", StringComparison.OrdinalIgnoreCase)
                    ? null
                    : TencentEnvelopeName(patch.TencentEnvelope);
            }
            await tx.ExecuteAsync(
                "UPDATE user_domains SET home_mode = @HomeMode, secret = @Secret, tencent_envelope = @TencentEnvelope WHERE id = @Id", row);
            return row;
        });
        return UserDomainView.From(row);
    }

    /// <summary>The Tencent envelope a domain chooses (docs/tencent-api.md): <c>"response"</c> or <c>"client"</c>, stored lower case; null keeps the deployment's.</summary>
    private static string? TencentEnvelopeName(string? name) => name is null
        ? null
        : Tencent.TencentEnvelopeChoice.Parse(name) switch
        {
            Tencent.TencentEnvelopeKind.Response => Tencent.TencentEnvelopeChoice.ResponseName,
            Tencent.TencentEnvelopeKind.Client => Tencent.TencentEnvelopeChoice.ClientName,
            _ => throw new BinderyException(Errors.InvalidParameterValue, "tencentEnvelope must be \"response\" or \"client\""),
        };

    /// <summary>Deletes a user domain that has no users (and therefore no families); its product grants go with it.</summary>
    public async Task DeleteUserDomainAsync(string id)
    {
        await Guarded(
            db.WriteAsync(async tx =>
            {
                _ = await tx.QuerySingleOrDefaultAsync<string>("SELECT id FROM user_domains WHERE id = @Id" + tx.Dialect.ForUpdate, new { Id = id })
                    ?? throw UserDomainNotFound(id);
                var users = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE domain_id = @Id", new { Id = id });
                var families = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM families WHERE domain_id = @Id", new { Id = id });
                if (users > 0 || families > 0)
                {
                    throw new BinderyException(Errors.UnsupportedOperation, $"user domain '{id}' still has {users} registered users; delete refused");
                }
                await tx.ExecuteAsync("DELETE FROM product_user_domains WHERE domain_id = @Id", new { Id = id });
                await tx.ExecuteAsync("DELETE FROM user_domains WHERE id = @Id", new { Id = id });
            }),
            Errors.UnsupportedOperation, $"user domain '{id}' is in use; delete refused");
    }

    // ---- products ----

    public async Task<ProductView> CreateProductAsync(ProductInput input)
    {
        var row = new ProductRow
        {
            Pk = input.Pk is null ? "p" + Secrets.NewId(12) : Identifier(input.Pk, "pk"),
            Ps = input.Ps is null ? Secrets.RandomAlphanumeric(ProductSecretLength) : ProductSecret(input.Ps),
            Name = Validate.Required(input.Name, Errors.InvalidParameter, MaxNameLength, "name"),
            LogoUrl = LogoUrl(input.LogoUrl ?? throw Missing("logoUrl")),
            ModuleType = Validate.Required(input.ModuleType, Errors.InvalidParameter, MaxIdentifierLength, "moduleType"),
            BindingMode = Mode(input.BindingMode ?? throw Missing("bindingMode")),
            UserCap = UserCap(input.UserCap ?? DefaultUserCap),
            Methods = (int)Methods(input.Methods ?? throw Missing("methods")),
            SnPairingRequired = input.SnPairingRequired ?? false,
            DeviceKeyFormat = KeyFormat(input.DeviceKeyFormat ?? DeviceKeyFormatNames.ImeiOrMac),
            CreatedAt = Now,
        };
        var domains = UserDomainIds(input.UserDomains ?? []);
        await Guarded(
            db.WriteAsync(async tx =>
            {
                await RequireUserDomainsAsync(tx, domains);
                var inserted = await tx.ExecuteAsync(
                    $"INSERT INTO products ({ProductColumns}) VALUES (@Pk, @Ps, @Name, @LogoUrl, @ModuleType, @BindingMode, @UserCap, @Methods, @SnPairingRequired, @DeviceKeyFormat, @CreatedAt) ON CONFLICT DO NOTHING",
                    row);
                if (inserted == 0)
                {
                    throw new BinderyException(Errors.AlreadyExists, $"product '{row.Pk}' already exists");
                }
                await InsertProductDomainsAsync(tx, row.Pk, domains);
            }),
            Errors.AlreadyExists, $"product '{row.Pk}' already exists or a user domain was deleted meanwhile");
        return ProductView.From(row, domains);
    }

    public Task<ProductRow?> GetProductAsync(string pk) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<ProductRow>($"SELECT {ProductColumns} FROM products WHERE pk = @Pk", new { Pk = pk }));

    /// <summary>The user domains whose users may bind devices of the product.</summary>
    public async Task<IReadOnlyList<string>> GetProductUserDomainsAsync(string pk) =>
        (await db.ReadAsync(c => c.QueryAsync<string>("SELECT domain_id FROM product_user_domains WHERE pk = @Pk ORDER BY domain_id", new { Pk = pk }))).ToList();

    public async Task<ProductView?> GetProductViewAsync(string pk)
    {
        var product = await GetProductAsync(pk);
        return product is null ? null : ProductView.From(product, await GetProductUserDomainsAsync(pk));
    }

    public async Task<Page<ProductView>> ListProductsAsync(int? offset, int? limit)
    {
        var (skip, take) = AdminPage.From(offset, limit);
        return await db.ReadAsync(async c =>
        {
            var total = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM products");
            var rows = (await c.QueryAsync<ProductRow>(
                $"SELECT {ProductColumns} FROM products ORDER BY pk LIMIT @Take OFFSET @Skip", new { Take = take, Skip = skip })).ToList();
            var links = rows.Count == 0
                ? []
                : (await c.QueryAsync<(string Pk, string DomainId)>(
                    $"SELECT pk, domain_id FROM product_user_domains WHERE {db.Dialect.InList("pk", "@Pks")} ORDER BY domain_id",
                    new { Pks = rows.Select(r => r.Pk).ToArray() })).ToList();
            var byProduct = links.ToLookup(l => l.Pk, l => l.DomainId);
            return new Page<ProductView>(total, skip, take, rows.Select(r => ProductView.From(r, byProduct[r.Pk].ToList())).ToList());
        });
    }

    public async Task<ProductView> UpdateProductAsync(string pk, ProductPatch patch)
    {
        var ps = patch.Ps is null ? null : ProductSecret(patch.Ps);
        var name = patch.Name is null ? null : Validate.Required(patch.Name, Errors.InvalidParameter, MaxNameLength, "name");
        var logoUrl = patch.LogoUrl is null ? null : LogoUrl(patch.LogoUrl);
        var moduleType = patch.ModuleType is null ? null : Validate.Required(patch.ModuleType, Errors.InvalidParameter, MaxIdentifierLength, "moduleType");
        var mode = patch.BindingMode is { } m ? Mode(m) : (int?)null;
        var userCap = patch.UserCap is { } cap ? UserCap(cap) : (int?)null;
        var methods = patch.Methods is null ? (int?)null : (int)Methods(patch.Methods);
        var domains = patch.UserDomains is null ? null : UserDomainIds(patch.UserDomains);
        var keyFormat = patch.DeviceKeyFormat is null ? null : KeyFormat(patch.DeviceKeyFormat);
        return await Guarded(
            db.WriteAsync(async tx =>
            {
                var row = await tx.QuerySingleOrDefaultAsync<ProductRow>(
                    $"SELECT {ProductColumns} FROM products WHERE pk = @Pk" + tx.Dialect.ForUpdate, new { Pk = pk })
                    ?? throw ProductNotFound(pk);
                if (mode is { } newMode && newMode != row.BindingMode)
                {
                    var bound = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bindings WHERE pk = @Pk", new { Pk = pk });
                    if (bound > 0)
                    {
                        throw new BinderyException(Errors.UnsupportedOperation, "bindingMode cannot change while devices of the product are bound");
                    }
                    row.BindingMode = newMode;
                }
                if (keyFormat is not null && keyFormat != row.DeviceKeyFormat)
                {
                    // The stored keys were checked (and normalised) under the old format.
                    var devices = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM devices WHERE pk = @Pk", new { Pk = pk });
                    if (devices > 0)
                    {
                        throw new BinderyException(Errors.UnsupportedOperation, "deviceKeyFormat cannot change while the product has devices");
                    }
                    row.DeviceKeyFormat = keyFormat;
                }
                row.Ps = ps ?? row.Ps;
                row.Name = name ?? row.Name;
                row.LogoUrl = logoUrl ?? row.LogoUrl;
                row.ModuleType = moduleType ?? row.ModuleType;
                row.UserCap = userCap ?? row.UserCap;
                row.Methods = methods ?? row.Methods;
                row.SnPairingRequired = patch.SnPairingRequired ?? row.SnPairingRequired;
                await tx.ExecuteAsync(
                    """
                    UPDATE products SET ps = @Ps, name = @Name, logo_url = @LogoUrl, module_type = @ModuleType,
                        binding_mode = @BindingMode, user_cap = @UserCap, methods = @Methods,
                        sn_pairing_required = @SnPairingRequired, device_key_format = @DeviceKeyFormat
                    WHERE pk = @Pk
                    """, row);
                if (domains is not null)
                {
                    await RequireUserDomainsAsync(tx, domains);
                    await tx.ExecuteAsync("DELETE FROM product_user_domains WHERE pk = @Pk", new { Pk = pk });
                    await InsertProductDomainsAsync(tx, pk, domains);
                }
                var current = (await tx.QueryAsync<string>(
                    "SELECT domain_id FROM product_user_domains WHERE pk = @Pk ORDER BY domain_id", new { Pk = pk })).ToList();
                return ProductView.From(row, current);
            }),
            Errors.InvalidParameterValue, "a user domain was deleted meanwhile");
    }

    /// <summary>Deletes a product that has no devices; refused otherwise, so no binding is ever dropped by accident.</summary>
    public async Task DeleteProductAsync(string pk)
    {
        await Guarded(
            db.WriteAsync(async tx =>
            {
                _ = await tx.QuerySingleOrDefaultAsync<string>("SELECT pk FROM products WHERE pk = @Pk" + tx.Dialect.ForUpdate, new { Pk = pk })
                    ?? throw ProductNotFound(pk);
                var devices = await tx.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM devices WHERE pk = @Pk", new { Pk = pk });
                if (devices > 0)
                {
                    throw new BinderyException(Errors.UnsupportedOperation, $"product '{pk}' still has {devices} devices; delete them first");
                }
                await tx.ExecuteAsync("DELETE FROM product_user_domains WHERE pk = @Pk", new { Pk = pk });
                await tx.ExecuteAsync("DELETE FROM products WHERE pk = @Pk", new { Pk = pk });
            }),
            Errors.UnsupportedOperation, $"product '{pk}' gained devices meanwhile; delete refused");
    }

    // ---- devices ----

    public async Task<DeviceView> CreateDeviceAsync(string pk, DeviceInput input)
    {
        var product = await GetProductAsync(pk) ?? throw ProductNotFound(pk);
        var row = PrepareDevice(product, input, secretRequired: false);
        await Guarded(
            db.WriteAsync(async tx =>
            {
                await RequireSameKeyFormatAsync(tx, product);
                if (await tx.ExecuteAsync(InsertDeviceSql, row) == 0)
                {
                    throw new BinderyException(Errors.AlreadyExists, await DescribeConflictAsync(tx, row));
                }
            }),
            Errors.AlreadyExists, "the device was registered meanwhile or its product was deleted");
        return DeviceView.From(row);
    }

    /// <summary>The device, or null when it does not exist (or <paramref name="dk"/> is not a device key).</summary>
    public async Task<DeviceRow?> GetDeviceAsync(string pk, string dk)
    {
        if (!DeviceKeys.IsPlausible(dk))
        {
            return null;
        }
        var (normalized, exact) = DeviceKeyFormats.LookupKeys(dk);
        return await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<DeviceRow>(
            $"SELECT {DeviceColumns} FROM devices WHERE pk = @Pk AND dk = {DeviceKeyFormats.StoredDkSql}",
            new { Pk = pk, DkNormalized = normalized, DkExact = exact }));
    }

    public async Task<Page<DeviceView>> ListDevicesAsync(string pk, int? offset, int? limit)
    {
        var (skip, take) = AdminPage.From(offset, limit);
        _ = await GetProductAsync(pk) ?? throw ProductNotFound(pk);
        var (total, rows) = await db.ReadAsync(async c =>
        {
            var total = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM devices WHERE pk = @Pk", new { Pk = pk });
            var rows = await c.QueryAsync<DeviceRow>(
                $"SELECT {DeviceColumns} FROM devices WHERE pk = @Pk ORDER BY dk LIMIT @Take OFFSET @Skip",
                new { Pk = pk, Take = take, Skip = skip });
            return (total, rows.ToList());
        });
        return new Page<DeviceView>(total, skip, take, rows.Select(DeviceView.From).ToList());
    }

    /// <summary>
    /// Removes a device with everything that refers to it, in one transaction: its bindings, shares, places in
    /// families' common lists, replay-protection entries and unused distribution-network tokens reported by it.
    /// Registering the same dk again later starts from nothing (new secret, no bindings).
    /// </summary>
    public async Task<DeletedDevice> DeleteDeviceAsync(string pk, string dk)
    {
        RequirePlausibleDk(dk);
        return await Guarded(
            db.WriteAsync(async tx =>
            {
                var normalized = await DeviceKeyFormats.ResolveAsync(tx, pk, dk);
                var key = new { Pk = pk, Dk = normalized };
                _ = await tx.QuerySingleOrDefaultAsync<string>("SELECT dk FROM devices WHERE pk = @Pk AND dk = @Dk" + tx.Dialect.ForUpdate, key)
                    ?? throw DeviceNotFound(pk, normalized);
                // Bindings and shares end through the binding lifecycle, which records them in the event outbox.
                var bindings = await BindingLifecycle.RemoveDeviceAsync(tx, pk, normalized, BindingActor.Admin, Now);
                await tx.ExecuteAsync("DELETE FROM family_common_devices WHERE pk = @Pk AND dk = @Dk", key);
                await tx.ExecuteAsync("DELETE FROM device_nonces WHERE pk = @Pk AND dk = @Dk", key);
                await tx.ExecuteAsync("DELETE FROM bt_randoms WHERE pk = @Pk AND dk = @Dk", key);
                await tx.ExecuteAsync("DELETE FROM bt_ciphertexts WHERE pk = @Pk AND dk = @Dk", key);
                await tx.ExecuteAsync("DELETE FROM bind_tokens WHERE pk = @Pk AND dk = @Dk AND used_at IS NULL", key);
                await tx.ExecuteAsync("DELETE FROM devices WHERE pk = @Pk AND dk = @Dk", key);
                return new DeletedDevice(pk, normalized, bindings);
            }),
            Errors.UnsupportedOperation, "the device gained a binding meanwhile; retry");
    }

    /// <summary>
    /// Imports devices as they arrive, <see cref="ImportOptions.BatchSize"/> per transaction. A line that is
    /// invalid or names a dk/sn already registered is skipped and reported; the others are imported. Batches
    /// committed before a failure (client gone, body too large) stay committed: re-running the import then
    /// reports the already imported lines as duplicates and adds the rest.
    /// </summary>
    public async Task<ImportResult> ImportDevicesAsync(string pk, IAsyncEnumerable<DeviceImportRow> rows, CancellationToken cancellationToken = default)
    {
        var limits = importOptions.Value;
        var product = await GetProductAsync(pk) ?? throw ProductNotFound(pk);
        var batchSize = Math.Max(1, limits.BatchSize);
        var batch = new List<(long Line, DeviceRow Device)>(batchSize);
        var errors = new List<ImportLineError>();
        var imported = 0;
        var skipped = 0;

        void Report(long line, ErrorDef error, string message)
        {
            skipped++;
            if (errors.Count < limits.MaxReportedErrors)
            {
                errors.Add(new ImportLineError(line, error.Code, message));
            }
        }

        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }
            var (inserted, conflicts) = await WriteImportBatchAsync(product, batch, cancellationToken);
            imported += inserted;
            foreach (var (line, message) in conflicts)
            {
                Report(line, Errors.AlreadyExists, message);
            }
            batch.Clear();
        }

        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (row.Device is null)
            {
                Report(row.Line, Errors.InvalidParameter, row.ParseError ?? "unreadable line");
                continue;
            }
            try
            {
                batch.Add((row.Line, PrepareDevice(product, row.Device, secretRequired: true)));
            }
            catch (BinderyException invalid)
            {
                Report(row.Line, invalid.Error, invalid.Detail ?? invalid.Error.English);
                continue;
            }
            if (batch.Count >= batchSize)
            {
                await FlushAsync();
            }
        }
        await FlushAsync();
        return new ImportResult(imported, skipped, errors);
    }

    private async Task<(int Inserted, List<(long Line, string Message)> Conflicts)> WriteImportBatchAsync(
        ProductRow product, List<(long Line, DeviceRow Device)> batch, CancellationToken cancellationToken)
    {
        var createdAt = Now;
        return await Guarded(
            db.WriteAsync(async tx =>
            {
                await RequireSameKeyFormatAsync(tx, product);
                var inserted = 0;
                var conflicts = new List<(long Line, string Message)>();
                // One command, prepared once and re-bound per row: a batch costs one statement parse, not a thousand.
                await using var insert = tx.Connection.CreateCommand();
                insert.Transaction = tx.Transaction;
                insert.CommandText = InsertDeviceSql;
                var parameters = DeviceParameterNames.Select(name =>
                {
                    var parameter = insert.CreateParameter();
                    parameter.ParameterName = name;
                    insert.Parameters.Add(parameter);
                    return parameter;
                }).ToArray();
                foreach (var (line, device) in batch)
                {
                    device.CreatedAt = createdAt;
                    object[] values = [device.Pk, device.Dk, device.Sn, device.DeviceSecret, device.ModuleType, device.DataCenter, device.CreatedAt];
                    for (var i = 0; i < values.Length; i++)
                    {
                        parameters[i].Value = values[i];
                    }
                    if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
                    {
                        inserted++;
                    }
                    else
                    {
                        conflicts.Add((line, await DescribeConflictAsync(tx, device)));
                    }
                }
                return (inserted, conflicts);
            }, cancellationToken),
            Errors.UnsupportedOperation, "the product was deleted during the import");
    }

    // ---- validation ----

    private DeviceRow PrepareDevice(ProductRow product, DeviceInput input, bool secretRequired)
    {
        if (string.IsNullOrEmpty(input.Dk))
        {
            throw new BinderyException(Errors.DeviceKeyMissing, "dk is required");
        }
        var format = product.KeyFormat;
        var dk = DeviceKeys.Normalize(input.Dk, format) ?? throw new BinderyException(Errors.DkFormat, DeviceKeys.Describe(format));
        if (string.IsNullOrWhiteSpace(input.Sn))
        {
            throw new BinderyException(Errors.SnMissing, "sn is required");
        }
        if (input.Sn.Length > MaxIdentifierLength || !IsPrintableAscii(input.Sn))
        {
            throw new BinderyException(Errors.SnInvalid, $"sn must be 1-{MaxIdentifierLength} printable ASCII characters without spaces");
        }
        string secret;
        if (string.IsNullOrEmpty(input.DeviceSecret))
        {
            secret = secretRequired ? throw Missing("deviceSecret") : Secrets.RandomAlphanumeric(32);
        }
        else
        {
            secret = SecretText(input.DeviceSecret, "deviceSecret", MinSecretLength, MaxSecretLength);
        }
        return new DeviceRow
        {
            Pk = product.Pk,
            Dk = dk,
            Sn = input.Sn,
            DeviceSecret = secret,
            ModuleType = string.IsNullOrEmpty(input.ModuleType) ? product.ModuleType : Validate.Bounded(input.ModuleType, MaxIdentifierLength, "moduleType")!,
            DataCenter = string.IsNullOrEmpty(input.DataCenter) ? DataCenter : Identifier(input.DataCenter, "dataCenter"),
            CreatedAt = Now,
        };
    }

    private static async Task<string> DescribeConflictAsync(DbTx tx, DeviceRow device)
    {
        var dkTaken = await tx.ExecuteScalarAsync<string>("SELECT dk FROM devices WHERE pk = @Pk AND dk = @Dk", device);
        return dkTaken is not null
            ? $"dk {device.Dk} is already registered for this product"
            : "sn is already registered for this product";
    }

    /// <summary>
    /// Inside the write: the product still exists and still has the key format its devices were checked against
    /// (the format may change while a product has no devices).
    /// </summary>
    private static async Task RequireSameKeyFormatAsync(DbTx tx, ProductRow product)
    {
        var format = await tx.QuerySingleOrDefaultAsync<string>("SELECT device_key_format FROM products WHERE pk = @Pk", new { product.Pk })
            ?? throw ProductNotFound(product.Pk);
        if (format != product.DeviceKeyFormat)
        {
            throw new BinderyException(Errors.UnsupportedOperation, "the product's deviceKeyFormat changed meanwhile; retry");
        }
    }

    private static readonly string[] DeviceParameterNames = ["Pk", "Dk", "Sn", "DeviceSecret", "ModuleType", "DataCenter", "CreatedAt"];

    private static async Task RequireUserDomainsAsync(DbTx tx, List<string> domains)
    {
        if (domains.Count == 0)
        {
            return;
        }
        var found = (await tx.QueryAsync<string>($"SELECT id FROM user_domains WHERE {tx.Dialect.InList("id", "@Ids")}", new { Ids = domains.ToArray() })).ToHashSet(StringComparer.Ordinal);
        var missing = domains.FirstOrDefault(d => !found.Contains(d));
        if (missing is not null)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"userDomains: user domain '{missing}' does not exist");
        }
    }

    private static Task InsertProductDomainsAsync(DbTx tx, string pk, List<string> domains) =>
        domains.Count == 0
            ? Task.CompletedTask
            : tx.ExecuteAsync("INSERT INTO product_user_domains (pk, domain_id) VALUES (@Pk, @DomainId)", domains.Select(d => new { Pk = pk, DomainId = d }));


    private static string Identifier(string value, string field)
    {
        if (value.Length is 0 or > MaxIdentifierLength || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"{field} must be 1-{MaxIdentifierLength} characters of A-Z a-z 0-9 . _ -");
        }
        return value;
    }

    private static string SecretText(string value, string field, int minLength, int maxLength)
    {
        if (value.Length < minLength || value.Length > maxLength || !IsPrintableAscii(value))
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"{field} must be {minLength}-{maxLength} printable ASCII characters without spaces");
        }
        return value;
    }

    private static string ProductSecret(string value)
    {
        if (value.Length != ProductSecretLength || !IsPrintableAscii(value))
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"ps must be exactly {ProductSecretLength} printable ASCII characters without spaces (it is an AES-128 key)");
        }
        return value;
    }

    private static string LogoUrl(string value)
    {
        Validate.Bounded(value, MaxUrlLength, "logoUrl");
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "logoUrl must be an absolute http or https URL");
        }
        return value;
    }

    private static string KeyFormat(string name) => DeviceKeyFormatNames.Parse(name) is { } format
        ? DeviceKeyFormatNames.ToName(format)
        : throw new BinderyException(Errors.InvalidParameterValue, "deviceKeyFormat must be imei-or-mac, custom or tencent");

    /// <summary>5361 unless <paramref name="dk"/> is a key of some format (the product's own is checked where it is read).</summary>
    public static void RequirePlausibleDk(string? dk)
    {
        if (!DeviceKeys.IsPlausible(dk))
        {
            throw new BinderyException(Errors.DkFormat, "dk must be an IMEI, a MAC address, or a custom key or device name of the product's format");
        }
    }

    private static int Mode(int mode) => Enum.IsDefined((BindingMode)mode)
        ? mode
        : throw new BinderyException(Errors.InvalidParameterValue, "bindingMode must be 1 (multi-user), 2 (owner) or 3 (rotation)");

    private static int UserCap(int cap) => cap is >= 1 and <= MaxUserCap
        ? cap
        : throw new BinderyException(Errors.InvalidParameterValue, $"userCap must be between 1 and {MaxUserCap}");

    private static BindingMethods Methods(IReadOnlyList<string> names)
    {
        if (names.Count == 0 || names.Count > 16)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "methods must list 1 to 7 of SN, WIFI, BT, TOKEN, SIG, QR, DK");
        }
        var methods = BindingMethods.None;
        foreach (var name in names)
        {
            methods |= BindingMethodNames.Parse(name)
                ?? throw new BinderyException(Errors.InvalidParameterValue, "methods may only contain SN, WIFI, BT, TOKEN, SIG, QR, DK");
        }
        return methods;
    }

    private static List<string> UserDomainIds(IReadOnlyList<string> ids)
    {
        if (ids.Count > MaxUserDomainsPerProduct)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"userDomains may list at most {MaxUserDomainsPerProduct} user domains");
        }
        return ids.Select(id => Identifier(id ?? "", "userDomains[]")).Distinct(StringComparer.Ordinal).ToList();
    }

    private static bool IsPrintableAscii(string value) => value.All(c => c is > ' ' and <= '~');

    private static BinderyException Missing(string field) => new(Errors.InvalidParameter, $"{field} is required");

    private static BinderyException UserDomainNotFound(string id) => new(Errors.NotFound, $"user domain '{id}' does not exist");

    private static BinderyException ProductNotFound(string pk) => new(Errors.NotFound, $"product '{pk}' does not exist");

    private static BinderyException DeviceNotFound(string pk, string dk) => new(Errors.NotFound, $"device {dk} of product '{pk}' does not exist");

    /// <summary>
    /// The checks inside each transaction decide every ordinary case; a constraint the database still rejects
    /// (a race between nodes on PostgreSQL) becomes a catalogued error instead of an internal one.
    /// </summary>
    private static async Task<T> Guarded<T>(Task<T> write, ErrorDef error, string detail)
    {
        try
        {
            return await write;
        }
        catch (ConstraintViolationException)
        {
            throw new BinderyException(error, detail);
        }
    }

    private static async Task Guarded(Task write, ErrorDef error, string detail) =>
        await Guarded(WrapAsync(write), error, detail);

    private static async Task<bool> WrapAsync(Task write)
    {
        await write;
        return true;
    }
}
