using System.Reflection;

namespace RealtimeEvents.Tests.Events;

public sealed class EventTypesTests
{
    private static readonly string[] ExpectedCategories =
    [
        "execution", "workflow", "task", "agent", "crew", "queue", "memory", "experiment", "benchmark", "system", "connection",
    ];

    private static Type[] Categories => typeof(EventTypes).GetNestedTypes(BindingFlags.Public);

    private static IEnumerable<(Type Category, FieldInfo Field)> TypeConstants() =>
        from category in Categories
        from field in category.GetFields(BindingFlags.Public | BindingFlags.Static)
        where field.IsLiteral && field.Name != "Category"
        select (category, field);

    public static TheoryData<string> AllTypeConstants()
    {
        var data = new TheoryData<string>();
        foreach (var (category, field) in TypeConstants())
        {
            data.Add(category.Name + "." + field.Name);
        }

        return data;
    }

    [Fact]
    public void EveryCategoryOfTheTaxonomy_IsPresent_WithACategoryConstant()
    {
        var categories = Categories.Select(CategoryOf).ToArray();

        Assert.Equal(ExpectedCategories.Order(StringComparer.Ordinal), categories.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryCategory_HasAtLeastOneType()
    {
        foreach (var category in Categories)
        {
            Assert.Contains(TypeConstants(), c => c.Category == category);
        }
    }

    [Theory]
    [MemberData(nameof(AllTypeConstants))]
    public void Constant_IsAValidType_StartingWithItsCategory(string constant)
    {
        var (category, field) = TypeConstants().Single(c => c.Category.Name + "." + c.Field.Name == constant);
        var value = (string)field.GetRawConstantValue()!;

        Assert.True(EventNames.IsValidType(value), $"{constant} = '{value}' breaks the type rule");
        Assert.StartsWith(CategoryOf(category) + ".", value, StringComparison.Ordinal);
    }

    [Fact]
    public void Constants_AreAllStrings_AndUnique()
    {
        var values = TypeConstants().Select(c => c.Field.GetRawConstantValue()).ToArray();

        Assert.All(values, v => Assert.IsType<string>(v));
        Assert.Equal(values.Length, values.Distinct().Count());
        Assert.True(values.Length >= 60, $"only {values.Length} type constants found");
    }

    [Fact]
    public void CategoryConstants_AreSingleLowercaseSegments()
    {
        foreach (var category in Categories)
        {
            var name = CategoryOf(category);
            Assert.True(EventNames.IsValidType(name + ".x"), name);
            Assert.DoesNotContain('.', name);
            Assert.Equal(category.Name.ToLowerInvariant(), name);
        }
    }

    [Theory]
    [InlineData(EventTypes.Execution.Completed, true)]
    [InlineData(EventTypes.Execution.Failed, true)]
    [InlineData(EventTypes.Execution.Cancelled, true)]
    [InlineData(EventTypes.Execution.TimedOut, true)]
    [InlineData(EventTypes.Agent.Failed, true)]
    [InlineData(EventTypes.Task.Completed, true)]
    [InlineData(EventTypes.Execution.Progress, false)]
    [InlineData(EventTypes.Task.Retrying, false)]
    [InlineData(EventTypes.Workflow.StepFailed, false)]
    public void TerminalConstants_AreRecognizedAsTerminal(string type, bool terminal) =>
        Assert.Equal(terminal, EventNames.IsTerminalType(type));

    private static string CategoryOf(Type category)
    {
        var field = category.GetField("Category", BindingFlags.Public | BindingFlags.Static);
        Assert.NotNull(field);
        return (string)field.GetRawConstantValue()!;
    }
}
