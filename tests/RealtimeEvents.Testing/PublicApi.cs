using System.Reflection;
using System.Text;

namespace RealtimeEvents.Testing;

/// <summary>
/// Lists an assembly's public surface as stable text, so API changes show up in review as a diff of an approved file.
/// </summary>
public static class PublicApi
{
    public static string Describe(Assembly assembly)
    {
        var text = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            text.Append(TypeDeclaration(type)).Append('\n');
            foreach (var member in Members(type))
            {
                text.Append("    ").Append(member).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Compares the surface with <c>{approvedDirectory}/{name}.approved.txt</c>. On a difference it writes
    /// <c>{name}.received.txt</c> beside it and fails; set APPROVE_PUBLIC_API=1 to accept the new surface.
    /// </summary>
    public static void Verify(Assembly assembly, string approvedDirectory, string name)
    {
        var actual = Describe(assembly);
        var approvedPath = Path.Combine(approvedDirectory, name + ".approved.txt");
        var receivedPath = Path.Combine(approvedDirectory, name + ".received.txt");
        if (Environment.GetEnvironmentVariable("APPROVE_PUBLIC_API") == "1")
        {
            File.WriteAllText(approvedPath, actual);
        }

        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        if (approved == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        var approvedLines = approved.Split('\n').ToHashSet(StringComparer.Ordinal);
        var actualLines = actual.Split('\n').ToHashSet(StringComparer.Ordinal);
        var added = actual.Split('\n').Where(l => !approvedLines.Contains(l)).Take(20);
        var removed = approved.Split('\n').Where(l => !actualLines.Contains(l)).Take(20);
        Assert.Fail($"The public API of {name} changed. Review {receivedPath}; if the change is intended, run the tests with "
            + $"APPROVE_PUBLIC_API=1 and commit {approvedPath}.\nAdded:\n  {string.Join("\n  ", added)}\nRemoved:\n  {string.Join("\n  ", removed)}");
    }

    private static string TypeDeclaration(Type type)
    {
        var kind = type.IsEnum ? "enum"
            : type.IsInterface ? "interface"
            : type.IsValueType ? (type.IsDefined(typeof(System.Runtime.CompilerServices.IsReadOnlyAttribute)) ? "readonly struct" : "struct")
            : type.IsSubclassOf(typeof(Delegate)) ? "delegate"
            : type.IsAbstract && type.IsSealed ? "static class"
            : type.IsAbstract ? "abstract class"
            : type.IsSealed ? "sealed class"
            : "class";
        var bases = new List<string>();
        if (type.BaseType is { } baseType && baseType != typeof(object) && baseType != typeof(ValueType) && baseType != typeof(Enum))
        {
            bases.Add(Name(baseType));
        }

        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return $"public {kind} {Name(type)}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : string.Empty);
    }

    private static IEnumerable<string> Members(Type type)
    {
        const BindingFlags Flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.IsEnum)
        {
            return type.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Select(f => $"{f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}");
        }

        var members = new List<string>();
        foreach (var ctor in type.GetConstructors(Flags))
        {
            members.Add($"ctor({Parameters(ctor)})");
        }

        foreach (var property in type.GetProperties(Flags))
        {
            var accessors = (property.GetMethod?.IsPublic == true ? "get; " : string.Empty)
                + (property.SetMethod?.IsPublic == true
                    ? (property.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit") ? "init; " : "set; ")
                    : string.Empty);
            var isStatic = (property.GetMethod ?? property.SetMethod)!.IsStatic ? "static " : string.Empty;
            var indexer = property.GetIndexParameters();
            var name = indexer.Length > 0 ? $"this[{string.Join(", ", indexer.Select(p => Name(p.ParameterType) + " " + p.Name))}]" : property.Name;
            members.Add($"{isStatic}{Name(property.PropertyType)} {name} {{ {accessors}}}");
        }

        foreach (var field in type.GetFields(Flags))
        {
            var modifier = field.IsLiteral ? "const " : field.IsStatic ? "static readonly " : field.IsInitOnly ? "readonly " : string.Empty;
            var value = field.IsLiteral ? " = " + FormatConstant(field.GetRawConstantValue()) : string.Empty;
            members.Add($"{modifier}{Name(field.FieldType)} {field.Name}{value}");
        }

        foreach (var evt in type.GetEvents(Flags))
        {
            members.Add($"event {Name(evt.EventHandlerType!)} {evt.Name}");
        }

        foreach (var method in type.GetMethods(Flags).Where(m => !m.IsSpecialName || m.Name.StartsWith("op_", StringComparison.Ordinal)))
        {
            var isStatic = method.IsStatic ? "static " : string.Empty;
            var extension = method.IsDefined(typeof(System.Runtime.CompilerServices.ExtensionAttribute)) ? "this " : string.Empty;
            var generic = method.IsGenericMethod ? "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name)) + ">" : string.Empty;
            members.Add($"{isStatic}{Name(method.ReturnType)} {method.Name}{generic}({extension}{Parameters(method)})");
        }

        return members.Order(StringComparer.Ordinal);
    }

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p =>
            (p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : string.Empty)
            + Name(p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType)
            + " " + p.Name
            + (p.HasDefaultValue ? " = " + (p.DefaultValue is null && p.ParameterType.IsValueType ? "default" : FormatConstant(p.DefaultValue)) : string.Empty)));

    private static string FormatConstant(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };

    private static string Name(Type type)
    {
        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }

        var name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : type.FullName ?? type.Name;
        if (!type.IsGenericType)
        {
            return name;
        }

        var tick = name.IndexOf('`', StringComparison.Ordinal);
        var args = type.GetGenericArguments().Skip(type.IsNested ? type.DeclaringType!.GetGenericArguments().Length : 0);
        return (tick >= 0 ? name[..tick] : name) + "<" + string.Join(", ", args.Select(Name)) + ">";
    }
}
