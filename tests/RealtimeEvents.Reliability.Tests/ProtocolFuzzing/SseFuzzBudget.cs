namespace RealtimeEvents.Reliability.Tests.ProtocolFuzzing;

/// <summary>
/// How long a fuzz run goes on: until <paramref name="Target"/> has passed, but not before <paramref name="Minimum"/>
/// inputs were sent, and never beyond <paramref name="HardLimit"/>. So a fast machine sends the full count within the
/// target time, and a loaded one still sends the minimum.
/// </summary>
internal sealed record SseFuzzBudget(TimeSpan Target, int Minimum, TimeSpan HardLimit)
{
    public bool Continues(TimeSpan elapsed, int sent) => elapsed < HardLimit && (elapsed < Target || sent < Minimum);

    public override string ToString() => FormattableString.Invariant($"{Target.TotalSeconds:F0} s (at least {Minimum} inputs, at most {HardLimit.TotalSeconds:F0} s)");
}
