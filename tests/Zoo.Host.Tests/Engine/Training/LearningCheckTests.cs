using System.Text.Json;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;
using Zoo.Tui;

namespace Zoo.Host.Tests;

/// <summary>Issue 26: a run that learned nothing is warned about as it goes and marked, and one that learns is not.</summary>
public sealed class LearningCheckTests
{
    static readonly LearningContext SqueezeNet = new(10, 2, 1e-3, 0, "SqueezeNet");
    static readonly LearningContext LeNet = new(10, 2, 1e-3, 0, "LeNet");

    /// <summary>A validation result over images given as (true class, predicted class) counts.</summary>
    static EvalResult Validation(int classes, double loss, params (int Truth, int Predicted, int Count)[] cells)
    {
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        foreach (var (t, p, n) in cells) confusion[t][p] += n;
        int total = cells.Sum(c => c.Count), correct = cells.Where(c => c.Truth == c.Predicted).Sum(c => c.Count);
        return new EvalResult(loss, correct / (double)total, 0.5, total, 1) { Confusion = confusion };
    }

    /// <summary>20 images of each of 10 classes, all predicted as <paramref name="predicted"/> but for <paramref name="elsewhere"/> of class 2 (predicted 0).</summary>
    static EvalResult OneClass(int predicted, int elsewhere, double loss) =>
        Validation(10, loss, Enumerable.Range(0, 10).SelectMany(t => t == 2 && elsewhere > 0
            ? new[] { (t, 0, elsewhere), (t, predicted, 20 - elsewhere) } : new[] { (t, predicted, 20) }).ToArray());

    /// <summary>20 images of each of 10 classes, <paramref name="right"/> of each predicted right and the rest spread over the other classes.</summary>
    static EvalResult Varied(int right, double loss) =>
        Validation(10, loss, Enumerable.Range(0, 10).SelectMany(t => new[] { (t, t, right) }
            .Concat(Enumerable.Range(0, 20 - right).Select(i => (t, (t + 1 + i % 9) % 10, 1)))).ToArray());

    static readonly LearningFailure Failure = new(2, new[] { "validation top-1 10.0 % is at chance (10.0 %)" }, "dead ReLUs", "lower the learning rate");

    static EpochRecord Epoch(int epoch, double trainLoss, double trainTop1, double valLoss, double valTop1, double gradNorm) =>
        new(epoch, 1e-3, trainLoss, trainTop1, valLoss, valTop1, 0.5, 10, 200) { GradNorm = gradNorm };

    [Fact]
    public void SqueezeNet_at_ln_10_with_one_class_for_nearly_every_image_is_warned_at_its_second_epoch_with_the_dead_relu_cause_and_the_fix()
    {
        // Issue 26, first case: shapes 1x28x28, 600/200/300, 2 epochs, AdamW 1e-3 (runs/squeezenet1_1.csv and results.json).
        var e1 = Epoch(1, 2.312630, 0.0920, 2.3025555, 0.10, 2.0735);
        var e2 = Epoch(2, 2.302439, 0.1024, 2.3024441, 0.11, 0.0889);
        var validation = OneClass(1, 7, 2.3024441);

        Assert.Null(LearningCheck.AtEpoch(new[] { e1 }, OneClass(1, 0, 2.3025555), SqueezeNet));   // one epoch of two: not yet a verdict
        var failure = LearningCheck.AtEpoch(new[] { e1, e2 }, validation, SqueezeNet);
        Assert.NotNull(failure);
        Assert.Equal(1, failure.Epoch);
        Assert.Contains("validation top-1 11.0 % is at chance (10.0 %), train top-1 10.2 %", failure.Symptoms);
        Assert.Contains("one class predicted for 96.5 % of validation images", failure.Symptoms);
        Assert.Contains("validation loss 2.3024 = ln 10: the same score for every class, whatever the image", failure.Symptoms);
        Assert.Contains("dead ReLUs", failure.Cause);
        Assert.Contains("SqueezeNet's known failure from scratch", failure.Cause);
        Assert.Contains("lower the learning rate (0.001 -> 0.0001) or add warm-up (\"warmup_epochs\": 1 in the schedule)", failure.Fix);

        var outcome = LearningCheck.Outcome(new[] { e1, e2 }, validation, "validation", SqueezeNet, failure.Epoch);
        Assert.NotNull(outcome);
        Assert.Equal(1, outcome.Epoch);
        Assert.Contains("SqueezeNet", outcome.Cause);
    }

