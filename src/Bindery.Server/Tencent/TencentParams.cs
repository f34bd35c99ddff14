using System.Text.Json;
using Bindery.Infrastructure;

namespace Bindery.Tencent;

/// <summary>
/// The parameters of one action request (the JSON body's top-level fields, names matched without regard to case).
/// Every refusal names the field: missing or of the wrong JSON type → InvalidParameter, out of range →
/// InvalidParameterValue.
/// </summary>
public sealed class TencentParams(JsonElement body)
{
    public const int MaxIdLength = 64;

    private JsonElement? Find(string name)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
            }
        }
        return null;
    }

    /// <summary>A string field, or null when absent or JSON null.</summary>
    public string? Text(string name, int maxLength = MaxIdLength)
    {
        if (Find(name) is not { } value)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new BinderyException(Errors.InvalidParameter, $"{name} must be a string");
        }
        var text = value.GetString()!;
        if (text.Length > maxLength)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"{name} is longer than {maxLength} characters");
        }
        return text;
    }

    /// <summary>A string field that must be present and not blank; answered trimmed.</summary>
    public string Required(string name, int maxLength = MaxIdLength) =>
        Text(name, maxLength) is { } text && !string.IsNullOrWhiteSpace(text)
            ? text.Trim()
            : throw new BinderyException(Errors.InvalidParameter, $"{name} is required");

    /// <summary>A string field that must be present but may be empty (e.g. RoomId, where "" has a meaning).</summary>
    public string Present(string name, int maxLength = MaxIdLength) =>
        Text(name, maxLength)?.Trim() ?? throw new BinderyException(Errors.InvalidParameter, $"{name} is required");

    /// <summary>A string field, or a number read as its text (a field the docs type String that clients may send as a number).</summary>
    public string? TextOrNumber(string name, int maxLength = MaxIdLength) =>
        Find(name) is { ValueKind: JsonValueKind.Number } number ? number.GetRawText() : Text(name, maxLength);

    /// <summary>An integer field (a JSON number), <paramref name="fallback"/> when absent.</summary>
    public int Number(string name, int fallback, int min, int max)
    {
        if (Find(name) is not { } value)
        {
            return fallback;
        }
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw new BinderyException(Errors.InvalidParameter, $"{name} must be a number");
        }
        if (!value.TryGetInt32(out var number) || number < min || number > max)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"{name} must be an integer from {min} to {max}");
        }
        return number;
    }
}
