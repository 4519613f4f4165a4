using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.ContractKit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Host.Tests;

/// <summary>
/// A variant that declares what it does not take (contract 1.2: MinimumInputSize, SupportedChannels) is checked at what
/// it takes and not failed at the rest: the whole kit runs on it here (this class derives from the kit).
/// </summary>
public sealed class DeclaredLimitsContract : ArchitectureContractTests<DeclaredLimitsContract.Plugin>
{
    public sealed class Plugin : IZooPlugin
    {
        public string Name => "DeclaredLimits";
        public string Description => "A network that needs RGB images of 40x40 or more.";
        public void ConfigureServices(IServiceCollection services) => services.AddArchitecture<Net>();
    }

    /// <summary>A max-pool over 40x40 windows: no smaller input works, and it says so.</summary>
    public sealed class Net : IArchitecture
    {
        public string Name => "Needs40";
        public string Family => "Samples";
        public string Paper => "Zoo test sample (no paper)";
        public int Year => 2026;
        public string Description => "conv3x3(4)-BN-ReLU, 40x40 max-pool, global average pool, linear; RGB inputs of 40x40 or more.";
        public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
        {
            new ArchitectureVariant("needs40", "Needs40")
            {
                DefaultInput = new InputShape(3, 64, 64), DefaultClasses = 10, MinimumInputSize = 40, SupportedChannels = new[] { 3 },
                ReferenceParameters = 3 * 4 * 9 + 2 * 4 + 4 * 10 + 10, ReferenceSource = "own count",
            },
        };

        public Module<Tensor, Tensor> Build(ModelSpec spec)
        {
            if (Variants[0].Unsupported(spec.Input) is { } why) throw new ZooConfigException("input", $"{why}, got {spec.Height}x{spec.Width}");
            return Sequential(
                ("conv", Conv2d(spec.Channels, 4, 3, padding: 1, bias: false)), ("bn", BatchNorm2d(4)), ("relu", ReLU()),
                ("pool", MaxPool2d(40)), ("gap", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", Linear(4, spec.Classes)));
        }
    }
}

/// <summary>
/// What a plugin author reads when a check fails: the variant, the input configuration and what to change; the shapes a
/// declared limit leaves; and the versions the packages and the template carry.
/// </summary>
public sealed class ContractKitReportTests
{
    /// <summary>A classifier sized for 32x32 inputs (a Linear over the flattened map): fine at 32x32, broken at any other size.</summary>
    public sealed class FixedSizePlugin : IZooPlugin
    {
        public string Name => "FixedSize";
        public string Description => "Works at 32x32 only.";
        public void ConfigureServices(IServiceCollection services) => services.AddArchitecture<FixedSizeNet>();
    }

    public sealed class FixedSizeNet : IArchitecture
    {
        public string Name => "FixedSize";
        public string Family => "Samples";
        public string Paper => "Zoo test sample (no paper)";
        public int Year => 2026;
        public string Description => "conv3x3(2), flatten, linear over 2x32x32.";
        public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[] { new ArchitectureVariant("fixed_size", "FixedSize") { DefaultInput = new InputShape(3, 32, 32), DefaultClasses = 10 } };
        public Module<Tensor, Tensor> Build(ModelSpec spec) =>
            Sequential(("conv", Conv2d(spec.Channels, 2, 3, padding: 1)), ("flatten", Flatten()), ("fc", Linear(2 * 32 * 32, spec.Classes)));
    }

    sealed class FixedSizeContract : ArchitectureContractTests<FixedSizePlugin> { }

    [Fact]
    public void A_failing_check_names_the_variant_the_input_and_what_to_change()
    {
        var e = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => new FixedSizeContract().Forward_gives_batch_by_classes_logits_for_every_shape("fixed_size"));
        Assert.Contains("fixed_size at input 1x28x28, 10 classes", e.Message);   // the first shape of the kit: MNIST
        Assert.Contains("the forward pass threw", e.Message);
        Assert.Contains("What to change:", e.Message);
        Assert.Contains("AdaptiveAvgPool2d", e.Message);
        Assert.Contains("MinimumInputSize", e.Message);
    }

