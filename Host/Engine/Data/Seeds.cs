namespace Zoo.Engine.Data;

/// <summary>
/// Deterministic seed mixing (SplitMix64). Unlike <see cref="HashCode"/>, which is randomised per process,
/// this gives the same value in every run, so seeded runs repeat exactly.
/// </summary>
public static class Seeds
{
    /// <summary>Mixes the parts into one non-negative 31-bit seed.</summary>
    public static int Mix(params long[] parts)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (var p in parts)
        {
            h ^= unchecked((ulong)p);
            h = SplitMix(h);
        }
        return (int)(h & 0x7FFFFFFF);
    }

    static ulong SplitMix(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
