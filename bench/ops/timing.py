"""What bench/ops' Python scripts share: the median timer their F# twins use (bench/ops/torchsharp.fsx)."""
import statistics
import time


def median_ms(f, n):
    """Median milliseconds of n calls after 5 warm-up calls."""
    for _ in range(5):
        f()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)
