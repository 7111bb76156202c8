"""Benchmark: symback's exact backpropagation against the naive SymPy route.

For dense MLPs with sigmoid hidden units, an identity output layer and squared-error loss, it measures

* symback: ``symback.backprop(p, x, y)`` then ``.decimals(30)`` (every named quantity, all gradients included,
  correctly rounded to 30 digits); best of 3 runs (1 if a run takes over 5 s), wall clock and, as a check
  on a busy machine, the process's CPU time;
* naive: the whole loss as one SymPy expression in the parameters, ``sympy.diff`` w.r.t. every parameter,
  substitution of the numbers, evaluation to 30 digits; once, in a child process killed after 60 s.

Networks [2,2,1], [3,4,4,1], [4,16,16,1], [8,32,32,32,1] and [784,128,10] (MNIST-sized: 10 outputs, one-hot
y, x like pixels/255), written from a fixed random seed into a temporary directory. Targets on a 2-core
machine: [8,32,32,32,1] (2,336 parameters) under 0.5 s; [784,128,10] (101,632 parameters) under 5 s with
``symback.load`` of its file included (load is also timed alone); [3,4,4,1] at least 200 times faster than
the naive route in the same run. Where the naive route finishes, its gradients are checked against symback's.

Run ``python bench/bench_backprop.py``; ``--quick`` skips the naive route except at [3,4,4,1].
The exit code is 0 unless something crashes: this is a report, not a test.
"""

import argparse
import multiprocessing
import os
import queue
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import symback  # noqa: E402

SIZES = [[2, 2, 1], [3, 4, 4, 1], [4, 16, 16, 1], [8, 32, 32, 32, 1], [784, 128, 10]]
NAIVE_TIMEOUT = 60.0


def make_problem(sizes, rng):
    """(TOML text, x, y, weight matrices) for an MLP with these layer sizes; numbers as short decimal strings."""
    lines = [f'title = "MLP {"-".join(map(str, sizes))}"', "[network]", f"inputs = {sizes[0]}"]
    matrices = []
    for number, (fan_in, units) in enumerate(zip(sizes, sizes[1:])):
        places = 2 if fan_in <= 32 else 3  # 0.37, -1.2; -0.037 where the fan-in is large (no saturation)
        rows = [[_short(rng, 1.2 / fan_in**0.5, places) for _ in range(fan_in)] for _ in range(units)]
        matrices.append(rows)
        activation = "identity" if number == len(sizes) - 2 else "sigmoid"
        values = ", ".join("[" + ", ".join(row) + "]" for row in rows)
        letter = "ABCDEFGH"[number]
        lines += ["[[network.layers]]", f'weights = "{letter}"', f"values = [{values}]", f'activation = "{activation}"']
    lines += ["[loss]", 'kind = "squared_error"']
    if sizes[0] > 100:
        x = [f"{rng.randint(0, 255) / 255:.2f}" for _ in range(sizes[0])]
    else:
        x = [_short(rng, 1.0, 1) for _ in range(sizes[0])]
    hot = rng.randrange(sizes[-1])
    y = [str(int(k == hot)) for k in range(sizes[-1])] if sizes[-1] > 1 else _short(rng, 1.0, 2)
    return "\n".join(lines) + "\n", x, y, matrices


def _short(rng, scale, places):
    """A nonzero decimal in [-scale, scale] with ``places`` decimal places, as a string."""
    while float(value := f"{rng.uniform(-scale, scale):.{places}f}") == 0:
        pass
    return value


def best_of(runs, function):
    """Best wall and CPU seconds of ``runs`` calls of ``function`` (one if it takes over 5 s), and its result."""
    best_wall = best_cpu = float("inf")
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        best_wall, best_cpu = min(best_wall, time.perf_counter() - wall), min(best_cpu, time.process_time() - cpu)
        if best_wall > 5:
            break
    return best_wall, best_cpu, result


def symback_route(path, x, y, problem=None):
    """backprop + decimals(30), loading the problem file first unless ``problem`` is given."""
    result = symback.backprop(problem or symback.load(path), x=x, y=y)
    return len(result.grad), result.decimals(30)


