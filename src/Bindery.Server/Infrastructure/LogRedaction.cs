using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bindery.Infrastructure;

/// <summary>
/// Every log line the server writes, the framework's included (hosting's "Request starting … ?pk=…&amp;sn=…",
/// Kestrel's bad-request lines, routing, exception handlers, any HttpClient), passes through here on its way to
/// the providers: query strings are cut out of messages, structured values, scopes and exception texts, and
/// values quoted by parameter-binding errors are replaced. It is enforced in code, so no <c>Logging:LogLevel</c>
/// setting (even <c>Default=Trace</c>) can bring serial numbers, codes, tokens or passwords into a log. Bodies are
/// never logged by the server; nothing here needs to cut them.
/// </summary>
public static partial class LogRedaction
{
    public const string Redacted = "[redacted]";

    /// <summary>Wraps the logger factory so every logger redacts before its providers see anything.</summary>
    public static ILoggingBuilder AddBinderyLogRedaction(this ILoggingBuilder logging)
    {
        logging.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new RedactingLoggerFactory(new LoggerFactory(
            sp.GetServices<ILoggerProvider>(),
            sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            sp.GetService<IOptions<LoggerFactoryOptions>>(),
            sp.GetService<IExternalScopeProvider>()))));
        return logging;
    }

    /// <summary>The text without query strings (<c>/path?a=b</c> becomes <c>/path</c>) or quoted bound values.</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }
        if (text.Contains('?'))
        {
            text = QueryString().Replace(text, "");
        }
        if (text.Contains("from \"", StringComparison.Ordinal))
        {
            // Minimal-API binding errors: Failed to bind parameter "int? page" from "<the caller's value>".
            text = BoundValue().Replace(text, "from \"" + Redacted + "\"");
        }
        return text;
    }

    /// <summary>
    /// The one list of secret field names, for anything that keeps request or answer fields (the stand-in request
    /// journal): true for a parameter or JSON field name that carries a code, token, password, secret, signature,
    /// authKey, serial number or random/encrypted proof material. Matched case-insensitively, ignoring <c>_</c> and
    /// <c>-</c>: exact names, and names containing or ending with a secret word (<c>accessToken</c>,
    /// <c>bindingSecret</c>, <c>newPwd</c>, <c>shareCode</c>, …). Non-secret names that merely end in "code"
    /// (<c>CountryCode</c>, <c>internationalCode</c>) are listed as exceptions.
    /// </summary>
    public static bool IsSecretName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }
        var key = name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        if (NotSecretNames.Contains(key))
        {
            return false;
        }
        return SecretNames.Contains(key)
            || SecretWords.Any(word => key.Contains(word, StringComparison.Ordinal))
            || SecretSuffixes.Any(suffix => key.EndsWith(suffix, StringComparison.Ordinal));
    }

    /// <summary>Exact secret names (normalized: lower case, no <c>_</c>/<c>-</c>).</summary>
    private static readonly HashSet<string> SecretNames = new(StringComparer.Ordinal)
    {
        "code", "sn", "pwd", "sign", "random", "psk", "authorization", "cookie", "otp", "pin",
    };

    /// <summary>Words that make any name containing them secret.</summary>
    private static readonly string[] SecretWords =
    [
        "token", "password", "passwd", "secret", "signature", "authkey", "credential", "encrypt", "cipher", "privatekey", "bindingcode",
    ];

    /// <summary>Endings that make a name secret (<c>smsCode</c>, <c>shareCode</c>, <c>oldPwd</c>, <c>deviceSn</c>).</summary>
    private static readonly string[] SecretSuffixes = ["code", "pwd", "sn"];

    /// <summary>Names that end like a secret but are not one.</summary>
    private static readonly HashSet<string> NotSecretNames = new(StringComparer.Ordinal)
    {
        "countrycode", "internationalcode", "regioncode", "langcode", "languagecode", "statuscode", "errorcode", "answercode", "zipcode", "postcode",
        "tokenlength", "tokenlengthtype",
    };

    /// <summary>A '?' followed by anything up to whitespace or a quote: a query string, wherever it stands.</summary>
    [GeneratedRegex("""\?[^\s"'<>]+""")]
    private static partial Regex QueryString();

    [GeneratedRegex("""from "[^"]*"(?=\.|$|\s)""")]
    private static partial Regex BoundValue();

    internal static object? RedactValue(object? value) => value switch
    {
        null => null,
        string s => Redact(s),
        Uri u => Redact(u.OriginalString),
        bool or char or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal
            or DateTime or DateTimeOffset or TimeSpan or Guid or Enum or Type => value,
        _ => RedactText(value),
    };

    private static object RedactText(object value)
    {
        var text = value.ToString();
        if (text is null)
        {
            return value;
        }
        var redacted = Redact(text);
        return redacted == text ? value : redacted;
    }

    internal static Exception? RedactException(Exception? exception)
    {
        if (exception is null)
        {
            return null;
        }
        var text = exception.ToString();
        var redacted = Redact(text);
        return redacted == text ? exception : new RedactedException(exception, redacted);
    }

    internal static object RedactScope(object state) => state switch
    {
        string s => Redact(s),
        IEnumerable<KeyValuePair<string, object?>> pairs => new RedactedState(pairs, Redact(state.ToString())),
        _ => state,
    };
}

/// <summary>An exception whose text held a query string or a bound value: logged as its redacted text.</summary>
public sealed class RedactedException(Exception original, string redactedText)
    : Exception(LogRedaction.Redact(original.Message))
{
    public string OriginalType { get; } = original.GetType().FullName ?? original.GetType().Name;

    public override string? StackTrace => null;

    public override string ToString() => redactedText;
}

/// <summary>A log state (or scope) with every value redacted; its text is the redacted message.</summary>
internal sealed class RedactedState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _pairs;

    public RedactedState(IEnumerable<KeyValuePair<string, object?>>? pairs, string message)
    {
        Message = message;
        _pairs = pairs is null
            ? []
            : pairs.Select(p => p.Key == "{OriginalFormat}" ? p : new KeyValuePair<string, object?>(p.Key, LogRedaction.RedactValue(p.Value))).ToArray();
    }

    public string Message { get; }

    public int Count => _pairs.Length;

    public KeyValuePair<string, object?> this[int index] => _pairs[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_pairs).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Message;
}

internal sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}

internal sealed class RedactingLogger(ILogger inner) : ILogger
{
    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(LogRedaction.RedactScope(state));

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }
        var message = LogRedaction.Redact(formatter is null ? state?.ToString() : formatter(state, exception));
        var redacted = new RedactedState(state as IEnumerable<KeyValuePair<string, object?>>, message);
        inner.Log(logLevel, eventId, redacted, LogRedaction.RedactException(exception), static (s, _) => s.Message);
    }
}
