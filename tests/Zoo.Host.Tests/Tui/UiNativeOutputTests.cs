using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Views;
using Zoo.Engine.Suites;
using Zoo.Tui;

// The run pane's log is Terminal.Gui's TextView, obsolete in 2.5 (see ZooUi).
#pragma warning disable CS0618

namespace Zoo.Host.Tests;

/// <summary>
/// Native code writes to file descriptor 2 past .NET (LibTorch's c10 warnings, oneDNN): while the terminal UI owns the
/// screen, those bytes go to its log and a log file, never to the terminal (issue 26).
/// </summary>
public sealed class UiNativeOutputTests
{
    [DllImport("libc", EntryPoint = "write")] static extern nint NativeWrite(int fd, byte[] bytes, nint count);

    static void WriteFd2(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        NativeWrite(2, bytes, bytes.Length);
    }

    [Fact]
    public void A_native_write_to_fd_2_while_the_ui_runs_reaches_its_log_and_log_file_and_never_the_terminal()
    {
        using var catalog = TestEnvironment.Catalog();
        var dir = TestEnvironment.NewTempDirectory();
        var terminal = new List<string>();   // what reaches this process's real fd 2 (the terminal, for a user)
        try
        {
            using (var outer = StderrCapture.Start(l => { lock (terminal) terminal.Add(l); }))
            {
                Assert.NotNull(outer);
                var services = new ServiceCollection().AddSingleton(catalog).AddSingleton(new SuiteRunner(catalog)).BuildServiceProvider();
                var logFile = Path.Combine(dir, "logs", "ui-stderr.log");
                var ui = new ZooUi(services, null, Path.Combine(dir, "results")) { NativeLogFile = logFile };
                using var app = UiTests.VirtualScreen(160, 45);
                using var window = ui.Build(app);
                app.Begin(window);
                app.LayoutAndDraw(true);
                var log = window.SubViews.OfType<FrameView>().Single(f => f.Title.StartsWith("Run", StringComparison.Ordinal))
                    .SubViews.OfType<TextView>().Last();

                using (var capture = ui.CaptureNativeOutput())
                {
                    Assert.NotNull(capture);
                    // As c10 writes a warning: the same message three times, each with its own timestamp.
                    for (int i = 0; i < 3; i++)
                        WriteFd2($"[W1207 17:50:2{i}.113307086 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.\n");
                    Console.Error.WriteLine("managed stderr while the screen is up");   // .NET's writer holds its own fd 2: redirected too
                    var deadline = DateTime.UtcNow.AddSeconds(20);
                    while (!log.Text.Contains("managed stderr") && DateTime.UtcNow < deadline)
                    {
                        app.TimedEvents!.RunTimers();
                        app.LayoutAndDraw();
                        Thread.Sleep(20);
                    }
                }
                app.LayoutAndDraw(true);

                // In the log, the message once (the repeats only in the file), marked as native.
                Assert.Equal(1, CountOf(log.Text, "Could not initialize NNPACK"));
                Assert.Contains("[native] [W1207 17:50:20.113307086 NNPACK.cpp:56] Could not initialize NNPACK!", log.Text);
                Assert.Contains("[native] managed stderr while the screen is up", log.Text);
                var screen = UiTests.ScreenText(app, window);
                Assert.Contains("Could not initialize NNPACK", screen);   // drawn inside the log pane, by the UI
                Assert.DoesNotContain("[W1207", screen.Replace("[native] [W1207", ""));   // and nowhere as a bare native line
                var file = File.ReadAllText(logFile);
                Assert.Equal(3, CountOf(file, "Could not initialize NNPACK"));
                Assert.Contains("managed stderr while the screen is up", file);

                // After the capture, fd 2 and Console.Error are the terminal's again.
                WriteFd2("after the screen\n");
            }
            lock (terminal)
            {
                Assert.DoesNotContain(terminal, l => l.Contains("NNPACK") || l.Contains("managed stderr"));
                Assert.Contains("after the screen", terminal);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Native_lines_are_shown_once_per_message_whatever_their_timestamps()
    {
        var lines = new NativeLines();
        Assert.NotNull(lines.Admit("[W1207 17:50:23.113307086 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware."));
        Assert.Null(lines.Admit("[W1207 17:51:02.000000001 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware."));
        Assert.NotNull(lines.Admit("[E1207 17:51:02.000000001 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware."));   // another severity
        Assert.NotNull(lines.Admit("oneDNN: something else"));
        Assert.Equal(2, lines.Count("[W0101 00:00:00.1 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware."));
    }

    static int CountOf(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
