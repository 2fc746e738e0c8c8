using System.Diagnostics;
using System.Globalization;
using RealtimeEvents.Benchmarks.Support;

namespace RealtimeEvents.Benchmarks;

/// <summary>
/// Per-event latency percentiles, publish → subscriber receives, which BenchmarkDotNet does not give: one node built
/// like <see cref="RabbitMqPublishDeliverBenchmarks"/>'s (real DI stack, one subscriber), events published at a fixed
/// rate or as fast as a bounded number outstanding allows, each timed with <see cref="Stopwatch"/> from just before its
/// <c>PublishAsync</c> call to the moment the subscriber reads it.
/// </summary>
/// <remarks>
/// <para>
/// <c>latency --log memory|rabbitmq --rate 1000[,5000,max] [--seconds 10] [--warmup 2] [--outstanding 256]</c>.
/// Several rates run one after another on the same node; each prints one row.
/// </para>
/// <para>
/// A fixed rate is open-loop: a pacer wakes about every millisecond and starts every event that is due (bursts of
/// rate/1000), without waiting for earlier ones, so a slow event does not delay the next one's start. <c>max</c> is
/// closed-loop: at most <c>--outstanding</c> events published but not yet read by the subscriber, and a new one starts as
/// each is read. Events started during the warm-up are not counted.
/// </para>
/// </remarks>
internal static class LatencyRunner
{
    private const string Usage =
        "usage: latency --log memory|rabbitmq --rate N[,N...|,max] [--seconds S] [--warmup S] [--outstanding K]";

