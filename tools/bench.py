# SPDX-License-Identifier: MPL-2.0
"""./ostd bench: the page-table core against in-process baselines.

  ./ostd bench              full sweeps, 11 repetitions (about two minutes)
  ./ostd bench --quick      small sweeps, 7 repetitions (about a minute)
  ./ostd bench --callgrind  instruction counts only, every format
  ./ostd bench --smoke      tiny sizes, one repetition: the harness checks
                            itself (what ./ostd test runs)

The benchmark program is out/host-bench/ostd-bench (bench/, built by the
host-bench configuration). It prints one JSON line per result; this
driver prints a table per benchmark with the ratio to every baseline,
checks the targets of ../shared/BENCHMARKS.md, writes
out/bench/results.json and out/bench/report.md (the "Latest full run"
section of docs/performance.md) and plots the N-sweeps to out/bench/*.png.
`tools/bench.py --report-from RESULTS.json` prints the report of a saved
run. docs/performance.md explains every figure.
"""

import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = "host-bench"
OUT = os.path.join(TOP, "out", "bench")
BASELINES = (
    "toy-cursor",
    "toy-xv6",
    "toy-xv6-locked",
    "toy-xv6-walk",
    "flat",
    "linux",
    "zero-4k",
    "memcpy",
)
# Every benchmark the smoke run must report.
SMOKE_IDS = ["H%d" % i for i in range(1, 16)]
CG_FUNCS = (
    "cg_h1_ostd",
    "cg_h2_ostd",
    "cg_h2_toy_cursor",
    "cg_h2_flat",
    "cg_h3_ostd",
    "cg_h3_toy_xv6",
    "cg_h5_ostd_seq",
    "cg_h5_toy_cursor_seq",
    "cg_h5_ostd_rand",
    "cg_h5_toy_xv6_rand",
    "cg_h6_ostd",
    "cg_h6_ostd_next",
    "cg_h6_toy_cursor",
    "cg_h7_ostd",
    "cg_h7_toy_cursor",
    "cg_h10_ostd_fault",
)


BINARIES = (
    "ostd-bench",
    "ostd-bench-noregistry",
    "ostd-bench-lto",
    "ostd-bench-x86_64",
)


def binary(name):
    return os.path.join(TOP, "out", CONFIG, name)


def build_bench(build, names=BINARIES):
    """Builds only the benchmark programs of the host-bench configuration
    (its test runner is ./ostd test's business)."""
    build(CONFIG, [], ["out/%s/%s" % (CONFIG, n) for n in names])


