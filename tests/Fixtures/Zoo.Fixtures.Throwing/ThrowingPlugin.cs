using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;

namespace Zoo.Fixtures.Throwing;

/// <summary>A plugin whose registration throws: the host must report it and carry on.</summary>
public sealed class ThrowingPlugin : IZooPlugin
{
    public string Name => "Throwing";
    public string Description => "Throws while registering.";
    public void ConfigureServices(IServiceCollection services) => throw new InvalidOperationException("registration exploded on purpose");
}
