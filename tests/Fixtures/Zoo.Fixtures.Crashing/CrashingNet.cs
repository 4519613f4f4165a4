using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Abstractions;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Fixtures.Crashing;

/// <summary>A plugin whose models take their own process down in the middle of training, as a native crash or the out-of-memory killer would.</summary>
public sealed class CrashingPlugin : IZooPlugin
{
    public string Name => "Crashing";
    public string Description => "Models that abort or kill their process in training step 5.";
    public void ConfigureServices(IServiceCollection services) => services.AddArchitecture<CrashingNet>();
}

/// <summary>TinyNet's layers; in its fifth training step crash_abort calls Environment.FailFast (SIGABRT) and crash_kill sends itself SIGKILL.</summary>
public sealed class CrashingNet : IArchitecture
{
    public const int CrashStep = 5;

    public string Name => "CrashingNet";
    public string Family => "Samples";
    public string Paper => "Zoo test fixture (no paper)";
    public int Year => 2026;
    public string Description => "A two-layer CNN that takes its process down in training step 5. Reference: own count at 3x32x32, 10 classes.";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[] { "crash_abort", "crash_kill" }.Select(name =>
        new ArchitectureVariant(name, name)
        {
            DefaultInput = new InputShape(3, 32, 32), DefaultClasses = 10,
            ReferenceParameters = 432 + 32 + 4608 + 64 + 330, ReferenceSource = "own count",
        }).ToArray();

    public Module<Tensor, Tensor> Build(ModelSpec spec) => new Crasher(spec.Variant, Sequential(
        ("conv1", Conv2d(spec.Channels, 16, 3, padding: 1, bias: false)), ("bn1", BatchNorm2d(16)), ("relu1", ReLU()), ("pool", MaxPool2d(2)),
        ("conv2", Conv2d(16, 32, 3, padding: 1, bias: false)), ("bn2", BatchNorm2d(32)), ("relu2", ReLU()),
        ("gap", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", Linear(32, spec.Classes))));

    sealed class Crasher : Module<Tensor, Tensor>
    {
        readonly Module<Tensor, Tensor> net;
        readonly string _variant;
        int _steps;

        public Crasher(string variant, Module<Tensor, Tensor> net) : base("CrashingNet")
        {
            this.net = net;
            _variant = variant;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            if (training && ++_steps == CrashStep)
            {
                Console.Error.WriteLine($"{_variant}: going down in training step {CrashStep}, on purpose");
                if (_variant == "crash_kill") Process.GetCurrentProcess().Kill();
                else Environment.FailFast($"{_variant} aborts on purpose in training step {CrashStep}");
            }
            return net.call(x);
        }
    }
}
