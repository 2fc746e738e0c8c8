namespace RealtimeEvents.Client.Internal;

/// <summary>A message from the server, parsed (docs/protocol.md, "Server messages").</summary>
internal abstract record ServerMessage;

internal sealed record WelcomeMessage(int Protocol, string ConnectionId, EventPosition? Position, TimeSpan Heartbeat) : ServerMessage;

internal sealed record SubscribedMessage(string Id, ResumeStatus? Resume, EventPosition? Position, IReadOnlyList<EventSnapshot> Snapshots) : ServerMessage;

internal sealed record UnsubscribedMessage(string Id, string Reason) : ServerMessage;

/// <summary>An <c>event</c> or an <c>events</c> message: events of one subscription, in log order.</summary>
internal sealed record EventsMessage(string Subscription, IReadOnlyList<RealtimeEvent> Events) : ServerMessage;

internal sealed record OverflowMessage(string Subscription, GapNotice Gap) : ServerMessage;

internal sealed record ErrorMessage(string? Id, string Code, string Message) : ServerMessage;

/// <summary>A <c>pong</c> or a <c>heartbeat</c>: only proves the connection is alive.</summary>
internal sealed record KeepAliveMessage(string Op, EventPosition? Position) : ServerMessage;
