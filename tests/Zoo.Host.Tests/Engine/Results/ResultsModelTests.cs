using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Engine.Results;

namespace Zoo.Host.Tests;

/// <summary>The results model and its one serialisation, and how its numbers and events read.</summary>
public sealed class ResultsModelTests
{
    static RunResult Sample() => new()
    {
        Label = "lenet5-relu", Variant = "lenet5", Family = "Classic", Status = RunStatus.Finished, Parameters = 61_706, Gmacs = 0.000426,
        Epochs = new[] { new EpochRecord(1, 2e-05, 1.5, 0.4, 1.2, 0.5, 0.9, 3.25, 800) { GradNorm = 2.5, EmaValTop1 = 0.45 } },
        BestEpoch = 1, BestValTop1 = 0.5,
        Test = new EvalResult(1.1, 0.55, 0.95, 200, 0.4) { Confusion = new[] { new[] { 60, 40 }, new[] { 50, 50 } } },
        Validation = new EvalResult(1.2, 0.5, 0.9, 100, 0.2),
        TotalSeconds = 4.5,
    };

    [Fact]
    public void A_run_result_is_written_in_snake_case_and_reads_back_equal()
    {
        var run = Sample();
        var json = JsonSerializer.Serialize(run, ZooJson.Options);
        var node = JsonNode.Parse(json)!;
        Assert.Equal("finished", node["status"]!.GetValue<string>());
        Assert.Equal(2e-05, node["epochs"]![0]!["lr"]!.GetValue<double>());
        Assert.Equal(0.45, node["epochs"]![0]!["ema_val_top1"]!.GetValue<double>());
        Assert.Equal(200, node["test"]!["images"]!.GetValue<int>());
        Assert.Equal(2.0, node["test"]!["inference_ms_per_image"]!.GetValue<double>(), 9);
        Assert.Equal(0.6, node["test"]!["per_class_top1"]![0]!.GetValue<double>(), 9);
        Assert.Equal(0.5, node["val_best_weights"]!["top1"]!.GetValue<double>());
        Assert.Equal(0.000426, node["gmacs"]!.GetValue<double>());
        Assert.Null(node["reused"]);

        var back = JsonSerializer.Deserialize<RunResult>(json, ZooJson.Options)!;
        Assert.Equal(run.Epochs.Single(), back.Epochs.Single());
        Assert.Equal(run.Test!.Confusion, back.Test!.Confusion);
        Assert.Equal(run with { Epochs = back.Epochs, Test = back.Test, Validation = back.Validation }, back);
    }

    [Fact]
    public void A_diverged_loss_survives_the_round_trip()
    {
        var run = Sample() with { Status = RunStatus.Diverged, Epochs = new[] { new EpochRecord(1, 0.1, double.NaN, 0.1, null, null, null, 1, 1) } };
        var back = JsonSerializer.Deserialize<RunResult>(JsonSerializer.Serialize(run, ZooJson.Options), ZooJson.Options)!;
        Assert.True(double.IsNaN(back.Epochs[0].TrainLoss));
        Assert.Equal(RunStatus.Diverged, back.Status);
    }

    [Theory]
    [InlineData(2e-05, "2e-05")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.0025, "0.0025")]
    public void Learning_rates_print_with_a_lower_case_exponent(double lr, string expected) => Assert.Equal(expected, Numbers.Short(lr));

    [Theory]
    [InlineData(1.8142, "1.814")]
    [InlineData(0.0007, "0.0007")]
    [InlineData(0.000426, "0.00043")]
    [InlineData(0.0, "0.000")]
    public void GMACs_below_a_thousandth_keep_significant_digits(double gmacs, string expected) => Assert.Equal(expected, Numbers.Gmacs(gmacs));

    [Fact]
    public void A_skipped_run_is_announced_once_and_not_again_as_finished()
    {
        var run = Sample() with { Reused = true };
        Assert.Equal("[1/2] lenet5-relu: already finished in /r (same model, recipe, data, plugin build and weights): skipped",
            ProgressText.Line(new RunSkipped(new RunRef(1, 2, "lenet5-relu"), run, "/r")));
        Assert.Null(ProgressText.Line(new RunEnded(new RunRef(1, 2, "lenet5-relu"), run)));
        Assert.StartsWith("[1/2] lenet5-relu: finished, best val top-1 50.00 %", ProgressText.Line(new RunEnded(new RunRef(1, 2, "lenet5-relu"), run with { Reused = false })));
    }

    [Fact]
    public void An_epoch_line_carries_the_rate_and_the_resident_memory()
    {
        var line = ProgressText.Line(new EpochEnded(new RunRef(1, 1, "x"), 3, Sample().Epochs[0]))!;
        Assert.Equal("    epoch 1/3  lr 2e-05  train loss 1.5000 top-1 40.00 %  val loss 1.2000 top-1 50.00 % top-5 90.00 %  EMA top-1 45.00 %  3.2 s  RSS 800 MiB", line);
    }

    [Fact]
    public void Step_progress_gives_images_per_second_and_the_time_left_in_the_epoch()
    {
        var s = new StepProgress(new RunRef(1, 1, "x"), 2, 5, Step: 10, Steps: 40, Images: 320, Loss: 0.5, Seconds: 4);
        Assert.Equal(80, s.ImagesPerSecond);
        Assert.Equal(12, s.EpochSecondsLeft);
        Assert.Equal("    epoch 2/5  step 10/40  80 img/s  ETA 12 s  loss 0.5000", ProgressText.Step(s));
        Assert.Equal("[1/1] x epoch 2/5  step 10/40  80 img/s  ETA 12 s  loss 0.5000", ProgressText.StepLine(s));   // the console's and the UI's line
    }
}