    [Fact]
    public void A_rate_from_a_range_test_that_never_saw_the_loss_fall_is_named_as_the_cause_and_a_number_as_the_fix()
    {
        // seed002-lr-find shortened: SqueezeNet 1.1 trained at 6.4e-7 from a flat 200-step test, one class for every image.
        var context = new LearningContext(10, 3, 6.368e-7, 1, "SqueezeNet") { RateIsNoise = true };
        var epochs = Enumerable.Range(1, 2).Select(e => Epoch(e, 2.3026, 0.10, 2.3026, 0.10, 0.05)).ToArray();
        var failure = LearningCheck.AtEpoch(epochs, OneClass(3, 0, 2.3026), context);
        Assert.NotNull(failure);
        Assert.Contains("SqueezeNet's known failure from scratch", failure.Cause);
        Assert.EndsWith("the learning rate 6.368e-07 was not chosen: the range test (\"lr\": \"find\") that gave it never saw the loss fall", failure.Cause);
        Assert.StartsWith("give \"lr\" a number instead of \"find\"", failure.Fix);
        Assert.DoesNotContain("lower the learning rate", failure.Fix);
        // The same run at a rate it was given keeps the advice about the rate.
        Assert.Contains("lower the learning rate", LearningCheck.AtEpoch(epochs, OneClass(3, 0, 2.3026), context with { RateIsNoise = false })!.Fix);
    }

    [Fact]
    public void A_gradient_that_dies_mid_run_is_warned_at_that_epoch_and_a_warm_up_that_was_there_is_not_suggested_again()
    {
        // Issue 26, second case: 6 epochs, AdamW 2e-3, cosine with 1 warm-up epoch; grad_norm 0 from epoch 4 on.
        var context = new LearningContext(10, 6, 2e-3, 1, "SqueezeNet");
        var epochs = new List<EpochRecord>
        {
            Epoch(1, 2.2, 0.16, 2.1, 0.21, 1.9), Epoch(2, 2.1, 0.20, 2.0, 0.24, 1.2), Epoch(3, 2.3026, 0.10, 2.3026, 0.10, 0.01),
        };
        Assert.Null(LearningCheck.AtEpoch(epochs.Take(2).ToList(), Varied(5, 2.0), context));   // learning
        Assert.Null(LearningCheck.AtEpoch(epochs, OneClass(4, 0, 2.3026), context));            // at chance for one epoch of six
        epochs.Add(Epoch(4, 2.3026, 0.10, 2.3026, 0.10, 0));
        var failure = LearningCheck.AtEpoch(epochs, OneClass(4, 0, 2.3026), context);
        Assert.NotNull(failure);
        Assert.Equal(4, failure.Epoch);
        Assert.Contains("gradient norm 0: no weight changes any more", failure.Symptoms);
        Assert.Contains("one class predicted for every validation image", failure.Symptoms);
        Assert.Contains("lower the learning rate (0.002 -> 0.0002) or add a warm-up longer than its 1 epoch", failure.Fix);
    }

    [Fact]
    public void LeNet_learning_slowly_near_ln_10_and_a_model_at_chance_for_its_first_epochs_are_not_flagged_early()
    {
        // The same suite's LeNet-5: train loss 2.3079 after one epoch (0.005 from ln 10), validation 19.5 % then 20.5 %.
        var lenet = new[] { Epoch(1, 2.3079, 0.132, 2.3076, 0.195, 0.44), Epoch(2, 2.2641, 0.222, 2.3135, 0.205, 0.47) };
        Assert.Null(LearningCheck.AtEpoch(lenet.Take(1).ToList(), Varied(4, 2.3076), LeNet));
        Assert.Null(LearningCheck.AtEpoch(lenet, Varied(4, 2.3135), LeNet));
        Assert.Null(LearningCheck.Outcome(lenet, Varied(4, 2.3135), "validation", LeNet));

        // At chance with varied predictions: a slow start for two epochs of ten, a verdict at the third.
        var slow = new LearningContext(10, 10, 1e-4, 0, "LeNet");
        var chance = Enumerable.Range(1, 3).Select(e => Epoch(e, 2.29, 0.11, 2.29, 0.115, 0.3)).ToArray();
        Assert.Null(LearningCheck.AtEpoch(chance.Take(1).ToList(), Varied(2, 2.29), slow));
        Assert.Null(LearningCheck.AtEpoch(chance.Take(2).ToList(), Varied(2, 2.29), slow));
        var failure = LearningCheck.AtEpoch(chance, Varied(2, 2.29), slow);
        Assert.NotNull(failure);
        Assert.Equal(1, failure.Epoch);
        Assert.Contains("has not learned from the images in 3 epochs", failure.Cause);
        Assert.Contains("train for more epochs, or try the learning rate at 0.001 and at 1e-05", failure.Fix);
    }

