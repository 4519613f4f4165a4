using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Zoo.Abstractions;

namespace Zoo.Engine.Launch;

/// <summary>A container of the job's pod: image, command, environment, resources and mounts.</summary>
public sealed record K8sContainer(string Name, string Image, IReadOnlyList<string> Command)
{
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = Array.Empty<KeyValuePair<string, string>>();
    public IReadOnlyList<KeyValuePair<string, string>> Requests { get; init; } = Array.Empty<KeyValuePair<string, string>>();
    public IReadOnlyList<KeyValuePair<string, string>> Limits { get; init; } = Array.Empty<KeyValuePair<string, string>>();
    /// <summary>Volume name → mount path.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Mounts { get; init; } = Array.Empty<KeyValuePair<string, string>>();
}

/// <summary>
/// The few fields of a batch/v1 Job that Zoo sets: an Indexed Job (completionMode: Indexed) whose pods each
/// get JOB_COMPLETION_INDEX 0…N−1, one pod per shard, all at once, with one shared volume (a
/// PersistentVolumeClaim) for data and results. <see cref="ToYaml"/> writes the manifest kubectl applies.
/// </summary>
public sealed record K8sIndexedJob(string Name, int Completions, int Parallelism, K8sContainer Container)
{
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = Array.Empty<KeyValuePair<string, string>>();
    /// <summary>Retries of failed pods over the whole job (a retried shard resumes from its checkpoints).</summary>
    public int BackoffLimit { get; init; }
    /// <summary>Volume name → PersistentVolumeClaim name.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Claims { get; init; } = Array.Empty<KeyValuePair<string, string>>();

    public string ToYaml()
    {
        var container = Map(
            ("name", Container.Name), ("image", Container.Image),
            ("command", Container.Command.Cast<object>().ToList()),
            ("env", Container.Env.Select(e => (object)Map(("name", e.Key), ("value", e.Value))).ToList()),
            ("resources", Map(("requests", Pairs(Container.Requests)), ("limits", Pairs(Container.Limits)))),
            ("volumeMounts", Container.Mounts.Select(m => (object)Map(("name", m.Key), ("mountPath", m.Value))).ToList()));
        var root = Map(
            ("apiVersion", "batch/v1"),
            ("kind", "Job"),
            ("metadata", Map(("name", Name), ("labels", Pairs(Labels)))),
            ("spec", Map(
                ("completionMode", "Indexed"),
                ("completions", Completions),
                ("parallelism", Parallelism),
                ("backoffLimit", BackoffLimit),
                ("template", Map(
                    ("metadata", Map(("labels", Pairs(Labels)))),
                    ("spec", Map(
                        ("restartPolicy", "Never"),
                        ("containers", new List<object> { container }),
                        ("volumes", Claims.Select(c => (object)Map(("name", c.Key), ("persistentVolumeClaim", Map(("claimName", c.Value))))).ToList()))))))));
        var sb = new StringBuilder();
        Yaml.Write(sb, root, 0);
        return sb.ToString();
    }

    static List<KeyValuePair<string, object>> Map(params (string Key, object Value)[] items) => items.Select(i => new KeyValuePair<string, object>(i.Key, i.Value)).ToList();
    static List<KeyValuePair<string, object>> Pairs(IEnumerable<KeyValuePair<string, string>> items) => items.Select(i => new KeyValuePair<string, object>(i.Key, i.Value)).ToList();
}

/// <summary>
/// A YAML writer for the block style kubectl reads: maps (ordered key/value lists), lists, strings (always
/// double-quoted, JSON escapes, which YAML accepts), integers and booleans. Empty maps and lists are {} and [].
/// </summary>
public static class Yaml
{
    public static void Write(StringBuilder sb, object node, int indent)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case List<KeyValuePair<string, object>> map:
                foreach (var (key, value) in map)
                {
                    if (IsBlock(value)) { sb.Append(pad).Append(key).Append(":\n"); Write(sb, value, indent + 2); }
                    else sb.Append(pad).Append(key).Append(": ").Append(Scalar(value)).Append('\n');
                }
                break;
            case List<object> list:
                foreach (var item in list)
                {
                    if (!IsBlock(item)) { sb.Append(pad).Append("- ").Append(Scalar(item)).Append('\n'); continue; }
                    // The item's first line takes the dash: "- key: value", the rest stays indented under it.
                    var inner = new StringBuilder();
                    Write(inner, item, indent + 2);
                    sb.Append(pad).Append("- ").Append(inner.ToString(indent + 2, inner.Length - indent - 2));
                }
                break;
            default:
                sb.Append(pad).Append(Scalar(node)).Append('\n');
                break;
        }
    }

    // JSON's escapes are YAML's in a double-quoted scalar; only what must be escaped is (\" and \\, not \u0022).
    static readonly JsonSerializerOptions Plain = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static bool IsBlock(object v) => v is List<KeyValuePair<string, object>> { Count: > 0 } or List<object> { Count: > 0 };

    static string Scalar(object v) => v switch
    {
        List<KeyValuePair<string, object>> => "{}",
        List<object> => "[]",
        string s => JsonSerializer.Serialize(s, Plain),
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"no YAML form for {v.GetType().Name}"),
    };
}

