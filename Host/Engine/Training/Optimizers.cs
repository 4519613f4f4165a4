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
    static readonly Param<bool> NoDecay = Param.Flag("no_decay_norm_bias", false,
        "exempt normalisation weights and every bias (1-D parameters) from weight decay, as the ConvNeXt and EfficientNet recipes do");

    static Param<double> WeightDecay(double @default, string what) => Param.Number("weight_decay", @default, 0, 1, what);
    static readonly Param<double> L2 = WeightDecay(0, "L2 weight decay");
    static Param<double> Momentum(double @default) => Param.Number("momentum", @default, 0, 1, "momentum");
    static Param<double> Eps(double @default) => Param.Number("eps", @default, 0, 1, "denominator epsilon");

    /// <summary>Every built-in optimiser factory.</summary>
    public static IEnumerable<IOptimizerFactory> All()
    {
        {
            var (momentum, nesterov, dampening) = (Momentum(0.9), Param.Flag("nesterov", false, "Nesterov momentum"), Param.Number("dampening", 0, 0, 1, "momentum dampening"));
            yield return new Factory("sgd", "stochastic gradient descent with momentum (optionally Nesterov)",
                new ParameterInfo[] { momentum, nesterov, L2, dampening, NoDecay }, L2, (p, lr, wd, groups) =>
            {
                double m = momentum.Read(p), damp = dampening.Read(p);
                bool n = nesterov.Read(p);
                if (n && (m <= 0 || damp != 0))
                    throw new ZooConfigException($"{p.Where}.nesterov", "Nesterov momentum needs momentum > 0 and dampening 0");
                return torch.optim.SGD(groups.Select(g => new SGD.ParamGroup(g.Parameters, g.LearningRate, m, damp, g.Decay ? wd : 0, n, false)), lr, m, damp, wd, n);
            });
        }
        foreach (var name in new[] { "adam", "adamw" })
        {
            bool decoupled = name == "adamw";
            var (beta1, beta2, eps) = (Param.Number("beta1", 0.9, 0, 1, "first-moment decay"), Param.Number("beta2", 0.999, 0, 1, "second-moment decay"), Eps(1e-8));
            var decay = decoupled ? WeightDecay(0.01, "decoupled weight decay") : L2;
            yield return new Factory(name, decoupled ? "Adam with decoupled weight decay (Loshchilov & Hutter)" : "Adam (Kingma & Ba)",
                new ParameterInfo[] { beta1, beta2, eps, decay, NoDecay }, decay, (p, lr, wd, groups) =>
            {
                double b1 = beta1.Read(p), b2 = beta2.Read(p), e = eps.Read(p);
                return decoupled
                    ? torch.optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, g.LearningRate, b1, b2, e, g.Decay ? wd : 0, false, false)), lr, b1, b2, e, wd)
                    : torch.optim.Adam(groups.Select(g => new Adam.ParamGroup(g.Parameters, g.LearningRate, b1, b2, e, g.Decay ? wd : 0, false, false)), lr, b1, b2, e, wd);
            });
        }
        {
            var (alpha, eps, momentum, centered) = (Param.Number("alpha", 0.99, 0, 1, "smoothing of the squared-gradient average"), Eps(1e-8), Momentum(0),
                Param.Flag("centered", false, "divide by the centred variance"));
            yield return new Factory("rmsprop", "RMSprop (Hinton), optionally centred and with momentum",
                new ParameterInfo[] { alpha, eps, momentum, centered, L2, NoDecay }, L2, (p, lr, wd, groups) =>
            {
                double a = alpha.Read(p), e = eps.Read(p), m = momentum.Read(p);
                bool c = centered.Read(p);
                return torch.optim.RMSProp(groups.Select(g => new RMSProp.ParamGroup(g.Parameters, lr: g.LearningRate, eps: e, alpha: a, weight_decay: g.Decay ? wd : 0, momentum: m, centered: c)),
                    lr, a, e, wd, m, c);
            });
        }
        {
            var (lrDecay, initial, eps) = (Param.Number("lr_decay", 0, 0, 1, "rate decay per step"),
                Param.Number("initial_accumulator_value", 0, 0, 1e6, "starting sum of squares"), Eps(1e-10));
            yield return new Factory("adagrad", "Adagrad (Duchi et al.)", new ParameterInfo[] { lrDecay, initial, eps, L2, NoDecay }, L2, (p, lr, wd, groups) =>
            {
                double d = lrDecay.Read(p), start = initial.Read(p), e = eps.Read(p);
                return torch.optim.Adagrad(groups.Select(g => new Adagrad.ParamGroup(g.Parameters, lr: g.LearningRate, lr_decay: d, weight_decay: g.Decay ? wd : 0, initial_accumulator_value: start, eps: e)),
                    lr, d, wd, start, e);
            });
        }
        {
            var (rho, eps) = (Param.Number("rho", 0.9, 0, 1, "smoothing of the squared averages"), Eps(1e-6));
            yield return new Factory("adadelta", "Adadelta (Zeiler)", new ParameterInfo[] { rho, eps, L2, NoDecay }, L2, (p, lr, wd, groups) =>
            {
                double r = rho.Read(p), e = eps.Read(p);
                return torch.optim.Adadelta(groups.Select(g => new Adadelta.ParamGroup(g.Parameters, lr: g.LearningRate, rho: r, eps: e, weight_decay: g.Decay ? wd : 0, maximize: false)),
                    lr, r, e, wd);
            });
        }
    }

    /// <summary>A parameter group: its parameters and whether weight decay applies to them.</summary>
    sealed record Group(List<Parameter> Parameters, bool Decay, double LearningRate);

    /// <summary>
    /// One optimiser: checks the suite's parameters, splits the trainable parameters into a decayed group and
    /// (with no_decay_norm_bias) an exempt one, and hands both to <c>create</c>.
    /// </summary>
    sealed class Factory(string name, string description, IReadOnlyList<ParameterInfo> parameters, Param<double> weightDecay,
        Func<ParameterBag, double, double, IReadOnlyList<Group>, torch.optim.Optimizer> create) : IOptimizerFactory
    {
        public string Name => name;
        public string Description => description;
        public IReadOnlyList<ParameterInfo> Parameters => parameters;

        public torch.optim.Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> named, OptimizerContext context)
        {
            var p = context.Parameters;
            p.EnsureOnly(new[] { "name", "lr" }.Concat(parameters.Select(x => x.Name)));   // the allowed list a user reads names every field
            double wd = weightDecay.Read(p);   // as declared: AdamW's default is 0.01, the others' 0
            bool split = NoDecay.Read(p) && wd > 0;
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
