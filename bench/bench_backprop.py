"""Benchmark: symback's exact backpropagation against a float64 floor and the naive SymPy route.

For dense MLPs with sigmoid hidden units, an identity output layer and squared-error loss, it measures

* symback: ``symback.load`` of the problem file, ``symback.backprop(p, x, y)`` with x and y given as strings,
  then ``.decimals(30)`` (every named quantity, all gradients included, correctly rounded to 30 digits); best
  of 3 runs (1 if a run takes over 5 s), wall clock and, as a check on a busy machine, the process's CPU time;
* the float64 floor, in the same run: ``tomllib`` reading the same file (floats as Python floats, quoted
  numbers turned into floats), then a numpy float64 forward and backward pass of the same network; best of 3;
* naive: the whole loss as one SymPy expression in the parameters, ``sympy.diff`` w.r.t. every parameter,
  substitution of the numbers, evaluation to 30 digits; once, in a child process killed after 60 s.

Networks [2,2,1], [3,4,4,1], [4,16,16,1], [8,32,32,32,1] and [784,128,10] (MNIST-sized: 10 outputs, one-hot
y, x like pixels/255), written from a fixed random seed into a temporary directory, each in two number styles
with the same values: bare TOML floats (-0.037) and quoted strings as people write fractions ("-0.037",
"-37/1000", alternating). Targets (issue 12) on a 2-core machine, load included, each style: [784,128,10]
(101,632 parameters) at most 2 s; [8,32,32,32,1] (2,336 parameters) at most 0.1 s; and [3,4,4,1] at least
200 times faster than the naive route in the same run. Where the naive route finishes, its gradients are
checked against symback's.

Run ``python bench/bench_backprop.py``; ``--quick`` skips the naive route except at [3,4,4,1].
The exit code is 0 unless something crashes: this is a report, not a test.
"""

import argparse
import math
import multiprocessing
import os
import queue
import random
import sys
import tempfile
import time
import tomllib
from decimal import Decimal
from pathlib import Path

try:
    import numpy
except ImportError:  # not a dependency of symback: the floor is then plain Python floats
    numpy = None
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import symback

SIZES = [[2, 2, 1], [3, 4, 4, 1], [4, 16, 16, 1], [8, 32, 32, 32, 1], [784, 128, 10]]
STYLES = ("floats", "quoted")
NAIVE_TIMEOUT = 60.0
TARGETS = {(8, 32, 32, 32, 1): 0.1, (784, 128, 10): 2.0}  # seconds, wall clock, load included


def make_problem(sizes, rng):
    """(TOML texts by number style, x, y, weight matrices) for an MLP with these layer sizes; numbers as short
    decimal strings."""
    matrices = []
    for fan_in, units in zip(sizes, sizes[1:]):
        places = 2 if fan_in <= 32 else 3  # 0.37, -1.2; -0.037 where the fan-in is large (no saturation)
        matrices.append([[_short(rng, 1.2 / fan_in**0.5, places) for _ in range(fan_in)] for _ in range(units)])
    texts = {style: _toml(sizes, matrices, style) for style in STYLES}
    if sizes[0] > 100:
        x = [f"{rng.randint(0, 255) / 255:.2f}" for _ in range(sizes[0])]
    else:
        x = [_short(rng, 1.0, 1) for _ in range(sizes[0])]
    hot = rng.randrange(sizes[-1])
    y = [str(int(k == hot)) for k in range(sizes[-1])] if sizes[-1] > 1 else _short(rng, 1.0, 2)
    return texts, x, y, matrices


def _toml(sizes, matrices, style):
    """The problem file: numbers as bare TOML floats, or quoted ("-0.037" and "-37/1000" in turn)."""
    lines = [f'title = "MLP {"-".join(map(str, sizes))}"', "[network]", f"inputs = {sizes[0]}"]
    for number, rows in enumerate(matrices):
        activation = "identity" if number == len(matrices) - 1 else "sigmoid"
        written = [[_written(value, style, k) for k, value in enumerate(row)] for row in rows]
        values = ", ".join("[" + ", ".join(row) + "]" for row in written)
        letter = "ABCDEFGH"[number]
        lines += ["[[network.layers]]", f'weights = "{letter}"', f"values = [{values}]", f'activation = "{activation}"']
    lines += ["[loss]", 'kind = "squared_error"']
    return "\n".join(lines) + "\n"


def _written(value, style, k):
    if style == "floats":
        return value
    if k % 2 == 0:
        return f'"{value}"'
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    whole, _, fraction = digits.partition(".")
    return f'"{sign}{int(whole + fraction)}/{10 ** len(fraction)}"'


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


def symback_route(path, x, y):
    """load + backprop + decimals(30)."""
    result = symback.backprop(symback.load(path), x=x, y=y)
    return len(result.grad), result.decimals(30)