    private const int RingSize = 1 << 20; // send times by event index; more than this outstanding is an error
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args)
    {
        if (!TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync(error + Environment.NewLine + Usage);
            return 2;
        }

        if (options.Log == BenchmarkLog.RabbitMq && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SubscriberHost.UriVariable)))
        {
            await Console.Error.WriteLineAsync(
                $"{SubscriberHost.UriVariable} is not set. Start a broker with 'tests/rabbitmq/test-broker.sh start DIR' and set it to the amqp:// URI that prints.");
            return 2;
        }

        await using var host = await SubscriberHost.StartAsync(options.Log);
        Console.WriteLine($"log: {options.Log}{(host.StreamName is { } stream ? $" (stream {stream})" : string.Empty)}, " +
            $"{options.Seconds} s measured after {options.Warmup} s warm-up per rate, Stopwatch resolution {1e9 / Stopwatch.Frequency:0.#} ns");
        Console.WriteLine();
        Console.WriteLine("Latency: PublishAsync called -> the subscriber reads the event. PublishAsync: called -> its task completes.");
        Console.WriteLine();
        Console.WriteLine("| log | target rate (events/s) | achieved (events/s) | events | p50 | p90 | p99 | p99.9 | max | PublishAsync p50 | PublishAsync p99 | lost |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var rate in options.Rates)
        {
            using var run = new Run(host, rate, options);
            var result = await run.ExecuteAsync();
            Console.WriteLine(result.ToRow(options.Log, rate, options.Outstanding));
            if (result.Failure is not null)
            {
                await Console.Error.WriteLineAsync(result.Failure);
                return 1;
            }
        }

        return 0;
    }

    private static bool TryParse(string[] args, out LatencyOptions options, out string error)
    {
        options = new LatencyOptions();
        error = string.Empty;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value.";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--log" when value is "memory" or "rabbitmq":
                    options.Log = value == "memory" ? BenchmarkLog.Memory : BenchmarkLog.RabbitMq;
                    break;
                case "--rate":
                    var rates = new List<int>();
                    foreach (var part in value.Split(','))
                    {
                        if (part == "max")
                        {
                            rates.Add(0);
                        }
                        else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var rate) && rate > 0)
                        {
                            rates.Add(rate);
                        }
                        else
                        {
                            error = $"--rate: '{part}' is neither a positive number of events per second nor 'max'.";
                            return false;
                        }
                    }

                    options.Rates = [.. rates];
                    break;
                case "--seconds" when double.TryParse(value, CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    options.Seconds = seconds;
                    break;
                case "--warmup" when double.TryParse(value, CultureInfo.InvariantCulture, out var warmup) && warmup >= 0:
                    options.Warmup = warmup;
                    break;
                case "--outstanding" when int.TryParse(value, CultureInfo.InvariantCulture, out var outstanding) && outstanding is > 0 and <= 1000:
                    options.Outstanding = outstanding; // at most the subscription queue's capacity (1024), so max mode never drops
                    break;
                default:
                    error = $"Unknown option or bad value: {name} {value}.";
                    return false;
            }
        }

        if (options.Rates.Length == 0)
        {
            error = "--rate is required.";
            return false;
        }

        return true;
    }

    private sealed class LatencyOptions
    {
        public BenchmarkLog Log { get; set; } = BenchmarkLog.Memory;

        /// <summary>Gets or sets the rates to run, in events per second; 0 is "max".</summary>
        public int[] Rates { get; set; } = [];

        public double Seconds { get; set; } = 10;

        public double Warmup { get; set; } = 2;

        public int Outstanding { get; set; } = 256;
    }

    private sealed record RunResult(double Achieved, long[] Latencies, long[] PublishTimes, long Lost, string? Failure)
    {
        public string ToRow(BenchmarkLog log, int rate, int outstanding)
        {
            Array.Sort(Latencies);
            Array.Sort(PublishTimes);
            var target = rate == 0 ? $"max ({outstanding} outstanding)" : rate.ToString("N0", CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture,
                $"| {(log == BenchmarkLog.Memory ? "in-memory" : "RabbitMQ")} | {target} | {Achieved:N0} | {Latencies.Length:N0} | " +
                $"{Percentile(Latencies, 0.5)} | {Percentile(Latencies, 0.9)} | {Percentile(Latencies, 0.99)} | {Percentile(Latencies, 0.999)} | " +
                $"{Percentile(Latencies, 1)} | {Percentile(PublishTimes, 0.5)} | {Percentile(PublishTimes, 0.99)} | {Lost:N0} |");
        }

        private static string Percentile(long[] sorted, double q) =>
            sorted.Length == 0 ? "-" : Milliseconds(sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1)]);

        private static string Milliseconds(long ticks) =>
            string.Create(CultureInfo.InvariantCulture, $"{ticks * 1000.0 / Stopwatch.Frequency:0.000} ms");
    }

    /// <summary>One rate on one node: a publisher (pacer) and the subscriber's reader running at once.</summary>
    private sealed class Run(SubscriberHost host, int rate, LatencyOptions options) : IDisposable
    {
        private readonly long[] _sent = new long[RingSize];
        private readonly EventData _data = BenchmarkEvents.Draft().Data;
        private readonly SemaphoreSlim _outstanding = new(options.Outstanding, options.Outstanding);
        private readonly List<long> _latencies = new(rate == 0 ? 1 << 20 : (int)(rate * options.Seconds) + 1024);
        private readonly List<long> _publishTimes = new(rate == 0 ? 1 << 20 : (int)(rate * options.Seconds) + 1024);
        private readonly TaskCompletionSource _allRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stopReading = new();
        private long _published; // events whose PublishAsync was called
        private long _read;
        private long _failed;
        private long _gaps;
        private string? _firstFailure;
        private long _measureFrom;
        private long _firstIndex = -1;
        private long _lastIndex = -1;
        private long _firstSent;
        private long _lastSent;
        private volatile bool _publishing = true;

        public async Task<RunResult> ExecuteAsync()
        {
            var start = Stopwatch.GetTimestamp();
            _measureFrom = start + (long)(options.Warmup * Stopwatch.Frequency);
            var end = _measureFrom + (long)(options.Seconds * Stopwatch.Frequency);
            var reader = Task.Run(ReadAsync);
            var publisher = rate == 0 ? PublishClosedLoopAsync(end) : PublishAtRateAsync(start, end);
            try
            {
                await publisher;
            }
            finally
            {
                _publishing = false;
                if (Interlocked.Read(ref _read) == Interlocked.Read(ref _published))
                {
                    _allRead.TrySetResult();
                }
            }

            try
            {
                await _allRead.Task.WaitAsync(DrainTimeout);
            }
            catch (TimeoutException)
            {
                // reported as lost below
            }

            var lost = Interlocked.Read(ref _published) - Interlocked.Read(ref _read);
            long[] latencies;
            lock (_latencies)
            {
                latencies = [.. _latencies];
            }

            long[] publishTimes;
            lock (_publishTimes)
            {
                publishTimes = [.. _publishTimes];
            }

            // Achieved rate: counted events over the time between the first and last counted send.
            var span = _lastSent - _firstSent;
            var achieved = span > 0 ? (_lastIndex - _firstIndex) * (double)Stopwatch.Frequency / span : 0;
            var failure = _firstFailure is not null
                ? $"{Interlocked.Read(ref _failed)} publishes failed; the first: {_firstFailure}"
                : lost > 0 || Interlocked.Read(ref _gaps) > 0 ? $"{lost} events not read within {DrainTimeout.TotalSeconds} s, {_gaps} gap notices." : null;
            await _stopReading.CancelAsync(); // the next rate's reader must be the subscription's only reader
            await reader;

            return new RunResult(achieved, latencies, publishTimes, lost, failure);
        }

        public void Dispose()
        {
            _outstanding.Dispose();
            _stopReading.Dispose();
        }

        /// <summary>Open loop: about every millisecond, start every event due by now.</summary>
        private async Task PublishAtRateAsync(long start, long end)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
            long index = 0;
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= end)
                {
                    return;
                }

                var due = ((now - start) * (long)rate / Stopwatch.Frequency) + 1;
                while (index < due)
                {
                    if (index - Interlocked.Read(ref _read) >= RingSize)
                    {
                        throw new InvalidOperationException($"More than {RingSize} events outstanding: the subscriber is not keeping up with {rate} events/s.");
                    }

                    Publish(index++);
                }

                await timer.WaitForNextTickAsync();
            }
        }

        /// <summary>Closed loop: at most <c>--outstanding</c> events published and not yet read.</summary>
        private async Task PublishClosedLoopAsync(long end)
        {
            long index = 0;
            while (Stopwatch.GetTimestamp() < end)
            {
                if (!await _outstanding.WaitAsync(DrainTimeout))
                {
                    throw new InvalidOperationException($"No event reached the subscriber for {DrainTimeout.TotalSeconds} s with {options.Outstanding} outstanding.");
                }

                Publish(index++);
            }
        }

        private void Publish(long index)
        {
            var draft = new EventDraft(EventTypes.Task.Progress, BenchmarkEvents.Topic)
            {
                Data = _data,
                Id = index.ToString(CultureInfo.InvariantCulture),
            };
            var sent = Stopwatch.GetTimestamp();
            _sent[index % RingSize] = sent;
            if (sent >= _measureFrom)
            {
                if (_firstIndex < 0)
                {
                    _firstIndex = index;
                    _firstSent = sent;
                }

                _lastIndex = index;
                _lastSent = sent;
            }

            Interlocked.Increment(ref _published);
            var publish = host.Broadcaster.PublishAsync(draft);
            if (publish.IsCompletedSuccessfully)
            {
                RecordPublished(sent);
            }
            else
            {
                _ = ObserveAsync(publish, sent);
            }
        }

        /// <summary>How long PublishAsync took to complete: with RabbitMQ, the broker's confirm and this node reading the event back.</summary>
        private void RecordPublished(long sent)
        {
            var now = Stopwatch.GetTimestamp();
            if (sent >= _measureFrom)
            {
                lock (_publishTimes)
                {
                    _publishTimes.Add(now - sent);
                }
            }
        }

        private async Task ObserveAsync(ValueTask<RealtimeEvent> publish, long sent)
        {
            try
            {
                await publish;
                RecordPublished(sent);
            }
#pragma warning disable CA1031 // Every failure is counted and reported with the first message.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _failed);
                Interlocked.CompareExchange(ref _firstFailure, ex.GetType().Name + ": " + ex.Message, null);
                Interlocked.Increment(ref _read); // it will never be read; don't wait for it
                if (rate == 0)
                {
                    _outstanding.Release();
                }
            }
        }

        private async Task ReadAsync()
        {
            var subscription = host.Subscription;
            while (true)
            {
                while (subscription.TryRead(out var item))
                {
                    var received = Stopwatch.GetTimestamp();
                    if (item.Kind != SubscriptionItemKind.Event)
                    {
                        Interlocked.Increment(ref _gaps);
                        continue;
                    }

                    var index = long.Parse(item.Event!.Id, NumberStyles.None, CultureInfo.InvariantCulture);
                    var sent = _sent[index % RingSize];
                    if (sent >= _measureFrom)
                    {
                        lock (_latencies)
                        {
                            _latencies.Add(received - sent);
                        }
                    }

                    if (rate == 0)
                    {
                        _outstanding.Release();
                    }

                    if (Interlocked.Increment(ref _read) == Interlocked.Read(ref _published) && !_publishing)
                    {
                        _allRead.TrySetResult();
                    }
                }

                try
                {
                    if (!await subscription.WaitToReadAsync(_stopReading.Token))
                    {
                        _allRead.TrySetResult();
                        return;
                    }
                }
                catch (OperationCanceledException) when (_stopReading.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }
}
