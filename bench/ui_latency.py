#!/usr/bin/python3
"""How fast `zoo ui` answers a key while a model trains, measured at the terminal.

Runs the UI on a pseudo-terminal of its own (180x50), keeps a model of its screen (pyte, the terminal emulator
Debian packages as python3-pyte), starts the suite with F6, waits until a model trains, then presses Down in the
catalogue N times. Each figure is the time from writing the key's bytes to the pseudo-terminal until the bytes that
show the next variant in the details pane have arrived from it: the whole path a user waits on (the UI reading the
key, handling it, redrawing, writing), with nothing polled, so the measurement adds no delay and takes no CPU from
the UI while it waits. Measuring only: Zoo never needs Python.

  dotnet build Host/Cli -c Release && /usr/bin/python3 bench/ui_latency.py [--presses N] [--suite FILE] [--in-process] [--idle]
"""
import argparse, os, pty, select, signal, statistics, struct, sys, tempfile, termios, fcntl, threading, time

import pyte

ap = argparse.ArgumentParser()
ap.add_argument("--presses", type=int, default=30)
ap.add_argument("--suite", default="suites/quick-start.json")
ap.add_argument("--zoo", default=os.path.join(os.path.dirname(__file__), "..", "Host/Cli/bin/Release/net10.0/zoo"))
ap.add_argument("--in-process", action="store_true", help="train in the UI's own process (zoo ui --in-process)")
ap.add_argument("--gap", type=float, default=0.3, help="seconds between presses")
ap.add_argument("--idle", action="store_true", help="press the keys with nothing training, for the UI's own share")
args = ap.parse_args()

COLS, ROWS = 180, 50
KEYS = {"F6": b"\x1b[17~", "Down": b"\x1b[B", "Esc": b"\x1b", "CtrlQ": b"\x11"}

out = tempfile.mkdtemp(prefix="zoo-ui-latency-")
screen = pyte.Screen(COLS, ROWS)
stream = pyte.ByteStream(screen)
changed = threading.Condition()
arrived = [0.0]   # monotonic time of the last chunk fed to the screen

pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm-256color"
    cmd = [os.path.abspath(args.zoo), "ui", args.suite, "--out", out] + (["--in-process"] if args.in_process else [])
    os.execv(cmd[0], cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
# The UI may ask the terminal what it is (device attributes); answer as the emulator would.
screen.write_process_input = lambda data: os.write(fd, data.encode())


def reader():
    while True:
        try:
            r, _, _ = select.select([fd], [], [], 1.0)
            if not r:
                continue
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        t = time.monotonic()
        with changed:
            if not data:
                arrived[0] = -1
                changed.notify_all()
                return
            stream.feed(data)
            arrived[0] = t
            changed.notify_all()


threading.Thread(target=reader, daemon=True).start()


def text():
    return "\n".join(screen.display)


def wait_for(predicate, timeout):
    """Blocks until predicate(screen) holds after some chunk arrived; returns that chunk's arrival time."""
    deadline = time.monotonic() + timeout
    with changed:
        while True:
            if arrived[0] < 0:
                sys.exit("zoo ui ended early; its screen:\n" + text())
            if predicate():
                return arrived[0]
            left = deadline - time.monotonic()
            if left <= 0:
                sys.exit("timed out; the screen:\n" + text())
            changed.wait(left)


def details():
    return screen.display[2][71:140]


try:
    wait_for(lambda: "Catalogue" in text(), 300)
    if not args.idle:
        os.write(fd, KEYS["F6"])
        wait_for(lambda: "training" in text(), 600)
    time.sleep(5)   # well inside the first epoch (or the UI settled)
    times = []
    for _ in range(args.presses):
        with changed:
            before = details()
        start = time.monotonic()
        os.write(fd, KEYS["Down"])
        done = wait_for(lambda: details() != before, 30)
        times.append((done - start) * 1000)
        time.sleep(args.gap)
    still = "training" in text()
    os.write(fd, KEYS["Esc"])
    times.sort()
    n = len(times)
    what = "idle" if args.idle else f"while {'training' if still else 'the run went on'} ({'in the UI process' if args.in_process else 'in a worker'})"
    print(f"key to screen {what}, "
          f"{n} presses: median {statistics.median(times):.0f} ms, 90th percentile {times[min(n - 1, round(n * 0.9) - 1)]:.0f} ms, "
          f"max {times[-1]:.0f} ms, min {times[0]:.0f} ms")
    print("each: " + " ".join(f"{t:.0f}" for t in times))
finally:
    try:
        os.kill(pid, signal.SIGTERM)
        time.sleep(1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.system(f"rm -rf '{out}'")
