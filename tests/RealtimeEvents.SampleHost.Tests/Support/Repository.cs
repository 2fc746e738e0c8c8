using System.Reflection;

namespace RealtimeEvents.SampleHost.Tests.Support;

/// <summary>Paths inside the repository the tests were built from.</summary>
public static class Repository
{
    private const string SolutionFile = "RealtimeEvents.sln";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>Gets the repository root: the first folder above the test assembly that holds RealtimeEvents.sln.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>Gets the sample host's project folder, its content root (appsettings.json, wwwroot).</summary>
    public static string SampleHostDirectory => Path.Combine(Root, "samples", "RealtimeEvents.SampleHost");

    /// <summary>Gets the folder the browser tests save their screenshots in (artifacts/ is ignored by git).</summary>
    public static string ScreenshotsDirectory => Path.Combine(Root, "artifacts", "screenshots");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        // Built with --artifacts-path, the output is outside the repository: use where the project was built from.
        var built = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        if (built is not null && File.Exists(Path.Combine(built, SolutionFile)))
        {
            return built;
        }

        throw new InvalidOperationException($"{SolutionFile} was not found above '{AppContext.BaseDirectory}' nor in '{built}'.");
    }
}
