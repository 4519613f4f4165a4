namespace Zoo.Fixtures.Dependency;

/// <summary>A base class in a separate assembly, so a plugin deriving from it fails to load without it.</summary>
public abstract class FixtureBase
{
    public virtual string Greeting => "hello";
}
