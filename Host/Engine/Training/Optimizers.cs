using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;

namespace Zoo.Engine.Training;

/// <summary>
/// The host's optimisers, registered like any plugin's (<see cref="IOptimizerFactory"/>): SGD (momentum,
/// Nesterov), Adam, AdamW, RMSprop, Adagrad and Adadelta, each with weight decay and
/// <c>no_decay_norm_bias</c> (two parameter groups: no decay on biases and normalisation weights).
/// </summary>
public static class BuiltInOptimizers
{
    static readonly ParameterInfo NoDecay = new("no_decay_norm_bias", "bool", "false",
        "exempt normalisation weights and every bias (1-D parameters) from weight decay, as the ConvNeXt and EfficientNet recipes do");

    static ParameterInfo WeightDecay(string @default = "0", string what = "L2 weight decay") => new("weight_decay", "number", @default, what);

    /// <summary>Every built-in optimiser factory.</summary>
    public static IEnumerable<IOptimizerFactory> All()
    {
        yield return new Factory("sgd", "stochastic gradient descent with momentum (optionally Nesterov)", new ParameterInfo[]
        {
            new("momentum", "number", "0.9", "momentum"), new("nesterov", "bool", "false", "Nesterov momentum"),
            WeightDecay(), new("dampening", "number", "0", "momentum dampening"), NoDecay,
        }, (p, lr, wd, groups) =>
        {
            double m = p.GetDouble("momentum", 0.9, 0, 1), damp = p.GetDouble("dampening", 0, 0, 1);
            bool nesterov = p.GetBool("nesterov", false);
            if (nesterov && (m <= 0 || damp != 0))
                throw new ZooConfigException($"{p.Where}.nesterov", "Nesterov momentum needs momentum > 0 and dampening 0");
            return torch.optim.SGD(groups.Select(g => new SGD.ParamGroup(g.Parameters, g.LearningRate, m, damp, g.Decay ? wd : 0, nesterov, false)), lr, m, damp, wd, nesterov);
        });
        foreach (var name in new[] { "adam", "adamw" })
        {
            bool decoupled = name == "adamw";
            yield return new Factory(name, decoupled ? "Adam with decoupled weight decay (Loshchilov & Hutter)" : "Adam (Kingma & Ba)", new ParameterInfo[]
            {
                new("beta1", "number", "0.9", "first-moment decay"), new("beta2", "number", "0.999", "second-moment decay"),
                new("eps", "number", "1e-8", "denominator epsilon"),
                decoupled ? WeightDecay("0.01", "decoupled weight decay") : WeightDecay(), NoDecay,
            }, (p, lr, wd, groups) =>
            {
                double b1 = p.GetDouble("beta1", 0.9, 0, 1), b2 = p.GetDouble("beta2", 0.999, 0, 1), eps = p.GetDouble("eps", 1e-8, 0, 1);
                return decoupled
                    ? torch.optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, g.LearningRate, b1, b2, eps, g.Decay ? wd : 0, false, false)), lr, b1, b2, eps, wd)
                    : torch.optim.Adam(groups.Select(g => new Adam.ParamGroup(g.Parameters, g.LearningRate, b1, b2, eps, g.Decay ? wd : 0, false, false)), lr, b1, b2, eps, wd);
            }, defaultWeightDecay: decoupled ? 0.01 : 0);
        }
        yield return new Factory("rmsprop", "RMSprop (Hinton), optionally centred and with momentum", new ParameterInfo[]
        {
            new("alpha", "number", "0.99", "smoothing of the squared-gradient average"), new("eps", "number", "1e-8", "denominator epsilon"),
            new("momentum", "number", "0", "momentum"), new("centered", "bool", "false", "divide by the centred variance"),
            WeightDecay(), NoDecay,
        }, (p, lr, wd, groups) =>
        {
            double alpha = p.GetDouble("alpha", 0.99, 0, 1), eps = p.GetDouble("eps", 1e-8, 0, 1), m = p.GetDouble("momentum", 0, 0, 1);
            bool centered = p.GetBool("centered", false);
            return torch.optim.RMSProp(groups.Select(g => new RMSProp.ParamGroup(g.Parameters, lr: g.LearningRate, eps: eps, alpha: alpha, weight_decay: g.Decay ? wd : 0, momentum: m, centered: centered)),
                lr, alpha, eps, wd, m, centered);
        });
        yield return new Factory("adagrad", "Adagrad (Duchi et al.)", new ParameterInfo[]
        {
            new("lr_decay", "number", "0", "rate decay per step"), new("initial_accumulator_value", "number", "0", "starting sum of squares"),
            new("eps", "number", "1e-10", "denominator epsilon"), WeightDecay(), NoDecay,
        }, (p, lr, wd, groups) =>
        {
            double lrDecay = p.GetDouble("lr_decay", 0, 0, 1), start = p.GetDouble("initial_accumulator_value", 0, 0, 1e6), eps = p.GetDouble("eps", 1e-10, 0, 1);
            return torch.optim.Adagrad(groups.Select(g => new Adagrad.ParamGroup(g.Parameters, lr: g.LearningRate, lr_decay: lrDecay, weight_decay: g.Decay ? wd : 0, initial_accumulator_value: start, eps: eps)),
                lr, lrDecay, wd, start, eps);
        });
        yield return new Factory("adadelta", "Adadelta (Zeiler)", new ParameterInfo[]
        {
            new("rho", "number", "0.9", "smoothing of the squared averages"), new("eps", "number", "1e-6", "denominator epsilon"),
            WeightDecay(), NoDecay,
        }, (p, lr, wd, groups) =>
        {
            double rho = p.GetDouble("rho", 0.9, 0, 1), eps = p.GetDouble("eps", 1e-6, 0, 1);
            return torch.optim.Adadelta(groups.Select(g => new Adadelta.ParamGroup(g.Parameters, lr: g.LearningRate, rho: rho, eps: eps, weight_decay: g.Decay ? wd : 0, maximize: false)),
                lr, rho, eps, wd);
        });
    }

    /// <summary>A parameter group: its parameters and whether weight decay applies to them.</summary>
    sealed record Group(List<Parameter> Parameters, bool Decay, double LearningRate);

    /// <summary>
    /// One optimiser: checks the suite's parameters, splits the trainable parameters into a decayed group and
    /// (with no_decay_norm_bias) an exempt one, and hands both to <c>create</c>.
    /// </summary>
    sealed class Factory(string name, string description, IReadOnlyList<ParameterInfo> parameters,
        Func<ParameterBag, double, double, IReadOnlyList<Group>, torch.optim.Optimizer> create, double defaultWeightDecay = 0) : IOptimizerFactory
    {
        public string Name => name;
        public string Description => description;
        public IReadOnlyList<ParameterInfo> Parameters => parameters;

        public torch.optim.Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> named, OptimizerContext context)
        {
            var p = context.Parameters;
            p.EnsureOnly(new[] { "name", "lr" }.Concat(parameters.Select(x => x.Name)));   // the allowed list a user reads names every field
            double wd = p.GetDouble("weight_decay", defaultWeightDecay, 0, 1);
            bool split = p.GetBool("no_decay_norm_bias", false) && wd > 0;
            // One group per learning rate (the recipe's, then e.g. the head's), each split in two where asked:
            // 1-D parameters are the biases and the normalisation scales/shifts (BatchNorm, LayerNorm, layer scale).
            var groups = new List<Group>();
            var trainable = named.Where(x => x.Parameter.requires_grad).ToList();
            foreach (var byRate in trainable.GroupBy(x => context.LearningRateOf?.Invoke(x.Name) ?? context.LearningRate)
                         .OrderBy(g => g.Key == context.LearningRate ? 0 : 1))
            {
                var all = byRate.Select(x => x.Parameter).ToList();
                var decay = split ? all.Where(x => x.dim() > 1).ToList() : all;
                if (decay.Count > 0) groups.Add(new Group(decay, true, byRate.Key));
                var exempt = split ? all.Where(x => x.dim() <= 1).ToList() : new List<Parameter>();
                if (exempt.Count > 0) groups.Add(new Group(exempt, false, byRate.Key));
            }
            return create(p, context.LearningRate, wd, groups);
        }
    }
}