def run_program(cmd, timeout):
    """Runs the benchmark program; returns (rows, summary, rc, stderr)."""
    try:
        p = subprocess.run(
            cmd,
            cwd=TOP,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return [], None, None, "timeout after %d s" % timeout
    rows = []
    summary = None
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            try:
                rows.append(json.loads(line))
            except ValueError:
                rows.append({"bad": line})
        m = re.match(r"^bench: (\d+) passed, (\d+) failed$", line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
    return rows, summary, p.returncode, p.stderr


# ---------------------------------------------------------------------------
# Smoke: the harness checks itself; no timing is judged.


def smoke_check(rows, summary, rc, err):
    """Problems with a smoke run, as strings (empty: it passed)."""
    problems = []
    if rc != 0:
        problems.append("exit status %s" % rc)
    if summary is None:
        problems.append("no summary line")
    elif summary[1] != 0:
        problems.append("%d benchmark(s) failed their checks" % summary[1])
    for r in rows:
        if "bad" in r:
            problems.append("unparsable line: %s" % r["bad"][:80])
        for k in ("ns_med", "ns_min", "value"):
            if k in r and not (
                isinstance(r[k], (int, float)) and math.isfinite(r[k]) and r[k] >= 0
            ):
                problems.append(
                    "%s %s %s: bad %s"
                    % (r.get("id"), r.get("case"), r.get("variant"), k)
                )
    seen = {r.get("id") for r in rows}
    for i in SMOKE_IDS:
        if i not in seen:
            problems.append("%s reported nothing" % i)
    for line in err.splitlines():
        if "FAILED" in line:
            problems.append(line.strip())
    return problems


def run_smoke():
    """Every benchmark program once in smoke mode: each build variant boots
    its own core (the codec-bound one included), so each can break alone."""
    start = time.monotonic()
    total = [0, 0]
    problems = []
    results = 0
    for name in BINARIES:
        rows, summary, rc, err = run_program([binary(name), "--smoke"], 120)
        problems += ["%s: %s" % (name, p) for p in smoke_check(rows, summary, rc, err)]
        if summary:
            total[0] += summary[0]
            total[1] += summary[1]
        results += len(rows)
    detail = "%d results from %d programs, %.1f s" % (
        results,
        len(BINARIES),
        time.monotonic() - start,
    )
    return tuple(total) if total[0] else None, problems, detail


def test_smoke(tally, build):
    """The `./ostd test` hook: one runner line for the harness."""
    build_bench(build)
    summary, problems, detail = run_smoke()
    for p in problems:
        print("  bench-smoke: " + p, flush=True)
    passed = summary[0] if summary else 0
    failed = len(problems) if problems else 0
    tally.add("bench-smoke", passed, failed, detail)


# ---------------------------------------------------------------------------
# Callgrind: instructions per op.


def callgrind(exe, fmt):
    """{function: instructions per op} for one binary and format."""
    cg_out = os.path.join(OUT, "callgrind.%s.%s.out" % (os.path.basename(exe), fmt))
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=" + cg_out,
        "--collect-atstart=no",
        "--toggle-collect=cg_*",
        exe,
        "--callgrind",
        "--fmt",
        fmt,
    ]
    rows, _s, rc, err = run_program(cmd, 600)
    if rc != 0:
        print("bench: callgrind of %s failed:\n%s" % (exe, err[-2000:]))
        return {}
    ops = {r["cg"]: r["ops"] for r in rows if "cg" in r}
    ann = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", cg_out],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ).stdout
    # With LTO one function shows up once per file its code came from;
    # the largest line is the whole function.
    total = {}
    for line in ann.splitlines():
        m = re.match(r"^\s*([\d,]+) .*:(cg_\w+)\b", line)
        if m:
            n = int(m.group(1).replace(",", ""))
            total[m.group(2)] = max(total.get(m.group(2), 0), n)
    return {f: total.get(f, 0) / ops[f] for f in ops}


# ---------------------------------------------------------------------------
# Tables.


def key(r):
    return (r["id"], r["case"], r["n"])


def groups(rows):
    out = {}
    for r in rows:
        if "id" in r and "variant" in r:
            out.setdefault((r["id"], r["case"]), []).append(r)
    return out


def fmt_ns(x):
    if x >= 100000:
        return "%.0f" % x
    if x >= 100:
        return "%.1f" % x
    return "%.2f" % x


def print_tables(rows):
    for (bid, case), rs in sorted(
        groups(rows).items(), key=lambda g: (int(g[0][0][1:]), g[0][1])
    ):
        if "value" in rs[0]:
            print("\n%s %s" % (bid, case))
            for r in sorted(rs, key=lambda r: (r["n"], r["variant"])):
                print(
                    "  n=%-10d %-28s %10.4f %s"
                    % (r["n"], r["variant"], r["value"], r["unit"])
                )
            continue
        base = [b for b in BASELINES if any(r["variant"] == b for r in rs)]
        unit = rs[0]["unit"]
        head = "  %-10s %-22s %11s %11s" % ("n", "variant", "med ns/" + unit, "min")
        head += "".join(" %11s" % ("x" + b) for b in base)
        extra = any("flushes" in r for r in rs)
        pt = any("pt_bytes" in r for r in rs)
        if extra:
            head += " %9s" % "flush/op"
        if pt:
            head += " %9s" % "PT B/pg"
        print("\n%s %s" % (bid, case))
        print(head)
        by_n = {}
        for r in rs:
            by_n.setdefault(r["n"], {})[r["variant"]] = r
        for n in sorted(by_n):
            for v, r in sorted(by_n[n].items()):
                line = "  %-10d %-22s %11s %11s" % (
                    n,
                    v,
                    fmt_ns(r["ns_med"]),
                    fmt_ns(r["ns_min"]),
                )
                for b in base:
                    if v in BASELINES or b not in by_n[n] or by_n[n][b]["ns_med"] <= 0:
                        line += " %11s" % "-"
                    else:
                        line += " %11.2f" % (r["ns_med"] / by_n[n][b]["ns_med"])
                if extra:
                    line += " %9s" % ("%.2f" % r["flushes"] if "flushes" in r else "-")
                if pt:
                    line += " %9s" % (
                        "%.3f" % r["pt_bytes"] if "pt_bytes" in r else "-"
                    )
                print(line)
        if bid == "H14":
            one = by_n[min(by_n)]
            for who in ("ostd", "linux", "control"):
                if who + "/1T" in one and who + "/2T" in one:
                    print(
                        "  2T/1T throughput (%s): %.2fx median, %.2fx "
                        "best rep"
                        % (
                            who,
                            one[who + "/1T"]["ns_med"] / one[who + "/2T"]["ns_med"],
                            one[who + "/1T"]["ns_min"] / one[who + "/2T"]["ns_min"],
                        )
                    )


# ---------------------------------------------------------------------------
# Targets (../shared/BENCHMARKS.md; the list).


def find(rows, bid, case, variant, n=None):
    rs = [
        r
        for r in rows
        if r.get("id") == bid
        and r.get("case") == case
        and r.get("variant") == variant
        and (n is None or r["n"] == n)
    ]
    return rs


def targets(rows, cg, codec):
    """[(what, target, measured text, met: True, False or None)]."""
    t = []

    def label(n):
        return n if isinstance(n, str) else "n=%d" % n

    def ratio(bid, case, a, b, n=None):
        out = []
        for ra in find(rows, bid, case, a, n):
            rb = find(rows, bid, case, b, ra["n"])
            if rb and rb[0]["ns_med"] > 0:
                out.append((ra["n"], ra["ns_med"] / rb[0]["ns_med"]))
        return out

    def text_of(pairs, fmtv):
        return (
            ", ".join(("%s: " + fmtv) % (label(n), v) for n, v in pairs)
            or "not measured"
        )

    def info(what, pairs, fmtv="%.2fx"):
        t.append((what, "-", text_of(pairs, fmtv), None))

    def add(what, target, pairs, limit, fmtv="%.2fx", higher=False):
        if not pairs:
            t.append((what, target, "not measured", None))
            return
        worst = (min if higher else max)(v for _n, v in pairs)
        ok = worst >= limit if higher else worst <= limit
        t.append((what, target, text_of(pairs, fmtv), ok))

    def scaling(case, who, stat):
        one = find(rows, "H14", case, who + "/1T")
        two = find(rows, "H14", case, who + "/2T")
        if one and two and two[0][stat] > 0:
            return one[0][stat] / two[0][stat]
        return None

    add(
        "H2 batched 4K map / cursor toy",
        "<= 2x",
        ratio("H2", "map-seq", "ostd/x86_64", "toy-cursor"),
        2.0,
    )
    v = cg.get(("ostd-bench", "x86_64"), {}).get("cg_h2_ostd")
    add(
        "H2 instructions per page (x86_64)",
        "<= 25",
        [("callgrind", v)] if v else [],
        25,
        "%.1f",
    )
    add(
        "H3 1 page per cursor / xv6 toy",
        "<= 1.5x",
        ratio("H3", "map-1-per-cursor", "ostd/x86_64", "toy-xv6"),
        1.5,
    )
    info(
        "  H3 / xv6 toy inside the cursor protocol's atomics",
        ratio("H3", "map-1-per-cursor", "ostd/x86_64", "toy-xv6-locked"),
    )
    for variant in ("fault", "batch"):
        pop = []
        for r in find(rows, "H10", "populate", "ostd/x86_64/" + variant):
            z = find(rows, "H10", "populate", "zero-4k", r["n"])
            if z:
                pop.append((r["n"], r["ns_med"] - z[0]["ns_med"]))
        add(
            "H10 populate (%s) - zeroing" % variant, "<= 40 ns/page", pop, 40, "%.1f ns"
        )
        add(
            "H10 populate (%s) / Linux MAP_POPULATE" % variant,
            "<= 0.2x",
            ratio("H10", "populate", "ostd/x86_64/" + variant, "linux-populate"),
            0.2,
        )
    # "Hot" (BENCHMARKS.md): N = 4096, whose PTEs, frame metadata and
    # frames stay in the caches; larger N is reported beside it.
    h7 = find(rows, "H7", "unmap-populated", "ostd/x86_64")
    add(
        "H7 unmap populated, hot (N = 4096)",
        "<= 15 ns/page",
        [(r["n"], r["ns_med"]) for r in h7 if r["n"] <= 4096],
        15,
        "%.1f ns",
    )
    info(
        "  H7 unmap populated, larger N",
        [(r["n"], r["ns_med"]) for r in h7 if r["n"] > 4096],
        "%.1f ns",
    )
    add(
        "H6 protect 4K (N >= 512)",
        "<= 1.3 ns/page",
        [
            (r["n"], r["ns_med"])
            for r in find(rows, "H6", "protect-4k", "ostd/x86_64")
            if r["n"] >= 512
        ],
        1.3,
        "%.1f ns",
    )
    add(
        "H13 PT memory, dense >= 1e5 pages",
        "<= 8.05 B/page",
        [
            (r["n"], r["value"])
            for r in find(rows, "H13", "dense", "ostd/pt-bytes")
            if r["n"] >= 100000
        ],
        8.05,
        "%.3f B",
    )
    # The least any 4-level table needs for n dense pages: full nodes
    # at every level, plus the root.
    floor = {
        r["n"]: 4096.0
        * (
            math.ceil(r["n"] / 512)
            + math.ceil(r["n"] / 512**2)
            + math.ceil(r["n"] / 512**3)
            + 1
        )
        / r["n"]
        for r in find(rows, "H13", "dense", "ostd/pt-bytes")
    }
    add(
        "H13 PT memory, dense, above the 4-level floor",
        "<= +0.001 B",
        [
            (r["n"], r["value"] - floor[r["n"]])
            for r in find(rows, "H13", "dense", "ostd/pt-bytes")
            if r["n"] >= 100000
        ],
        0.001,
        "%+.3f B",
    )
    io = []
    for case, variant in (
        ("read-aligned", "vm-reader"),
        ("write-aligned", "vm-writer"),
    ):
        for r in find(rows, "H12", case, variant):
            m = find(rows, "H12", case, "memcpy", r["n"])
            if m and r["n"] >= 4096:
                io.append(("%s %d" % (case[:-8], r["n"]), m[0]["ns_med"] / r["ns_med"]))
    add(
        "H12 VmReader/VmWriter throughput / memcpy, >= 4 KiB",
        ">= 0.9x",
        io,
        0.9,
        higher=True,
    )
    sim = []
    for r in find(rows, "H12", "read-aligned", "vm-reader"):
        m = find(rows, "H12", "read-aligned", "memcpy", r["n"])
        s = find(rows, "H12", "read-aligned", "sim-mmu", r["n"])
        if m and s and r["n"] >= 4096 and r["ns_med"] > s[0]["ns_med"]:
            sim.append((r["n"], m[0]["ns_med"] / (r["ns_med"] - s[0]["ns_med"])))
    info("  H12 read / memcpy without the host's software MMU", sim)
    add(
        "vtable overhead vs x86_64-bound codec (time)",
        "<= 10%",
        [("%s %s" % k, (v - 1) * 100) for k, v in codec],
        10,
        "%+.1f%%",
    )
    vt = cg.get(("ostd-bench-lto", "x86_64"), {})
    sp = cg.get(("ostd-bench-x86_64", "x86_64"), {})
    add(
        "vtable overhead (instructions)",
        "<= 10%",
        [
            (f[3:].replace("_ostd", ""), (vt[f] / sp[f] - 1) * 100)
            for f in (
                "cg_h2_ostd",
                "cg_h3_ostd",
                "cg_h5_ostd_seq",
                "cg_h6_ostd",
                "cg_h7_ostd",
            )
            if vt.get(f) and sp.get(f)
        ],
        10,
        "%+.1f%%",
    )
    for kind, limit in (("disjoint", 1.8), ("contended", 1.0)):
        for stat, name in (("ns_min", "best rep"), ("ns_med", "median")):
            pairs = []
            for wl in ("map-unmap", "fault-unmap"):
                v = scaling("%s-%s" % (wl, kind), "ostd", stat)
                if v is not None:
                    pairs.append((wl, v))
            add(
                "H14 2-thread %s scaling, %s" % (kind, name),
                ">= %.1fx" % limit,
                pairs,
                limit,
                higher=True,
            )
    for stat, name in (("ns_min", "best rep"), ("ns_med", "median")):
        info(
            "  H14 Linux mmap+munmap 2T/1T, %s" % name,
            [
                (c, v)
                for c in ("disjoint",)
                for v in [scaling("mmap-munmap-disjoint", "linux", stat)]
                if v is not None
            ],
        )
        info(
            "  H14 control (arithmetic) 2T/1T beside each case, %s" % name,
            [
                (c.replace("-disjoint", "").replace("-contended", "-cont"), v)
                for c in (
                    "map-unmap-disjoint",
                    "fault-unmap-disjoint",
                    "map-unmap-contended",
                    "fault-unmap-contended",
                    "mmap-munmap-disjoint",
                )
                for v in [scaling(c, "control", stat)]
                if v is not None
            ],
        )
    return t


def print_targets(t):
    print("\nTargets (ratios from this run; ../shared/BENCHMARKS.md)")
    w = max(len(x[0]) for x in t)
    for what, target, text, ok in t:
        mark = "" if ok is None else ("met " if ok else "MISS")
        print("  %-4s %-*s  %-15s %s" % (mark, w, what, target, text))


# ---------------------------------------------------------------------------
# The codec comparison: the same core, codec through the vtable or bound
# to x86_64 at compile time (both LTO builds).


CODEC_IDS = "H2,H3,H5,H6,H7"


def alternate(exes, args, rounds, wanted):
    """Runs the programs `exes` (each with `args`) in turn, `rounds` times,
    so that machine noise falls on all of them alike. Returns the medians
    {(id, case, n): (median of exes[0], median of exes[1], ...)} of the
    rows `wanted` accepts, for the keys every program reported; None if a
    program failed."""
    per = {}
    for _ in range(rounds):
        for exe in exes:
            rows, _s, rc, err = run_program([binary(exe)] + args, 600)
            if rc != 0:
                print("bench: %s failed:\n%s" % (exe, err[-2000:]))
                return None
            for r in filter(wanted, rows):
                per.setdefault(key(r), {}).setdefault(exe, []).append(r["ns_med"])
    return {
        k: tuple(statistics.median(d[e]) for e in exes)
        for k, d in sorted(per.items())
        if all(d.get(e) for e in exes)
    }


def codec_compare(quick):
    meds = alternate(
        ("ostd-bench-lto", "ostd-bench-x86_64"),
        ["--quick", "--fmt", "x86_64", "--only", CODEC_IDS, "--reps", "5"],
        2 if quick else 3,
        lambda r: r.get("variant") == "ostd/x86_64",
    )
    if meds is None:
        return [], []
    out = []
    table = [
        {
            "id": k[0],
            "case": k[1],
            "n": k[2],
            "vtable_ns": vt,
            "fixed_ns": sp,
            "overhead": vt / sp - 1,
        }
        for k, (vt, sp) in meds.items()
    ]
    # The gate looks at the hot codec paths, at their middle size.
    for row in table:
        if (row["id"], row["case"], row["n"]) in (
            ("H2", "map-seq", 65536),
            ("H3", "map-1-per-cursor", 4096),
            ("H5", "query-seq", 4096),
            ("H6", "protect-4k", 16384),
            ("H7", "unmap-populated", 4096),
        ):
            out.append(((row["id"], row["case"]), 1 + row["overhead"]))
    return out, table


def print_codec(table):
    if not table:
        return
    print(
        "\nCodec through the vtable vs bound to x86_64 (both -flto), " "ns/op medians"
    )
    for r in table:
        print(
            "  %-4s %-18s n=%-8d vtable %9s  fixed %9s  overhead %+6.1f%%"
            % (
                r["id"],
                r["case"],
                r["n"],
                fmt_ns(r["vtable_ns"]),
                fmt_ns(r["fixed_ns"]),
                r["overhead"] * 100,
            )
        )


def registry_compare(quick):
    """H15 with and without the owner registry (DESIGN.md §7): the same
    benchmark from ostd-bench and ostd-bench-noregistry, alternated; the
    medians and their ratio."""
    meds = alternate(
        ("ostd-bench", "ostd-bench-noregistry"),
        ["--only", "H15"] + (["--quick"] if quick else []),
        2 if quick else 3,
        lambda r: r.get("id") == "H15",
    )
    return [
        {
            "id": k[0],
            "case": k[1],
            "n": k[2],
            "registry_ns": on,
            "noregistry_ns": off,
            "ratio": on / off if off > 0 else float("nan"),
        }
        for k, (on, off) in (meds or {}).items()
    ]


def print_registry(table):
    if not table:
        return
    print(
        "\nOwner registry on vs compiled out (H15, one token's life beside "
        "N active readers), ns/op medians"
    )
    for r in table:
        print(
            "  %-13s N=%-3d registry %9s  none %9s  ratio %.2fx"
            % (
                r["case"],
                r["n"],
                fmt_ns(r["registry_ns"]),
                fmt_ns(r["noregistry_ns"]),
                r["ratio"],
            )
        )


def print_cg(cg):
    print("\nInstructions per op (callgrind, deterministic)")
    cols = sorted(cg)
    print(
        "  %-22s" % "function"
        + "".join(
            " %24s" % ("%s/%s" % (b.replace("ostd-bench", "bench"), f)) for b, f in cols
        )
    )
    for fn in CG_FUNCS:
        print(
            "  %-22s" % fn
            + "".join(
                " %24s" % ("%.1f" % cg[c][fn] if fn in cg[c] else "-") for c in cols
            )
        )


# ---------------------------------------------------------------------------
# Plots.


SWEEPS = [
    ("H2", "map-seq", "ns/page", False),
    ("H3", "map-1-per-cursor", "ns/page", False),
    ("H5", "query-rand", "ns/lookup", False),
    ("H5", "query-seq", "ns/page", False),
    ("H7", "unmap-populated", "ns/page", False),
    ("H6", "protect-4k", "ns/page", False),
    ("H12", "read-aligned", "GB/s", True),
]


def plot(rows):
    if not shutil.which("gnuplot"):
        print("bench: gnuplot not found; no plots")
        return []
    made = []
    for bid, case, ylabel, gbps in SWEEPS:
        rs = [
            r
            for r in rows
            if r.get("id") == bid and r.get("case") == case and "ns_med" in r
        ]
        ns = sorted({r["n"] for r in rs})
        if len(ns) < 2:
            continue
        variants = sorted({r["variant"] for r in rs})
        base = os.path.join(OUT, "%s-%s" % (bid.lower(), case))
        with open(base + ".dat", "w") as f:
            f.write("# n " + " ".join(variants) + "\n")
            for n in ns:
                vals = []
                for v in variants:
                    r = [x for x in rs if x["n"] == n and x["variant"] == v]
                    if not r:
                        vals.append("?")
                    elif gbps:
                        vals.append("%.4f" % (n / r[0]["ns_med"]))
                    else:
                        vals.append("%.4f" % r[0]["ns_med"])
                f.write("%d %s\n" % (n, " ".join(vals)))
        plots = ", ".join(
            "'%s.dat' using 1:%d with linespoints title '%s'" % (base, i + 2, v)
            for i, v in enumerate(variants)
        )
        script = "\n".join(
            [
                "set terminal png size 900,560 noenhanced",
                "set output '%s.png'" % base,
                "set title '%s %s'" % (bid, case),
                "set logscale x",
                "set logscale y" if not gbps else "",
                "set xlabel '%s'" % ("bytes" if gbps else "N"),
                "set ylabel '%s'" % ylabel,
                "set key outside right",
                "set datafile missing '?'",
                "plot " + plots,
                "",
            ]
        )
        r = subprocess.run(
            ["gnuplot"],
            input=script,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        if r.returncode == 0:
            made.append(base + ".png")
        else:
            print("bench: gnuplot: %s" % r.stderr.strip()[:200])
    return made


# ---------------------------------------------------------------------------
# The report: the "Latest full run" section of docs/performance.md, as
# markdown, from a results dict (what results.json holds).


def md_table(head, body):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


# (title, id, case, variants): one row per N, the median of each variant.
REPORT_SWEEPS = [
    (
        "H2, map-seq, ns per page (median):",
        "H2",
        "map-seq",
        ("ostd/x86_64", "ostd/sv48", "ostd/aarch64", "toy-cursor", "toy-xv6", "flat"),
    ),
    (
        "H3, one page per cursor, ns per page:",
        "H3",
        "map-1-per-cursor",
        ("ostd/x86_64", "ostd/sv48", "ostd/aarch64", "toy-xv6", "toy-xv6-locked"),
    ),
    (
        "H5, query: sequential (ns per page) and random with a fresh cursor "
        "(ns per lookup):",
        "H5",
        "query-seq",
        ("ostd/x86_64", "toy-cursor", "flat"),
    ),
    (
        None,
        "H5",
        "query-rand",
        ("ostd/x86_64", "ostd/sv48", "ostd/aarch64", "toy-xv6-walk"),
    ),
    (
        "H6 protect and H7 unmap of populated memory, ns per page:",
        "H6",
        "protect-4k",
        ("ostd/x86_64", "ostd/sv48", "ostd/aarch64", "toy-cursor", "linux"),
    ),
    (
        None,
        "H7",
        "unmap-populated",
        ("ostd/x86_64", "ostd/sv48", "ostd/aarch64", "toy-cursor", "toy-xv6", "linux"),
    ),
]
# (id, case, variant, what one op is): the single figures, x86_64.
REPORT_OTHER = [
    ("H1", "4k-empty", "ostd/mut", "per 4 KiB cursor"),
    ("H1", "2m-populated", "ostd/mut", "per populated 2 MiB cursor"),
    ("H1", "1g-populated", "ostd/mut", "per populated 1 GiB cursor (513 locks)"),
    ("H4", "map-2m", "ostd/x86_64", "per 2 MiB leaf"),
    ("H4", "map-1g", "ostd/x86_64", "per 1 GiB leaf"),
    ("H4", "split-2m", "ostd/x86_64", "per 2 MiB split"),
    ("H8", "empty-2m", "ostd/x86_64", "per empty 2 MiB unmap"),
    ("H8", "empty-512g", "ostd/x86_64", "per empty 512 GiB unmap"),
    ("H9", "alloc-free", "frame_alloc", "per zeroed frame alloc+free"),
    ("H9", "alloc-free", "segment-512-nozero", "per frame in a 512-frame segment"),
    ("H11", "cow-clone", "ostd/x86_64/cow", "per page cloned copy-on-write"),
]


def report(res):
    """The markdown of one run (the dict main() writes to results.json)."""
    rows = res["rows"]
    m = res["machine"]
    out = [
        "Machine: %s, %s CPUs, %s MiB, Debian %s, Linux %s; %s; %s run; "
        "load average %s at the start, %s at the end."
        % (
            m["cpu"],
            m["cpus"],
            m["mem_mib"],
            m["debian"],
            m["kernel"],
            res["date"],
            res["mode"],
            m["loadavg_start"],
            m["loadavg_end"],
        )
    ]

    def med(bid, case, variant, n=None):
        rs = find(rows, bid, case, variant, n)
        return fmt_ns(rs[0]["ns_med"]) if rs else "-"

    def ns_of(bid, case):
        return sorted(
            {r["n"] for r in rows if r.get("id") == bid and r.get("case") == case}
        )

    for title, bid, case, variants in REPORT_SWEEPS:
        if ns_of(bid, case):
            out += [title] if title else []
            out.append(
                md_table(
                    ["N"] + list(variants),
                    [
                        [str(n)] + [med(bid, case, v, n) for v in variants]
                        for n in ns_of(bid, case)
                    ],
                )
            )
    for n in ns_of("H10", "populate"):
        out.append("H10 populate, ns per page, N = %d:" % n)
        out.append(
            md_table(
                ["variant", "ns/page"],
                [
                    [r["variant"], fmt_ns(r["ns_med"])]
                    for r in rows
                    if r.get("id") == "H10" and r["n"] == n
                ],
            )
        )
    other = [
        "%s %s ns %s" % (bid, med(bid, case, v), what)
        for bid, case, v, what in REPORT_OTHER
        if find(rows, bid, case, v)
    ]
    if other:
        out.append("Other figures (x86_64, medians): %s." % "; ".join(other))
    if ns_of("H12", "read-aligned"):
        variants = ("vm-reader", "memcpy", "rep-movsb", "sim-mmu")
        out.append("H12, read (user to kernel), ns per copy:")
        out.append(
            md_table(
                ["bytes"] + list(variants),
                [
                    [str(n)] + [med("H12", "read-aligned", v, n) for v in variants]
                    for n in ns_of("H12", "read-aligned")
                ],
            )
        )

    def cases(bid):  # in the order the program ran them
        return dict.fromkeys(r["case"] for r in rows if r.get("id") == bid)

    h13 = [(case, n) for case in cases("H13") for n in ns_of("H13", case)]
    if h13:

        def val(case, n, v):
            rs = find(rows, "H13", case, "ostd/" + v, n)
            return "%.3f" % rs[0]["value"] if rs else "-"

        out.append("H13, bytes per mapped page (not timed):")
        out.append(
            md_table(
                ["case", "N", "page table", "below the root", "frame metadata"],
                [
                    [
                        case,
                        str(n),
                        val(case, n, "pt-bytes"),
                        val(case, n, "pt-bytes-below-root"),
                        val(case, n, "meta-bytes"),
                    ]
                    for case, n in h13
                ],
            )
        )
    h14 = []
    for case in cases("H14"):
        for who in ("ostd", "linux", "control"):
            one = find(rows, "H14", case, who + "/1T")
            two = find(rows, "H14", case, who + "/2T")
            if one and two:
                o, t = one[0], two[0]
                h14.append(
                    [
                        case,
                        who,
                        fmt_ns(o["ns_med"]),
                        fmt_ns(t["ns_med"]),
                        "%.2fx" % (o["ns_med"] / t["ns_med"]),
                        "%.2fx" % (o["ns_min"] / t["ns_min"]),
                    ]
                )
    if h14:
        out.append("H14, two threads, ns per page (median) and 2T/1T " "throughput:")
        out.append(
            md_table(["case", "who", "1T", "2T", "2T/1T median", "2T/1T best rep"], h14)
        )
    cg = res.get("callgrind", [])
    if cg:
        out.append("Instructions per op (callgrind):")
        out.append(
            md_table(
                ["function"] + ["%s %s" % (c["binary"], c["fmt"]) for c in cg],
                [
                    [fn]
                    + [
                        "%.1f" % c["per_op"][fn] if fn in c["per_op"] else "-"
                        for c in cg
                    ]
                    for fn in CG_FUNCS
                ],
            )
        )
    if res.get("codec"):
        out.append(
            "Codec through the vtable vs bound to x86_64 (both "
            "-flto), ns/op medians:"
        )
        out.append(
            md_table(
                ["bench", "N", "vtable", "x86_64-bound", "overhead"],
                [
                    [
                        "%s %s" % (r["id"], r["case"]),
                        str(r["n"]),
                        fmt_ns(r["vtable_ns"]),
                        fmt_ns(r["fixed_ns"]),
                        "%+.1f%%" % (r["overhead"] * 100),
                    ]
                    for r in res["codec"]
                ],
            )
        )
    if res.get("registry"):
        out.append(
            "Owner registry on vs compiled out (H15, one token's create, "
            "activate, dispose and remove beside N active readers), ns/op "
            "medians:"
        )
        out.append(
            md_table(
                ["case", "N", "registry", "none", "ratio"],
                [
                    [
                        r["case"],
                        str(r["n"]),
                        fmt_ns(r["registry_ns"]),
                        fmt_ns(r["noregistry_ns"]),
                        "%.2fx" % r["ratio"],
                    ]
                    for r in res["registry"]
                ],
            )
        )
    out.append("Targets:")
    out.append(
        md_table(
            ["", "what", "target", "measured"],
            [
                [
                    "" if t["met"] is None else ("met" if t["met"] else "**miss**"),
                    t["what"].strip(),
                    t["target"],
                    t["measured"],
                ]
                for t in res["targets"]
            ],
        )
    )
    return "\n\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# The command.


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    debian = "?"
    try:
        with open("/etc/debian_version") as f:
            debian = f.read().strip()
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "debian": debian,
        "kernel": platform.release(),
        "mem_mib": mem,
        "loadavg_start": loadavg(),
    }


def main(args, build, ensure):
    build_bench(build)
    if args.smoke:
        summary, problems, detail = run_smoke()
        for p in problems:
            print("bench-smoke: " + p)
        print("bench-smoke: %s (%s)" % ("ok" if not problems else "FAILED", detail))
        sys.exit(0 if not problems else 1)
    ensure("bench")  # tools/packages.py
    os.makedirs(OUT, exist_ok=True)
    start = time.monotonic()
    mode = "callgrind" if args.callgrind else ("quick" if args.quick else "full")
    m = machine()
    print(
        "ostd bench (%s) on %s, %s CPUs, Debian %s, Linux %s"
        % (mode, m["cpu"], m["cpus"], m["debian"], m["kernel"]),
        flush=True,
    )
    rows = []
    codec, codec_table, registry = [], [], []
    if not args.callgrind:
        rows, summary, rc, err = run_program(
            [binary("ostd-bench")] + (["--quick"] if args.quick else []), 3600
        )
        if rc != 0 or summary is None or summary[1] != 0:
            print(err[-3000:])
            sys.exit("bench: the benchmark program failed (exit %s)" % rc)
        print_tables(rows)
        codec, codec_table = codec_compare(args.quick)
        print_codec(codec_table)
        registry = registry_compare(args.quick)
        print_registry(registry)
    cg = {}
    fmts = ["x86_64", "sv48", "aarch64"] if args.callgrind else ["x86_64"]
    for exe in ("ostd-bench", "ostd-bench-lto", "ostd-bench-x86_64"):
        for f in fmts if exe == "ostd-bench" else ["x86_64"]:
            c = callgrind(binary(exe), f)
            if c:
                cg[(exe, f)] = c
    if cg:
        print_cg(cg)
    t = targets(rows, cg, codec)
    print_targets(t)
    pngs = plot(rows) if rows else []
    m["loadavg_end"] = loadavg()
    print(
        "load average: %s at the start, %s at the end (other work on the "
        "machine shows up as noise)" % (m["loadavg_start"], m["loadavg_end"])
    )
    result = {
        "mode": mode,
        "machine": m,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "seconds": round(time.monotonic() - start, 1),
        "rows": rows,
        "codec": codec_table,
        "registry": registry,
        "callgrind": [
            {"binary": b, "fmt": f, "per_op": v} for (b, f), v in sorted(cg.items())
        ],
        "targets": [
            {"what": a, "target": b, "measured": c, "met": d} for a, b, c, d in t
        ],
    }
    # A callgrind-only run does not replace the last timed results.
    path = os.path.join(OUT, "callgrind.json" if args.callgrind else "results.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    md = os.path.join(OUT, "callgrind.md" if args.callgrind else "report.md")
    with open(md, "w") as f:
        f.write(report(result))
    print(
        "\nwrote %s, %s%s (%.0f s)"
        % (
            os.path.relpath(path, TOP),
            os.path.relpath(md, TOP),
            "".join(", " + os.path.relpath(p, TOP) for p in pngs),
            time.monotonic() - start,
        )
    )


# ---------------------------------------------------------------------------
# In-guest scaling (--guest): test/kernel/pt_smp_bench.c, in every kernel
# configuration's test image, beside the host's H14.

GUEST_LINE = re.compile(
    r"guest-bench: (\S+) (.+?) cpus=(\d+) pages=(\d+) ticks=(\d+) hz=(\d+)"
)
# Machines whose CPU count is fixed by the board (QEMU refuses -smp there).
FIXED_CPUS = ("raspi3b", "sifive_u")


def guest_extra(board, cpus):
    """QEMU arguments for `cpus` vCPUs under MTTCG, unless the board's own
    line sets the count or its machine has a fixed one."""
    args = " ".join(board.args)
    if "-smp" in board.args or any(m in args for m in FIXED_CPUS):
        return []
    extra = ["-smp", str(cpus)]
    if "-accel" not in board.args:
        # One host thread per vCPU: the only way TCG runs CPUs in parallel.
        extra += ["-accel", "tcg,thread=multi"]
    return extra


def guest_rows(lines):
    """The guest-bench rows of a test log, and the online-CPU line."""
    rows, online = [], None
    for line in lines:
        m = GUEST_LINE.search(line)
        if m:
            fmt, case, cpus, pages, ticks, hz = m.groups()
            ticks, hz = int(ticks), int(hz)
            rows.append(
                {
                    "format": fmt,
                    "case": case,
                    "cpus": int(cpus),
                    "pages": int(pages),
                    "seconds": ticks / hz,
                    "pages_per_s": int(pages) * hz / ticks if ticks else None,
                }
            )
        elif re.search(r"smp: \d+ CPU\(s\) online", line):
            online = line.strip()
    return rows, online


def host_h14():
    """The host's H14 2T/1T (ostd, low contention) from the last saved
    ./ostd bench run, if any: printed beside the guest ratios."""
    try:
        with open(os.path.join(OUT, "results.json")) as f:
            rows = json.load(f)["rows"]
    except (OSError, ValueError, KeyError):
        return None
    out = []
    cases = []
    for r in rows:
        if r.get("id") == "H14" and r.get("case") not in cases:
            cases.append(r["case"])
    for case in cases:
        one = find(rows, "H14", case, "ostd/1T")
        two = find(rows, "H14", case, "ostd/2T")
        if one and two and two[0]["ns_med"] > 0:
            out.append((case, one[0]["ns_med"] / two[0]["ns_med"]))
    return out


# ---------------------------------------------------------------------------
# In-guest copies (--guest): test/kernel/copy_bench.c prints one
# "guest-copy:" line per copy kind and size; H12 inside each guest is the
# ratio to the guest's own memcpy (counter units differ per arch).

GUEST_COPY_LINE = re.compile(r"guest-copy: (\S+) bytes=(\d+) reps=(\d+) counts=(\d+)")
# The copies compared with memcpy, in table order.
COPY_KINDS = ("read", "write", "rep-movsb")


def guest_copy_rows(lines):
    """{bytes: {kind: counter units per copy}} from a test log."""
    out = {}
    for line in lines:
        m = GUEST_COPY_LINE.search(line)
        if m:
            kind, n, reps, counts = m.groups()
            per = int(counts) / max(int(reps), 1)
            out.setdefault(int(n), {})[kind] = per
    return out


def guest_copy_ratios(copies):
    """Per size, each kind's throughput over memcpy's (memcpy time / its
    time: above 1 is faster than memcpy)."""
    out = []
    for n in sorted(copies):
        base = copies[n].get("memcpy")
        row = {"bytes": n}
        for kind in COPY_KINDS:
            t = copies[n].get(kind)
            row[kind] = base / t if base and t else None
        out.append(row)
    return out


def guest_copy_verdict(ratios):
    """H12 inside one guest: >= 0.9x memcpy throughput from 4 KiB on and
    <= 1.5x memcpy latency (>= 1/1.5 as a throughput ratio) for
    64-256 B, over both directions; (met, worst large, worst small)."""
    large = [
        r[k] for r in ratios if r["bytes"] >= 4096 for k in ("read", "write") if r[k]
    ]
    small = [
        r[k]
        for r in ratios
        if 64 <= r["bytes"] <= 256
        for k in ("read", "write")
        if r[k]
    ]
    if not large or not small:
        return None, None, None
    met = min(large) >= 0.9 and 1 / min(small) <= 1.5
    return met, min(large), 1 / min(small)


def print_guest_copies(results):
    """The in-guest H12 table: per configuration and size, VmReader (read,
    user to kernel), VmWriter (write, kernel to user) and, on x86_64, REP
    MOVSB as throughput over the guest's memcpy."""
    print(
        "\nIn-guest copies (H12; QEMU TCG, ratio only; x = throughput / the "
        "guest's memcpy):"
    )
    print("  %-22s %8s %7s %7s %9s" % ("config", "bytes", "read", "write", "rep-movsb"))
    for r in results:
        ratios = r.get("copies")
        if not ratios:
            print("  %-22s no guest-copy lines" % r["config"])
            continue
        for row in ratios:
            cells = ["%.2fx" % row[k] if row[k] else "-" for k in COPY_KINDS]
            print(
                "  %-22s %8d %7s %7s %9s"
                % (r["config"], row["bytes"], cells[0], cells[1], cells[2])
            )
        met, large, small = guest_copy_verdict(ratios)
        if met is not None:
            print(
                "  %-22s H12 %s: >= 4 KiB worst %.2fx (>= 0.9x), 64-256 B "
                "worst %.2fx memcpy's time (<= 1.5x)"
                % ("", "met" if met else "MISS", large, small)
            )


def guest_main(args, ostd):
    """./ostd bench --guest: boots each kernel configuration's test image
    with --guest-cpus vCPUs and reports ops/s(N CPUs) / ops/s(1 CPU). The
    guest's timer only measures; nothing here is a pass/fail threshold."""
    names = args.guest_config or [
        n for n in ostd.config_names() if not n.startswith("host")
    ]
    os.makedirs(OUT, exist_ok=True)
    results = []
    for name in names:
        ostd.configure_and_build(name, [])
        board = ostd.board_of(name)
        if not board.qemu:
            continue
        extra = guest_extra(board, args.guest_cpus)
        print("guest bench: %s %s" % (name, " ".join(extra)), flush=True)
        status, lines, how = ostd.run_qemu(
            name,
            board,
            "ktest",
            extra,
            900,
            echo=False,
            log=os.path.join(TOP, "out", name, "bench-guest.log"),
        )
        rows, online = guest_rows(lines)
        results.append(
            {
                "config": name,
                "status": status,
                "how": how,
                "online": online,
                "rows": rows,
                "copies": guest_copy_ratios(guest_copy_rows(lines)),
            }
        )
    print(
        "\nIn-guest scaling, disjoint 4 KiB map+unmap (QEMU TCG; ratio = "
        "ops/s with N CPUs / ops/s with 1):"
    )
    print(
        "  %-22s %-16s %5s %12s %7s" % ("config", "format", "CPUs", "pages/s", "ratio")
    )
    ok = True
    for r in results:
        if not r["rows"]:
            ok = False
            print(
                "  %-22s no guest-bench lines (%s; %s)"
                % (r["config"], r["how"], r["online"] or "no CPU line")
            )
            continue
        one = r["rows"][0]["pages_per_s"]
        for row in r["rows"]:
            pps = row["pages_per_s"]
            ratio = "%.2fx" % (pps / one) if pps and one else "-"
            print(
                "  %-22s %-16s %5d %12s %7s"
                % (
                    r["config"],
                    row["format"],
                    row["cpus"],
                    "%.0f" % pps if pps else "(<1 tick)",
                    ratio,
                )
            )
        print("  %-22s (%s; %s)" % ("", r["online"] or "no CPU line", r["how"]))
    h14 = host_h14()
    if h14:
        for case, ratio in h14:
            print("  host H14 %s: ostd 2T/1T %.2fx" % (case, ratio))
    else:
        print(
            "  host H14: no saved run (./ostd bench writes out/bench/" "results.json)"
        )
    print_guest_copies(results)
    with open(os.path.join(OUT, "guest.json"), "w") as f:
        json.dump(
            {
                "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                "cpus": args.guest_cpus,
                "results": results,
            },
            f,
            indent=1,
        )
    print("wrote %s" % os.path.relpath(os.path.join(OUT, "guest.json"), TOP))
    ok = guest_switch_main(args, ostd, names) and ok
    sys.exit(0 if ok else 1)


# In-guest switch+touch (--guest): test/kernel/switch_bench.c, each kernel
# configuration built twice, ASIDs on (the default) and off.

SWITCH_LINE = re.compile(
    r"guest-switch: (\S+) asid_bits=(\d+) switches=(\d+) ticks=(\d+) hz=(\d+)"
)


def switch_rows(lines):
    """The guest-switch rows of a test log: switches per second."""
    rows = []
    for line in lines:
        m = SWITCH_LINE.search(line)
        if m:
            fmt, bits, switches, ticks, hz = m.groups()
            ticks, hz = int(ticks), int(hz)
            rows.append(
                {
                    "format": fmt,
                    "asid_bits": int(bits),
                    "switches": int(switches),
                    "seconds": ticks / hz,
                    "per_s": int(switches) * hz / ticks if ticks else None,
                }
            )
    return rows


def guest_switch_run(ostd, name, asid):
    """One boot of `name`'s test image built with ASID=`asid`: its
    guest-switch rows and how the run ended."""
    ostd.configure_and_build(name, ["ASID=%s" % asid])
    board = ostd.board_of(name)
    if not board.qemu:
        return None
    status, lines, how = ostd.run_qemu(
        name,
        board,
        "ktest",
        [],
        900,
        echo=False,
        log=os.path.join(TOP, "out", name, "bench-switch-asid-%s.log" % asid),
    )
    return {"status": status, "how": how, "rows": switch_rows(lines)}


def guest_switch_table(results):
    """Prints ASIDs on vs off per configuration; False if a run gave no
    guest-switch line."""
    print(
        "\nIn-guest switch+touch, two spaces, one read each after every "
        "switch (QEMU TCG; ratio = switches/s with ASIDs on / off):"
    )
    print(
        "  %-22s %-8s %5s %12s %12s %7s"
        % ("config", "format", "bits", "on /s", "off /s", "ratio")
    )
    ok = True
    for r in results:
        on, off = r["on"], r["off"]
        if not on or not off or not on["rows"] or not off["rows"]:
            ok = False
            print("  %-22s no guest-switch lines" % r["config"])
            continue
        a, b = on["rows"][0], off["rows"][0]
        ratio = (
            "%.2fx" % (a["per_s"] / b["per_s"]) if a["per_s"] and b["per_s"] else "-"
        )
        print(
            "  %-22s %-8s %5d %12.0f %12.0f %7s"
            % (
                r["config"],
                a["format"],
                a["asid_bits"],
                a["per_s"] or 0,
                b["per_s"] or 0,
                ratio,
            )
        )
    return ok


def guest_switch_main(args, ostd, names):
    """The switch+touch comparison of ./ostd bench --guest: every
    configuration in `names` with ASID=y and ASID=n, one table, and
    out/bench/guest-switch.json. Each configuration is left built with
    its defconfig's ASID=y."""
    results = []
    for name in names:
        print("guest switch bench: %s (ASID=y, ASID=n)" % name, flush=True)
        off = guest_switch_run(ostd, name, "n")
        on = guest_switch_run(ostd, name, "y")
        if on is None:
            continue
        results.append({"config": name, "on": on, "off": off})
    ok = guest_switch_table(results)
    with open(os.path.join(OUT, "guest-switch.json"), "w") as f:
        json.dump(
            {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "results": results},
            f,
            indent=1,
        )
    print("wrote %s" % os.path.relpath(os.path.join(OUT, "guest-switch.json"), TOP))
    return ok


if __name__ == "__main__":
    # tools/bench.py --report-from out/bench/results.json: the markdown of
    # a saved run, without running anything.
    if len(sys.argv) != 3 or sys.argv[1] != "--report-from":
        sys.exit("usage: %s --report-from RESULTS.json" % sys.argv[0])
    with open(sys.argv[2]) as f:
        sys.stdout.write(report(json.load(f)))
