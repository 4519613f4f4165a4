using System.Text.Json.Nodes;

namespace Zoo.Tui;

/// <summary>The suite builder's augmentation choices, each spelt as the suite files of the seeds spell it.</summary>
public static class AugmentationPresets
{
    /// <summary>
    /// Augmentation presets by name. The engine has no named presets, so the seeds' recipes are spelt here, each equal to
    /// its suite file's "augment" (suites/seed000-cats-vs-dogs.json, seed002-mnist.json, seed004-monkeys.json; a test holds them to it).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, JsonArray> ByName = new Dictionary<string, JsonArray>
    {
        ["none"] = new JsonArray(),
        ["flip-crop"] = new JsonArray("hflip", new JsonObject { ["name"] = "random_crop", ["padding"] = 4 }),
        ["randaugment"] = new JsonArray("hflip", new JsonObject { ["name"] = "randaugment", ["n"] = 2, ["m"] = 9 }),
        ["seed000"] = (JsonArray)JsonNode.Parse("""
            [ { "name": "random_resized_crop" }, "hflip", { "name": "randaugment", "n": 2, "m": 9, "mstd": 0.5 }, { "name": "random_erasing", "p": 0.25 } ]
            """)!,
        ["seed002"] = (JsonArray)JsonNode.Parse("""
            [ { "name": "affine", "degrees": 10, "translate": 0.1, "scale_min": 0.9, "scale_max": 1.1, "p": 0.5 } ]
            """)!,
        ["seed004"] = (JsonArray)JsonNode.Parse("""
            [ { "name": "hflip", "p": 0.5 }, { "name": "vflip", "p": 0.2 },
              { "name": "affine", "p": 0.5, "degrees": 45, "translate": 0.2, "scale_min": 0.8, "scale_max": 1.2, "shear": 16 },
              { "name": "gaussian_blur", "p": 0.3, "sigma_min": 0.0, "sigma_max": 3.0 },
              { "name": "sharpen", "p": 0.3, "amount_min": 0.0, "amount_max": 1.0 },
              { "name": "gaussian_noise", "p": 0.3, "std": 0.05 },
              { "name": "pixel_dropout", "p": 0.3, "rate": 0.05 },
              { "name": "coarse_dropout", "p": 0.2, "holes": 6, "size": 0.05 },
              { "name": "elastic", "p": 0.1, "alpha": 3.5, "sigma": 4 } ]
            """)!,
    };
}
