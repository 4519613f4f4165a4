using Zoo.Engine.Inspection;

namespace Zoo.Tui;

/// <summary>
/// Fills in the catalogue's GMACs column (zoo ui does when its window opens): one variant at a time, on a thread of its
/// own below normal priority, each figure handed to <c>show</c> (which puts it on its line through the main loop),
/// never blocking the UI. While <c>busy</c> says a run trains in this process it waits (a forward pass reseeds
/// LibTorch's global generator). Once every figure is known it sleeps until <see cref="Wake"/> (plugins changed).
/// </summary>
sealed class MacsFiller(CatalogueMacs macs, Func<IReadOnlyList<CatalogueRow>> rows, Func<bool> busy, Action<CatalogueRow> show)
{
    readonly CancellationTokenSource _stop = new();
    readonly AutoResetEvent _wake = new(false);
    Thread? _thread;

    /// <summary>Whether the filler has been told to stop (the window closed).</summary>
    public bool Stopping => _stop.IsCancellationRequested;

    public Thread Start()
    {
        var token = _stop.Token;
        _thread = new Thread(() =>
        {
            CatalogueMacs.LowerThisThread();
            while (!token.IsCancellationRequested)
            {
                if (busy()) { token.WaitHandle.WaitOne(500); continue; }
                bool computed;
                CatalogueRow? row;
                try { computed = macs.ComputeNext(rows(), out row); }
                catch (Exception) { computed = false; row = null; }   // nothing the column can do; it stays "…"
                if (!computed) { WaitHandle.WaitAny(new[] { _wake, token.WaitHandle }); continue; }
                macs.Save();
                try { if (!token.IsCancellationRequested) show(row!); }
                catch (Exception) { }   // the UI closed between the check and the call: nothing left to show it on
            }
        }) { IsBackground = true, Name = "catalogue GMACs" };
        _thread.Start();
        return _thread;
    }

    /// <summary>New or rebuilt variants are there to be counted.</summary>
    public void Wake() => _wake.Set();

    /// <summary>Asks the thread to stop after its current figure.</summary>
    public void Cancel() => _stop.Cancel();

    /// <summary>
    /// Stops the thread and waits for its forward pass (the process must not exit with LibTorch mid-call), saying so
    /// through <paramref name="say"/> when that takes a moment (a large variant at its reference input takes seconds on a
    /// small machine).
    /// </summary>
    public void Stop(Action<string>? say)
    {
        _stop.Cancel();
        if (_thread is not { } thread || thread.Join(TimeSpan.FromMilliseconds(300))) return;
        say?.Invoke("finishing the GMACs figure being computed…");
        thread.Join(TimeSpan.FromSeconds(60));
    }
}
