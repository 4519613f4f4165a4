using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Training;
using Zoo.Engine.Weights;
using static TorchSharp.torch;

namespace Zoo.Engine.Suites;

// After the last epoch: the test of the final, moving-average and best weights, the prediction sample with Grad-CAM,
// filters and feature maps, and the feature analysis. The run's flow is in ModelRun.cs.
internal sealed partial class ModelRun
{
    /// <summary>
    /// Test: the final weights, the moving average, and the best-on-validation weights (the figure reported);
    /// then validation of the best weights once more, for its per-class accuracy and confusion matrix.
    /// </summary>
    RunResult Test(RunResult result, Trainer trainer, Progress progress, float[] mean, float[] std, int evalBatch)
    {
        EvalResult? testFinal = null, testEma = null, test = null;
        var testSet = _splits.Test;
        if (testSet is not null) testFinal = trainer.Evaluate(testSet, mean, std, evalBatch);
        if (_ema is not null)
        {
            if (testSet is not null) testEma = Trainer.Evaluate(_ema.Model, _device, testSet, mean, std, evalBatch, _recipe.Precision);
            WeightLoader.Save(_ema.Model, Files.Ema, Card().ToMetadata(("ema_decay", _ema.Decay.ToString("R", CultureInfo.InvariantCulture))));
        }
        var best = progress.Best;
        bool bestIsEarlier = best is not null && File.Exists(Files.Best) && best.Epoch != _epochs[^1].Epoch;
        if (bestIsEarlier) WeightLoader.Load(_model!, Files.Best);
        if (testSet is not null) test = bestIsEarlier ? trainer.Evaluate(testSet, mean, std, evalBatch) : testFinal;
        var validation = _splits.Validation is null ? null : trainer.Evaluate(_splits.Validation, mean, std, evalBatch);
        if (test is not null)
        {
            _writer.WriteConfusion(_entry.Label, _data.Classes, test);
            try { _writer.WritePredictions(_entry.Label, Explain(PredictionSample.Take(test, testSet!, 24, _recipe.Seed), testSet!, mean, std)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                Warn($"prediction sample not written: {e.Message}");   // the grid is an extra; the run's numbers stand
            }
        }
        // The verdict on the weights the comparison reports; said once more where no epoch had warned (early stopping, the last epoch's test).
        var failure = LearningCheck.Outcome(_epochs, validation ?? test, validation is null ? "test" : "validation", LearningContext(), _notLearning?.Epoch);
        if (failure is not null && _notLearning is null) _report.Report(new RunNotLearning(_run, failure));
        var analysis = _suite.Analysis is { } options && testSet is not null
            ? Analyze(() => SuiteAnalyzer.Analyze(_model!, _device, testSet, _data, options, evalBatch))
            : null;
        return Ended(result, RunStatus.Finished) with
        {
            BestEpoch = best?.Epoch, BestValTop1 = best?.ValTop1,
            Test = test, TestCorrect = test?.Correct is { } correct ? PairedTest.Encode(correct) : null, TestFinal = testFinal, TestEma = testEma, Validation = validation, Analysis = analysis, DidNotLearn = failure,
        };
    }

    /// <summary>How many test images each run explains with Grad-CAM for the report's "where each model looks" figure.</summary>
    internal const int ExplainedImages = 6;

    /// <summary>
    /// The sample with Grad-CAM maps of the suite's <see cref="ExplainedImages"/> test images (the same for every run: the
    /// suite recipe's seed draws them), and the first filters and feature maps of the first of them; where one fails, the
    /// sample without it and a warning: the figures are extras. Nothing where the suite says "explain": false.
    /// </summary>
    PredictionSample Explain(PredictionSample sample, IImageSet testSet, float[] mean, float[] std)
    {
        if (!_suite.Explain) return sample;
        var indices = PredictionSample.ExplainedIndices(testSet.Count, ExplainedImages, _suite.Recipe.Seed);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var maps = Analysis.GradCam.Explain(_model!, _device, testSet, indices, mean, std, out var layer);
            var info = testSet.Info;
            var explained = indices.Select((index, i) => new PredictedImage(index, testSet.GetLabel(index), maps[i].Predicted,
                maps[i].Probabilities[maps[i].Predicted], Thumbnail.Of(testSet, index))
            {
                Heatmap = Thumbnail.Of(maps[i].Heatmap, 1, info.Height, info.Width),
            }).ToArray();
            sample = sample with { Explained = explained, ExplainedLayer = layer.ToString(), ExplainedSeconds = clock.Elapsed.TotalSeconds };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Warn($"Grad-CAM not computed: {e.GetType().Name}: {e.Message}");
        }
        if (indices.Length == 0) return sample;
        try
        {
            return sample with { FiltersAndMaps = Analysis.FeatureMaps.Of(_model!, _device, testSet, indices[0], mean, std) };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Warn($"filters and feature maps not computed: {e.GetType().Name}: {e.Message}");
            return sample;
        }
    }

    /// <summary>The feature analysis, or null with a warning if it fails: it must not cost the run its result.</summary>
    AnalysisResult? Analyze(Func<AnalysisResult> analyze)
    {
        try
        {
            var analysis = analyze();
            _report.Report(new AnalysisEnded(_run, analysis));
            return analysis;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Warn($"feature analysis failed: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }
}