    [Fact]
    public void Declared_limits_leave_the_shapes_the_variant_takes_and_say_why_for_the_others()
    {
        var v = new DeclaredLimitsContract.Net().Variants[0];
        Assert.Equal(new[] { (3, 5, 48, 64), (3, 4, 96, 96) }, ArchitectureContractTests<DeclaredLimitsContract.Plugin>.ShapesFor(v));
        Assert.Equal((3, 40), ArchitectureContractTests<DeclaredLimitsContract.Plugin>.CheckInput(v, channels: 1));
        Assert.Equal("needs40 takes inputs of 40x40 or more (MinimumInputSize), not 32x32", v.Unsupported(new InputShape(3, 32, 32)));
        Assert.Equal("needs40 takes 3 channels (SupportedChannels), not 1", v.Unsupported(new InputShape(1, 64, 64)));
        Assert.Null(v.Unsupported(new InputShape(3, 40, 41)));
        // A variant that declares nothing takes every shape (a plugin built against contract 1.0 or 1.1).
        var plain = new ArchitectureVariant("plain", "Plain");
        Assert.Equal(ArchitectureContractTests<DeclaredLimitsContract.Plugin>.Shapes, ArchitectureContractTests<DeclaredLimitsContract.Plugin>.ShapesFor(plain));
    }

    [Fact]
    public void The_contract_version_the_packages_and_the_template_agree()
    {
        var version = typeof(IZooPlugin).Assembly.GetName().Version!;
        Assert.Equal((ZooContract.Version, ZooContract.MinorVersion), (version.Major, version.Minor));
        var package = $"{ZooContract.Version}.{ZooContract.MinorVersion}.0";
        var central = XDocument.Load(Path.Combine(TestEnvironment.Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => e.Attribute("Include")!.Value, e => e.Attribute("Version")!.Value);
        var template = Path.Combine(TestEnvironment.Root, "templates", "content", "zoo-plugin");
        foreach (var project in Directory.GetFiles(template, "*.csproj", SearchOption.AllDirectories))
            foreach (var r in XDocument.Load(project).Descendants("PackageReference"))
            {
                var (id, v) = (r.Attribute("Include")!.Value, r.Attribute("Version")!.Value);
                var expected = id.StartsWith("Zoo.", StringComparison.Ordinal) ? package : central[id];
                Assert.True(expected == v, $"{Path.GetFileName(project)} references {id} {v}; the zoo has {expected} (Directory.Packages.props, ZooContractVersion)");
            }
        Assert.Contains($"`Zoo.Abstractions` {package} is contract {ZooContract.Version}.{ZooContract.MinorVersion}", File.ReadAllText(Path.Combine(template, "README.md")));
    }
}

/// <summary>A suite that asks a variant for an input it declares it does not take is refused before training, naming the entry and the limit.</summary>
public sealed class DeclaredLimitsSuiteTests
{
    [Fact]
    public void A_suite_below_a_declared_minimum_size_is_refused_naming_the_entry_and_the_limit()
    {
        using var catalog = new Zoo.Engine.Plugins.PluginCatalog(Array.Empty<string>(), new IZooPlugin[] { new Zoo.Engine.Plugins.BuiltInPlugin(), new DeclaredLimitsContract.Plugin() });
        catalog.Refresh();
        var runner = new Zoo.Engine.Suites.SuiteRunner(catalog);
        string Suite(int size, int channels) => $$"""
            { "name": "t", "dataset": { "name": "shapes", "channels": {{channels}}, "size": {{size}} }, "models": [ "needs40" ], "recipe": { "epochs": 1 } }
            """;
        var e = Assert.Throws<ZooConfigException>(() => runner.Validate(Zoo.Engine.Suites.SuiteParser.Parse(Suite(32, 3), "/x/suite.json")));
        Assert.Contains("suite.json: models[0]: needs40 takes inputs of 40x40 or more (MinimumInputSize), not 32x32; change dataset.size", e.Message);
        e = Assert.Throws<ZooConfigException>(() => runner.Validate(Zoo.Engine.Suites.SuiteParser.Parse(Suite(48, 1), "/x/suite.json")));
        Assert.Contains("needs40 takes 3 channels (SupportedChannels), not 1", e.Message);
        runner.Validate(Zoo.Engine.Suites.SuiteParser.Parse(Suite(48, 3), "/x/suite.json"));
    }
}
