namespace RealtimeEvents;

/// <summary>A subscription request was refused; <see cref="Code"/> is one of <see cref="SubscriptionErrorCodes"/>.</summary>
public sealed class SubscriptionRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SubscriptionRejectedException()
        : this(SubscriptionErrorCodes.InvalidSubscription, "The subscription request was rejected.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public SubscriptionRejectedException(string message)
        : this(SubscriptionErrorCodes.InvalidSubscription, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public SubscriptionRejectedException(string message, Exception innerException)
        : base(message, innerException) => Code = SubscriptionErrorCodes.InvalidSubscription;

    /// <summary>Creates the exception.</summary>
    /// <param name="code">A stable code from <see cref="SubscriptionErrorCodes"/>.</param>
    /// <param name="message">What went wrong, for people.</param>
    /// <param name="innerException">The cause, if any.</param>
    public SubscriptionRejectedException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    /// <summary>Gets the stable error code, one of <see cref="SubscriptionErrorCodes"/>.</summary>
    public string Code { get; }
}