/// <summary>`zoo launch kubernetes`: the Indexed Job that runs a suite's shards, one pod per shard.</summary>
public static class KubernetesLauncher
{
    public sealed record Options
    {
        public required string Image { get; init; }
        /// <summary>The PersistentVolumeClaim (ReadWriteMany for pods on several nodes) that holds suites, data and results.</summary>
        public string VolumeClaim { get; init; } = "zoo-work";
        /// <summary>Where the volume is mounted in the container.</summary>
        public string MountPath { get; init; } = "/zoo";
    }

    public static K8sIndexedJob Job(LaunchRequest r, Options o)
    {
        r.Validate();
        if (string.IsNullOrWhiteSpace(o.Image)) throw new ZooConfigException("--image", "give the container image that has zoo on its PATH (see docs/gpus-and-many-machines.md)");
        if (!o.MountPath.StartsWith('/')) throw new ZooConfigException("--mount", $"'{o.MountPath}': give an absolute path in the container, e.g. /zoo");
        var inv = CultureInfo.InvariantCulture;
        // JOB_COMPLETION_INDEX is 0…N−1 in an Indexed Job; the shell turns it into the shard I/N.
        var run = $"exec {SlurmLauncher.Sh(r.Zoo)} run-suite {SlurmLauncher.Sh(r.SuitePath)} --out {SlurmLauncher.Sh(r.ResultsPath)} "
                  + string.Create(inv, $"--shard \"$((JOB_COMPLETION_INDEX + 1))/{r.Shards}\"") + (r.Device is { } d ? $" --device {d}" : "");
        var requests = new List<KeyValuePair<string, string>> { new("cpu", r.Cpus.ToString(inv)) };
        var limits = new List<KeyValuePair<string, string>>();
        if (r.Memory is { } m) { requests.Add(new("memory", m)); limits.Add(new("memory", m)); }
        if (r.Gpus > 0) limits.Add(new("nvidia.com/gpu", r.Gpus.ToString(inv)));   // GPUs are asked for in limits
        var mount = o.MountPath.TrimEnd('/');
        var container = new K8sContainer("zoo", o.Image, new[] { "/bin/sh", "-c", run })
        {
            Env = new KeyValuePair<string, string>[]
            {
                new("ZOO_DATA_DIR", mount + "/data"),
                new("ZOO_CACHE", mount + "/cache"),
                new("OMP_NUM_THREADS", r.Cpus.ToString(inv)),
            },
            Requests = requests,
            Limits = limits,
            Mounts = new KeyValuePair<string, string>[] { new("work", o.MountPath) },
        };
        return new K8sIndexedJob(Name(r.SuiteName), r.Shards, r.Shards, container)
        {
            Labels = new KeyValuePair<string, string>[] { new("app.kubernetes.io/name", "zoo"), new("zoo/suite", Name(r.SuiteName)[4..]) },
            BackoffLimit = r.Shards,
            Claims = new KeyValuePair<string, string>[] { new("work", o.VolumeClaim) },
        };
    }

    /// <summary>zoo-&lt;suite&gt; as a DNS label: lower case, digits and '-', at most 52 characters (room for the pods' suffixes).</summary>
    internal static string Name(string suite)
    {
        var s = Regex.Replace(suite.ToLowerInvariant(), "[^a-z0-9-]+", "-").Trim('-');
        var name = ("zoo-" + (s.Length == 0 ? "suite" : s));
        return name.Length > 52 ? name[..52].TrimEnd('-') : name;
    }
}
