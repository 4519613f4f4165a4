using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using static TorchSharp.torch;

namespace Zoo.Engine.Inspection;

/// <summary>One executed leaf layer: its path, type, output shape, parameters and multiply-accumulates.</summary>
public sealed record LayerRow(int Index, string Path, string Type, long[] OutputShape, long Parameters, long Macs);

/// <summary>
/// A torchsummary-style description of a model at an input size (seeds/002 §4.1.3): every leaf layer in
/// execution order with its output shape and parameters, the totals, parameter and activation sizes in
/// MB, and the multiply-accumulates of convolutions and linear layers at batch 1, the convention of
/// torchvision's published GFLOPS figures (so they are reported as GMACs).
/// </summary>
public sealed class ModelSummary
{
    public required string Variant { get; init; }
    public required InputShape Input { get; init; }
    public required int Classes { get; init; }
    public required IReadOnlyList<LayerRow> Layers { get; init; }
    public long TotalParameters { get; init; }
    public long TrainableParameters { get; init; }
    public long Macs { get; init; }
    public double GMacs => Macs / 1e9;
    public double InputMb => (double)Input.Channels * Input.Height * Input.Width * 4 / (1024 * 1024);
    /// <summary>torchsummary's "forward/backward pass size": every layer output stored for the forward and its gradient.</summary>
    public double ActivationsMb => 2.0 * Layers.Sum(l => l.OutputShape.Aggregate(1L, (a, b) => a * b)) * 4 / (1024 * 1024);
    public double ParametersMb => TotalParameters * 4.0 / (1024 * 1024);
    public double TotalMb => InputMb + ActivationsMb + ParametersMb;

    /// <summary>
    /// Builds the variant on the CPU and runs one eval forward at batch 1 with hooks on every leaf layer.
    /// (LibTorch 2.10 has no meta-device convolution, so shapes alone cannot be had without computing.)
    /// </summary>
    public static ModelSummary Describe(IArchitecture arch, string variant, InputShape input, int classes) =>
        Describe(arch, variant, input, classes, torch.CPU);

    /// <summary>As above, the forward on <paramref name="device"/> (zoo describe --device).</summary>
    public static ModelSummary Describe(IArchitecture arch, string variant, InputShape input, int classes, Device device)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        using var model = arch.Build(new ModelSpec(variant, input.Channels, classes, input.Height, input.Width));
        model.to(device);
        return Describe(model, variant, input, classes, device);
    }

    /// <summary>
    /// Describes a model that is already built (a suite run's own, with its options) by one eval forward
    /// at batch 1 on <paramref name="device"/>; its weights are untouched and its train/eval mode restored.
    /// </summary>
    public static ModelSummary Describe(nn.Module<Tensor, Tensor> model, string variant, InputShape input, int classes, Device device)
    {
        using var scope = NewDisposeScope();
        bool wasTraining = model.training;
        model.eval();
        var rows = new List<LayerRow>();
        var removers = new List<Action>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);   // a module reachable by two names is one layer
        foreach (var (path, module) in model.named_modules())
        {
            if (!seen.Add(module) || module is not nn.Module<Tensor, Tensor> leaf) continue;
            if (module.children().Any() && module is not IReportsMacs) continue;   // containers count through their leaves
            var type = module.GetType().Name;
            long parameters = module.parameters(recurse: false).Sum(p => p.numel());
            var hook = leaf.register_forward_hook((m, x, y) =>
            {
                long macs = m is IReportsMacs r ? r.LastForwardMacs : CountMacs(m, y);
                rows.Add(new LayerRow(rows.Count + 1, path, type, y.shape.ToArray(), parameters, macs));
                return y;
            });
            removers.Add(hook.remove);
        }
        try
        {
            using (torch.no_grad()) model.call(torch.zeros(new long[] { 1, input.Channels, input.Height, input.Width }, device: device));
        }
        finally
        {
            foreach (var remove in removers) remove();
            if (wasTraining) model.train();
        }
        return new ModelSummary
        {
            Variant = variant, Input = input, Classes = classes, Layers = rows,
            TotalParameters = model.parameters().Sum(p => p.numel()),
            TrainableParameters = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()),
            Macs = rows.Sum(r => r.Macs),
        };
    }

    /// <summary>
    /// Multiply-accumulates of one call at batch 1, as torchvision counts: layers with a 4-D weight are
    /// convolutions (output elements × in/groups × kh × kw), layers with a 2-D weight applied to the last
    /// dimension are linear (output elements × in features); everything else counts nothing.
    /// </summary>
    static long CountMacs(nn.Module module, Tensor output)
    {
        // The describe forward runs at batch 1, so output.numel() is per image. (Dividing by the first dimension
        // would be wrong for windowed attention, whose linear layers see windows × tokens × channels.)
        var weight = module.named_parameters(recurse: false).FirstOrDefault(p => p.name == "weight").parameter;
        if (weight is null) return 0;
        var w = weight.shape;
        return w.Length switch
        {
            4 => output.numel() * w[1] * w[2] * w[3],
            2 when module is not Embedding => output.numel() * w[1],
            _ => 0,
        };
    }

    /// <summary>The table as text.</summary>
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        int pathWidth = Math.Max(24, Layers.Select(l => $"{l.Path} ({l.Type})".Length).DefaultIfEmpty(0).Max());
        string line = new('-', pathWidth + 2 + 24 + 2 + 14 + 2 + 16);
        sb.AppendLine(line);
        sb.AppendLine($"{"Layer (type)".PadRight(pathWidth)}  {"Output Shape",24}  {"Param #",14}  {"MACs",16}");
        sb.AppendLine(new string('=', line.Length));
        foreach (var l in Layers)
            sb.AppendLine($"{$"{l.Path} ({l.Type})".PadRight(pathWidth)}  {("[-1, " + string.Join(", ", l.OutputShape.Skip(1)) + "]"),24}  {l.Parameters.ToString("N0", inv),14}  {l.Macs.ToString("N0", inv),16}");
        sb.AppendLine(new string('=', line.Length));
        sb.AppendLine(string.Create(inv, $"Total params: {TotalParameters:N0}"));
        sb.AppendLine(string.Create(inv, $"Trainable params: {TrainableParameters:N0}"));
        sb.AppendLine(string.Create(inv, $"Non-trainable params: {TotalParameters - TrainableParameters:N0}"));
        sb.AppendLine(line);
        sb.AppendLine(string.Create(inv, $"Input size (MB): {InputMb:F2}"));
        sb.AppendLine(string.Create(inv, $"Forward/backward pass size (MB): {ActivationsMb:F2}"));
        sb.AppendLine(string.Create(inv, $"Params size (MB): {ParametersMb:F2}"));
        sb.AppendLine(string.Create(inv, $"Estimated Total Size (MB): {TotalMb:F2}"));
        sb.AppendLine(line);
        sb.AppendLine(string.Create(inv, $"GMACs: {Zoo.Engine.Results.Numbers.Gmacs(GMacs)} at {Input} (batch 1, {Classes} classes; multiply-accumulates of convolutions, linear layers and attention products)"));
        return sb.ToString();
    }
}