    [Fact]
    public void With_two_classes_chance_is_a_half_and_a_model_at_75_percent_is_not_flagged()
    {
        var context = new LearningContext(2, 2, 1e-3, 0, "LeNet");
        var learning = new[] { Epoch(1, 0.6, 0.70, 0.55, 0.75, 0.5), Epoch(2, 0.5, 0.76, 0.52, 0.75, 0.4) };
        var good = Validation(2, 0.52, (0, 0, 75), (0, 1, 25), (1, 1, 75), (1, 0, 25));
        Assert.Null(LearningCheck.AtEpoch(learning, good, context));
        Assert.Null(LearningCheck.Outcome(learning, good, "validation", context));

        var stuck = new[] { Epoch(1, 0.6932, 0.50, 0.6931, 0.50, 0.2), Epoch(2, 0.6931, 0.51, 0.6931, 0.50, 0.1) };
        var collapsed = Validation(2, 0.6931, (0, 0, 100), (1, 0, 100));
        var failure = LearningCheck.Outcome(stuck, collapsed, "validation", context);
        Assert.NotNull(failure);
        Assert.Contains("one class predicted for every validation image", failure.Symptoms);
        Assert.Contains("validation top-1 50.0 % is at chance (50.0 %), train top-1 51.0 %", failure.Symptoms);
    }

    [Fact]
    public void A_model_whose_train_accuracy_rises_while_eval_mode_collapses_is_left_to_the_BatchNorm_warning_until_its_result_is_at_chance()
    {
        // Issue 16: MobileNet V2 at 17 % (then 40 %) train, 10 % validation with one class for every image.
        var context = new LearningContext(10, 2, 1e-3, 0, "MobileNetV2");
        var epochs = new[] { Epoch(1, 2.1, 0.17, 2.40, 0.10, 1.5), Epoch(2, 1.7, 0.40, 2.45, 0.10, 1.4) };
        Assert.Null(LearningCheck.AtEpoch(epochs, OneClass(3, 0, 2.45), context));
        var outcome = LearningCheck.Outcome(epochs, OneClass(3, 0, 2.45), "validation", context);
        Assert.NotNull(outcome);
        Assert.Contains("train top-1 40.0 % is above chance but validation is not", outcome.Cause);
        Assert.Contains("\"precise_bn\": 50", outcome.Fix);
        // A model without BatchNorm (LeNet-5) is not told to look at BatchNorm statistics it does not have.
        var noBatchNorm = LearningCheck.Outcome(epochs, OneClass(3, 0, 2.45), "validation", context with { Architecture = "LeNet", HasBatchNorm = false })!;
        Assert.DoesNotContain("BatchNorm", noBatchNorm.Cause);
        Assert.DoesNotContain("precise_bn", noBatchNorm.Fix);
        Assert.Contains("more training images", noBatchNorm.Fix);
    }

    [Fact]
    public void The_warning_event_crosses_the_worker_stream_and_prints_its_cause_and_fix()
    {
        var back = Assert.IsType<RunNotLearning>(WorkerMessages.Read(WorkerMessages.Write(new RunNotLearning(new RunRef(1, 2, "squeezenet1_1"), Failure))));
        Assert.Equal((2, "dead ReLUs", "lower the learning rate"), (back.Failure.Epoch, back.Failure.Cause, back.Failure.Fix));
        Assert.Equal(Failure.Symptoms, back.Failure.Symptoms);
        Assert.Equal("    WARNING: not learning since epoch 2: validation top-1 10.0 % is at chance (10.0 %). Likely cause: dead ReLUs. Fix: lower the learning rate.",
            ProgressText.Line(back));
    }

