namespace Bindery.Infrastructure;

/// <summary>Input checks shared by every endpoint; each failure is a catalogued error.</summary>
public static class Validate
{
    /// <summary>The longest string any field accepts unless the field has a tighter rule.</summary>
    public const int MaxStringLength = 256;

    public static string Required(string? value, ErrorDef missing, int maxLength = MaxStringLength, string? field = null)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new BinderyException(missing, field is null ? null : $"{field} is required");
        }
        return Bounded(value, maxLength, field)!;
    }

    public static string? Bounded(string? value, int maxLength = MaxStringLength, string? field = null)
    {
        if (value is not null && value.Length > maxLength)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"{field ?? "value"} is longer than {maxLength} characters");
        }
        return value;
    }
}