def naive_gradients(matrices, x, y):
    """The whole loss as one SymPy expression, diff w.r.t. every parameter, subs, evaluation to 30 digits."""
    values, h = {}, [sympy.Rational(v) for v in x]
    for number, rows in enumerate(matrices):
        letter, sep = "abcdefgh"[number], "" if len(rows) < 10 and len(rows[0]) < 10 else "_"  # symback's names
        names = [[f"{letter}{r}{sep}{c}" for c in range(1, len(row) + 1)] for r, row in enumerate(rows, 1)]
        symbols = [[sympy.Symbol(name) for name in row] for row in names]
        values.update({s: sympy.Rational(v) for srow, row in zip(symbols, rows) for s, v in zip(srow, row)})
        z = [sympy.Add(*[w * hj for w, hj in zip(srow, h)]) for srow in symbols]
        h = z if number == len(matrices) - 1 else [1 / (1 + sympy.exp(-zi)) for zi in z]
    loss = sympy.Add(*[(yhat - sympy.Rational(t)) ** 2 for yhat, t in zip(h, y if isinstance(y, list) else [y])])
    return {str(s): sympy.N(sympy.diff(loss, s).subs(values), 30) for s in values}


def _naive_worker(matrices, x, y, results):
    try:
        start = time.perf_counter()
        gradients = naive_gradients(matrices, x, y)
        results.put((time.perf_counter() - start, {name: str(value) for name, value in gradients.items()}))
    except Exception as error:  # report it rather than leave the parent waiting for the timeout
        results.put((None, f"error: {type(error).__name__}"))


def time_naive(matrices, x, y):
    """(seconds, gradients as strings) of the naive route in a child process, or (None, None) after 60 s."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_naive_worker, args=(matrices, x, y, results), daemon=True)
    child.start()
    try:
        return results.get(timeout=NAIVE_TIMEOUT)
    except queue.Empty:
        return None, None
    finally:
        if child.is_alive():
            child.kill()
        child.join()


def agree(decimals, naive):
    """Whether symback's 30-digit gradients and the naive route's agree to 28 significant digits."""
    tolerance = Decimal("1e-28")
    return all(abs(decimals[f"dL/d{name}"] - Decimal(v)) <= abs(Decimal(v)) * tolerance for name, v in naive.items())


def run(sizes, directory, rng, with_naive):
    """Print one row of the table; return this network's verdicts [(text, passed)]."""
    text, x, y, matrices = make_problem(sizes, rng)
    path = Path(directory) / f"mlp_{'_'.join(map(str, sizes))}.toml"
    path.write_text(text)
    mnist = sizes[0] == 784
    problem = None if mnist else symback.load(path)  # the MNIST-sized target includes loading
    seconds, cpu, (count, decimals) = best_of(3, lambda: symback_route(path, x, y, problem))
    naive_seconds, naive = time_naive(matrices, x, y) if with_naive else (None, None)
    shown, speedup, agreement = ("> 60 s" if with_naive else "skipped"), "-", "-"
    if isinstance(naive, str):
        shown = naive
    elif naive is not None:
        shown, speedup = f"{naive_seconds:.3f}", f"{naive_seconds / seconds:.0f}x"
        agreement = "yes" if agree(decimals, naive) else "NO"
    label = "[" + ",".join(map(str, sizes)) + "]" + (" +load" if mnist else "")
    print(f"{label:<20}{count:>8,}{seconds:>13.3f}{cpu:>9.3f}{shown:>11}{speedup:>10}  {agreement}", flush=True)
    if sizes == [3, 4, 4, 1]:
        ratio = (naive_seconds or NAIVE_TIMEOUT) / seconds  # a lower bound if the naive route timed out
        return [(f"[3,4,4,1] at least 200x faster than the naive route: {ratio:.0f}x", ratio >= 200)]
    if sizes == [8, 32, 32, 32, 1]:
        return [(f"[8,32,32,32,1] backprop + decimals(30) under 0.5 s: {seconds:.3f} s", seconds < 0.5)]
    if mnist:
        load_seconds, load_cpu, _ = best_of(3, lambda: symback.load(path))
        print(f"{'  symback.load alone':<20}{'':>8}{load_seconds:>13.3f}{load_cpu:>9.3f}", flush=True)
        return [(f"[784,128,10] load + backprop + decimals(30) under 5 s: {seconds:.3f} s", seconds < 5)]
    return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the naive route except at [3,4,4,1]")
    args = parser.parse_args()
    rng, verdicts = random.Random(20261126), []
    print(f"{'network':<20}{'params':>8}{'symback (s)':>13}{'cpu (s)':>9}{'naive (s)':>11}{'speed-up':>10}  agree")
    with tempfile.TemporaryDirectory() as directory:
        for sizes in SIZES:
            verdicts += run(sizes, directory, rng, with_naive=not args.quick or sizes == [3, 4, 4, 1])
    busy = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(f"(symback: best of 3, wall clock and process CPU time; verdicts use wall clock; {busy})\n")
    for text, passed in verdicts:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    failed = sum(not passed for _, passed in verdicts)
    print(f"\n{'ALL PASS' if not failed else 'NOT ALL PASS'}: {len(verdicts) - failed} of {len(verdicts)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
