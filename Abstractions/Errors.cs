namespace Zoo.Abstractions;

/// <summary>
/// A configuration error a user can fix: a wrong suite field, an unknown parameter, a size an
/// architecture cannot take. The message names where (file and field), what is wrong and what is allowed.
/// </summary>
public class ZooConfigException : Exception
{
    /// <summary>Creates the error; <paramref name="where"/> is a field path such as "suite.json: models[2].name".</summary>
    public ZooConfigException(string where, string message) : base(string.IsNullOrEmpty(where) ? message : $"{where}: {message}")
    {
        Where = where;
    }

    /// <summary>The file and field the error is about (may be empty).</summary>
    public string Where { get; }
}