    [Fact]
    public void The_run_board_says_not_learning_after_the_warning_and_did_not_learn_after_the_run()
    {
        var suite = SuiteParser.Parse("""
            { "name": "board", "dataset": { "name": "shapes" }, "models": [ "squeezenet1_1", "lenet5" ], "recipe": { "epochs": 2 } }
            """, "/tmp/board.json");
        var board = new RunBoard(suite);
        board.Apply(new RunStarted(new RunRef(1, 2, "squeezenet1_1"), "squeezenet1_1", 2, null!));
        board.Apply(new RunNotLearning(new RunRef(1, 2, "squeezenet1_1"), Failure));
        Assert.Equal("training, not learning", board.Rows[0].Cells()[1]);
        var result = new RunResult { Label = "squeezenet1_1", Variant = "squeezenet1_1", Status = RunStatus.Finished, DidNotLearn = Failure };
        board.Apply(new RunEnded(new RunRef(1, 2, "squeezenet1_1"), result));
        board.Apply(new RunEnded(new RunRef(2, 2, "lenet5"), new RunResult { Label = "lenet5", Variant = "lenet5", Status = RunStatus.Finished }));
        Assert.Equal("finished, did not learn", board.Rows[0].Cells()[1]);
        Assert.Equal("finished", board.Rows[1].Cells()[1]);
    }

    [Fact]
    public void A_run_killed_by_its_learning_rate_is_warned_with_cause_and_fix_marked_did_not_learn_and_sorted_after_a_run_that_learns()
    {
        // LeNet-5 (ReLU, max pool) under AdamW at 0.05 with no warm-up collapses within its first epoch on shapes:
        // every validation image in one class, validation loss 2.304 (seen with zoo run-suite, 7 s on 2 cores).
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = TestEnvironment.Catalog();
        var json = """
            {
              "name": "learning",
              "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 3, "train": 600, "val": 200, "test": 200 },
              "models": [
                { "variant": "lenet5", "label": "killed", "options": { "activation": "relu", "pool": "max" },
                  "recipe": { "optimizer": { "name": "adamw", "lr": 0.05 }, "schedule": { "name": "constant" } } },
                { "variant": "lenet5", "label": "learns", "options": { "activation": "relu", "pool": "max" } }
              ],
              "recipe": { "epochs": 3, "batch_size": 32, "seed": 5,
                          "optimizer": { "name": "adamw", "lr": 0.003 }, "schedule": { "name": "cosine", "warmup_epochs": 0.5 } }
            }
            """;
        var events = new List<SuiteEvent>();
        var result = new SuiteRunner(catalog).Run(SuiteParser.Parse(json, Path.Combine(dir, "suite.json")), dir, default,
            new SyncProgress<SuiteEvent>(events.Add));

        var (killed, learns) = (result.Runs[0], result.Runs[1]);
        Assert.Equal((RunStatus.Finished, RunStatus.Finished), (killed.Status, learns.Status));
        Assert.True(result.AllFinished);
        Assert.NotNull(killed.DidNotLearn);
        Assert.Null(learns.DidNotLearn);
        Assert.True(learns.Test!.Top1 > 0.3, $"the learning run reached only {learns.Test.Top1:P1}");

        var warning = Assert.Single(events.OfType<RunNotLearning>());
        Assert.Equal("killed", warning.Label);
        Assert.Contains("dead ReLUs", warning.Failure.Cause);
        Assert.Contains("lower the learning rate (0.05 -> 0.005) or add warm-up", warning.Failure.Fix);
        Assert.Contains(warning.Failure.Symptoms, s => s.StartsWith("one class predicted for", StringComparison.Ordinal));
        // Warned when the epoch that showed it ended, before the run's end.
        Assert.True(events.IndexOf(warning) < events.FindIndex(e => e is RunEnded { Label: "killed" }));
        Assert.Equal(warning.Failure.Epoch, killed.DidNotLearn.Epoch);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "results.json")));
        var runs = doc.RootElement.GetProperty("runs");
        var marked = runs[0].GetProperty("did_not_learn");
        Assert.Equal("finished", runs[0].GetProperty("status").GetString());
        Assert.Contains("dead ReLUs", marked.GetProperty("cause").GetString());
        Assert.Contains("lower the learning rate", marked.GetProperty("fix").GetString());
        Assert.Equal(JsonValueKind.Null, runs[1].GetProperty("did_not_learn").ValueKind);

        var md = File.ReadAllLines(Path.Combine(dir, "comparison.md"));
        int learnsRow = Array.FindIndex(md, l => l.StartsWith("| learns ", StringComparison.Ordinal));
        int killedRow = Array.FindIndex(md, l => l.StartsWith("| killed * ", StringComparison.Ordinal));
        Assert.InRange(learnsRow, 0, killedRow - 1);
        Assert.EndsWith("| finished, did not learn |", md[killedRow]);
        Assert.EndsWith("| finished |", md[learnsRow]);
        Assert.Contains(md, l => l.StartsWith("**killed did not learn** (since epoch ", StringComparison.Ordinal) && l.Contains("Likely cause: ") && l.Contains("Fix: "));
    }
}
