using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Engine.Analysis;

/// <summary>
/// One forward pass of a model with a forward hook on each of its modules, for the analyses that must find a layer by
/// what it outputs (<see cref="GradCam"/>'s target, <see cref="FeatureMaps"/>' first convolution and stages): the calls
/// are seen in the order they end, a module's children before the module, a module called twice twice; "the order
/// they run" rather than the order they are registered, which need not agree. Eval mode, no gradient; the hooks are
/// removed and the train/eval mode restored afterwards. Not thread-safe for one model.
/// </summary>
internal static class ForwardProbe
{
    /// <summary>
    /// Runs <paramref name="x"/> through <paramref name="model"/> and calls <paramref name="onCall"/> with each module
    /// call's path (as named_modules() gives it; never the model itself), module and output. The output is the module's
    /// own tensor inside the forward's dispose scopes: clone what is kept (a later in-place op such as ReLU(inplace) may
    /// change it) and detach the clone from the scope. <paramref name="only"/> limits the hooks to the paths it accepts.
    /// </summary>
    public static void Run(Module<Tensor, Tensor> model, Tensor x, Action<string, nn.Module, Tensor> onCall, Func<string, bool>? only = null)
    {
        var removers = new List<Action>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            foreach (var (name, module) in model.named_modules())
            {
                if (name.Length == 0 || !seen.Add(module) || module is not Module<Tensor, Tensor> layer) continue;
                if (only is not null && !only(name)) continue;
                var hook = layer.register_forward_hook((m, input, output) =>
                {
                    onCall(name, module, output);
                    return output;
                });
                removers.Add(hook.remove);
            }
            using var _ = no_grad();
            using (NewDisposeScope()) model.call(x);
        }
        finally
        {
            foreach (var remove in removers) remove();
            if (wasTraining) model.train();
        }
    }
}