def float64_floor(path, x, y):
    """tomllib reading the file (quoted numbers turned into floats) and a numpy float64 forward and backward pass
    of the same network: every parameter's gradient."""
    data = tomllib.loads(Path(path).read_text())
    if numpy is None:
        return _plain_float64_floor(data, x, y)
    weights = [numpy.array([[_float(v) for v in row] for row in layer["values"]]) for layer in data["network"]["layers"]]
    h = [numpy.array([_float(v) for v in x])]
    for number, w in enumerate(weights):
        z = w @ h[-1]
        h.append(z if number == len(weights) - 1 else 1 / (1 + numpy.exp(-z)))
    delta = 2 * (h[-1] - numpy.array([_float(v) for v in (y if isinstance(y, list) else [y])]))
    gradients = []
    for number in range(len(weights) - 1, -1, -1):
        gradients.append(numpy.outer(delta, h[number]))
        if number:
            delta = (weights[number].T @ delta) * h[number] * (1 - h[number])
    return gradients


def _plain_float64_floor(data, x, y):
    """The same forward and backward pass in plain Python floats, where NumPy is not installed."""
    weights = [[[_float(v) for v in row] for row in layer["values"]] for layer in data["network"]["layers"]]
    h = [[_float(v) for v in x]]
    for number, w in enumerate(weights):
        z = [sum(wi * hi for wi, hi in zip(row, h[-1])) for row in w]
        h.append(z if number == len(weights) - 1 else [1 / (1 + math.exp(-zi)) for zi in z])
    targets = [_float(v) for v in (y if isinstance(y, list) else [y])]
    delta = [2 * (out - target) for out, target in zip(h[-1], targets)]
    gradients = []
    for number in range(len(weights) - 1, -1, -1):
        gradients.append([[d * hj for hj in h[number]] for d in delta])
        if number:
            back = [sum(weights[number][k][j] * delta[k] for k in range(len(delta))) for j in range(len(h[number]))]
            delta = [b * hj * (1 - hj) for b, hj in zip(back, h[number])]
    return gradients


def _float(value):
    if not isinstance(value, str):
        return float(value)
    top, _, bottom = value.partition("/")
    return float(top) / float(bottom or 1)


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
    """Print this network's rows (one per number style); return its verdicts [(text, passed)]."""
    texts, x, y, matrices = make_problem(sizes, rng)
    naive_seconds, naive = time_naive(matrices, x, y) if with_naive else (None, None)
    label, verdicts = "[" + ",".join(map(str, sizes)) + "]", []
    for style in STYLES:
        path = Path(directory) / f"mlp_{'_'.join(map(str, sizes))}_{style}.toml"
        path.write_text(texts[style])
        seconds, cpu, (count, decimals) = best_of(3, lambda: symback_route(path, x, y))
        floor, _, _ = best_of(3, lambda: float64_floor(path, x, y))
        shown, speedup, agreement = ("> 60 s" if with_naive else "skipped"), "-", "-"
        if isinstance(naive, str):
            shown = naive
        elif naive is not None:
            shown, speedup = f"{naive_seconds:.3f}", f"{naive_seconds / seconds:.0f}x"
            agreement = "yes" if agree(decimals, naive) else "NO"
        print(f"{label:<18}{style:<8}{count:>8,}{seconds:>13.3f}{cpu:>9.3f}{floor:>12.4f}{seconds / floor:>8.0f}x"
              f"{shown:>11}{speedup:>10}  {agreement}", flush=True)
        target = TARGETS.get(tuple(sizes))
        if target is not None:
            text = (f"{label} {style}: load + backprop + decimals(30) at most {target:g} s: {seconds:.3f} s"
                    f" (float64 floor {floor:.4f} s)")
            verdicts.append((text, seconds <= target))
        if sizes == [3, 4, 4, 1] and style == "floats":
            ratio = (naive_seconds or NAIVE_TIMEOUT) / seconds  # a lower bound if the naive route timed out
            verdicts.append((f"[3,4,4,1] at least 200x faster than the naive route: {ratio:.0f}x", ratio >= 200))
    return verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the naive route except at [3,4,4,1]")
    args = parser.parse_args()
    rng, verdicts = random.Random(20261126), []
    print(f"{'network':<18}{'numbers':<8}{'params':>8}{'symback (s)':>13}{'cpu (s)':>9}{'float64 (s)':>12}"
          f"{'ratio':>9}{'naive (s)':>11}{'speed-up':>10}  agree")
    with tempfile.TemporaryDirectory() as directory:
        for sizes in SIZES:
            verdicts += run(sizes, directory, rng, with_naive=not args.quick or sizes == [3, 4, 4, 1])
    busy = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(f"(symback: load + backprop + decimals(30), best of 3, wall clock and process CPU time; float64: tomllib"
          f" + numpy forward and backward, best of 3, wall clock; verdicts use wall clock; {busy})\n")
    for text, passed in verdicts:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    failed = sum(not passed for _, passed in verdicts)
    print(f"\n{'ALL PASS' if not failed else 'NOT ALL PASS'}: {len(verdicts) - failed} of {len(verdicts)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
