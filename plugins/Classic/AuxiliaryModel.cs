using Zoo.Abstractions;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Classic;

/// <summary>Keeps the auxiliary logits of the last training forward for the trainer (<see cref="IAuxiliaryClassifiers"/>).</summary>
public abstract class AuxiliaryModel : Module<Tensor, Tensor>, IAuxiliaryClassifiers
{
    readonly List<AuxiliaryOutput> _aux = new();

    protected AuxiliaryModel(string name) : base(name) { }

    protected void Keep(string name, Tensor logits, double weight) => _aux.Add(new AuxiliaryOutput(name, logits, weight));

    /// <summary>Forgets the previous forward's outputs (called at the start of every forward).</summary>
    protected void Reset() => _aux.Clear();

    public IReadOnlyList<AuxiliaryOutput> TakeAuxiliaryOutputs()
    {
        var list = _aux.ToArray();
        _aux.Clear();
        return list;
    }
}
