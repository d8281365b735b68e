"""The start-mode rows of a ci/bench run (bench/modes), for bench/report.py: what each
`lib_entry!(.., start = ..)` costs a process that merely loads the library
(`LD_PRELOAD=<lib> /bin/true`) and one that calls one export (exec-to-ready), next to a plain
Rust cdylib with no rt0 and no initializer, and next to the hand-written C constructor that
starts one pthread.

summarise(out) reads OUT/modes-preload.*.json, OUT/modes-ready.*.json and the load files, and
returns {"md": [lines], "goals": [(goal, met, value)], "results": {...}}.
"""
import glob
import json
import statistics

# The variants, in table order: no library at all (preload only), the plain cdylib, the C
# constructor, and rt0 in each mode.
VARIANTS = ["none", "plain", "c-ctor", "at_load", "inline", "first_call", "explicit"]
LABEL = {
    "none": "nothing preloaded",
    "plain": "plain Rust cdylib (no rt0, no initializer)",
    "c-ctor": "hand-written C constructor starting one pthread",
    "at_load": "rt0, `start = at_load`",
    "inline": "rt0, `start = inline`",
    "first_call": "rt0, `start = first_call`",
    "explicit": "rt0, `start = explicit`",
}
# How close each mode must come to what it is compared with (ms, medians).
GOAL_MS = 0.03
GOALS = [("first_call", "plain"), ("explicit", "plain"), ("at_load", "c-ctor")]


def _load(out, name):
    try:
        return open(f"{out}/{name}").read().split("load average: ")[-1].strip()
    except FileNotFoundError:
        return "?"


def summarise(out):
    times = {}
    rounds = {}  # command -> [median of each round]
    for path in sorted(glob.glob(f"{out}/modes-preload.*.json") + glob.glob(f"{out}/modes-ready.*.json")):
        for r in json.load(open(path))["results"]:
            times.setdefault(r["command"], []).extend(r["times"])
            rounds.setdefault(r["command"], []).append(statistics.median(r["times"]))
    if not times:
        return {"md": ["Start modes: not measured in this run."], "goals": [], "results": {}}
    med = {k: statistics.median(v) for k, v in times.items()}
    p10 = {k: sorted(v)[len(v) // 10] for k, v in times.items()}

    def diff_ms(kind, a, b):
        """a - b in ms: of the pooled medians, and the median of the per-round differences."""
        ka, kb = f"{kind}:{a}", f"{kind}:{b}"
        if ka not in med or kb not in med:
            return None, None
        per_round = [x - y for x, y in zip(rounds[ka], rounds[kb])]
        return (med[ka] - med[kb]) * 1e3, statistics.median(per_round) * 1e3

    md = []
    md.append("")
    md.append("### Start modes")
    md.append("")
    n = len(times.get("preload:none", []))
    md.append(
        "`lib_entry!(.., start = ..)` measured with bench/modes, a `no_std` cdylib with one export built once per "
        "variant (release, `opt-level = \"s\"`, `panic = \"abort\"`; every variant links libc only): `LD_PRELOAD=<lib> "
        "/bin/true` (a process that loads the library and never calls it) and exec-to-ready of bench/modes_host.c "
        "linked to the library (it calls `bench_ready()`, after `bench_start()` for `explicit`, and `_exit`s). "
        f"{n} runs per command in {len(rounds.get('preload:none', []))} interleaved rounds; load average before: "
        f"{_load(out, 'modes-load-before.txt')}; after: {_load(out, 'modes-load-after.txt')}. Differences in ms: of "
        "the pooled medians, then the median of the per-round differences.")
    md.append("")
    md.append("| library | LD_PRELOAD into /bin/true: median (p10) | vs plain Rust cdylib | vs C constructor | "
              "exec-to-ready: median (p10) | vs plain Rust cdylib | vs C constructor |")
    md.append("|---|---:|---:|---:|---:|---:|---:|")

    def cell_time(k):
        return f"{med[k] * 1e3:.3f} ms ({p10[k] * 1e3:.3f})" if k in med else "-"

    def cell_diff(kind, a, b):
        if a == b:
            return "-"
        pooled, per_round = diff_ms(kind, a, b)
        return "-" if pooled is None else f"{pooled:+.3f} ({per_round:+.3f})"

    for v in VARIANTS:
        cells = []
        for kind in ("preload", "ready"):
            cells += [cell_time(f"{kind}:{v}"), cell_diff(kind, v, "plain"), cell_diff(kind, v, "c-ctor")]
        md.append(f"| {LABEL[v]} | " + " | ".join(cells) + " |")

    goals = []
    for mode, base in GOALS:
        pooled, per_round = diff_ms("preload", mode, base)
        if pooled is None:
            continue
        goals.append((f"LD_PRELOAD into /bin/true: {LABEL[mode]} within {GOAL_MS} ms of the {LABEL[base]} (median)",
                      pooled <= GOAL_MS, f"{pooled:+.3f} ms (per round: {per_round:+.3f} ms)"))

    results = {
        "median_s": med,
        "p10_s": p10,
        "runs_per_command": {k: len(v) for k, v in times.items()},
        "preload_minus_plain_ms": {v: diff_ms("preload", v, "plain")[0] for v in VARIANTS},
        "preload_minus_c_ctor_ms": {v: diff_ms("preload", v, "c-ctor")[0] for v in VARIANTS},
        "ready_minus_plain_ms": {v: diff_ms("ready", v, "plain")[0] for v in VARIANTS if v != "none"},
        "ready_minus_c_ctor_ms": {v: diff_ms("ready", v, "c-ctor")[0] for v in VARIANTS if v != "none"},
    }
    return {"md": md, "goals": goals, "results": results}
