namespace Bindery.Binding;

/// <summary>Configuration section <c>Binding</c>: the guessing limits and field limits of docs/binding.md.</summary>
public sealed class BindingOptions
{
    /// <summary>Wrong codes/signatures against one device's current bindingCode before that code is void.</summary>
    public int FailuresPerCode { get; set; } = 5;

    /// <summary>Failed binding attempts one user may make within <see cref="UserFailureWindow"/>.</summary>
    public int FailuresPerUser { get; set; } = 10;

    /// <summary>The window the per-user failure count runs over; once it is full the user waits for it to end.</summary>
    public TimeSpan UserFailureWindow { get; set; } = TimeSpan.FromMinutes(15);
}
