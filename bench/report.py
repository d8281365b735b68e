"""Summarises one ci/bench run: reads target/bench/out/*, writes results.json and results.md,
and (full runs) the plot and the generated block of docs/performance.md.

usage: report.py OUT_DIR [PLOT_PNG|""] [PERFORMANCE_MD|""]
"""
import glob
import json
import statistics
import sys

out = sys.argv[1]
plot_path = sys.argv[2] if len(sys.argv) > 2 else ""
doc_path = sys.argv[3] if len(sys.argv) > 3 else ""
HOSTS = ["bare", "c-ctor", "go", "rt0-pthread", "rt0-raw"]
LABEL = {
    "bare": "bare C",
    "c-ctor": "hand-written C ctor + pthread",
    "go": "Go c-archive",
    "rt0-pthread": "rt0 (pthread path)",
    "rt0-raw": "rt0 (raw newosproc0 path)",
}


def rows(name):
    with open(f"{out}/{name}") as f:
        return [line.split() for line in f if line.strip()]


machine = {}
for line in open(f"{out}/machine.txt"):
    k, _, v = line.rstrip("\n").partition(" ")
    machine[k] = v

# Timing: pool every run of every round; also the ratio per round, to show the spread.
# "h" = exec to exit, "h:ready" = exec to ready (_exit right after the export returned).
KEYS = HOSTS + [h + ":ready" for h in HOSTS] + ["rt0-pthread.gc:ready", "rt0-raw.gc:ready"]
times = {k: [] for k in KEYS}
round_medians = []
for path in sorted(glob.glob(f"{out}/hyperfine.*.json")):
    res = {r["command"]: r["times"] for r in json.load(open(path))["results"]}
    for k in KEYS:
        times[k] += res[k]
    round_medians.append({k: statistics.median(res[k]) for k in KEYS})


def base(k):
    return "bare:ready" if k.endswith(":ready") else "bare"


med = {k: statistics.median(times[k]) for k in KEYS}
ratio = {k: med[k] / med[base(k)] for k in KEYS}
round_ratio = {k: [r[k] / r[base(k)] for r in round_medians] for k in KEYS}
sizes = {r[0]: {"text_section": int(r[1]), "text": int(r[2]), "text_gc": int(r[3]), "file": int(r[4])} for r in rows("sizes.txt")}
for h in HOSTS:
    sizes[h]["added"] = sizes[h]["text"] - sizes["bare"]["text"]
    sizes[h]["added_gc"] = sizes[h]["text_gc"] - sizes["bare"]["text_gc"]
rss = {r[0]: float(r[1]) for r in rows("rss.txt")}
rss_anon = {r[0]: float(r[5]) for r in rows("rss.txt")}
rss_file = {r[0]: float(r[6]) for r in rows("rss.txt")}
minflt = {r[0]: float(r[7]) for r in rows("rss.txt")}
corerefs = {f"{r[0]} {r[1]}": int(r[2]) for r in rows("corerefs.txt")}
p10 = {k: sorted(times[k])[len(times[k]) // 10] for k in KEYS}
ratio_p10 = {k: p10[k] / p10[base(k)] for k in KEYS}
ratio_rounds_median = {k: statistics.median(round_ratio[k]) for k in KEYS}
icount = {r[0]: int(r[2]) for r in rows("icount.txt")}
icount200 = {r[0]: int(r[2]) for r in rows("icount-env200.txt")}
dl = {(r[1], r[2]): {"median": float(r[3]), "p10": float(r[4]), "p90": float(r[5]), "n": int(r[6])}
      for r in rows("dlopen.txt")}
DL_LIBS = ["c-ctor", "rt0-pthread", "rt0-raw"]
calls = {r[1]: {"median": float(r[2]), "p10": float(r[3]), "p90": float(r[4]), "n": int(r[5])}
         for r in rows("calls.txt")}
a64_rows = rows("icount-aarch64.txt")
icount_a64 = {r[0]: int(r[2]) for r in a64_rows if len(r) == 3 and r[2].isdigit()}
a64_note = " ".join(a64_rows[0]) if a64_rows and not icount_a64 else ""
cg = {r[0]: (None if r[1] == "-" else int(r[1]), None if r[2] == "-" else int(r[2])) for r in rows("callgrind.txt")}
lat = {}
for r in rows("latency.txt"):
    lat[(r[0], r[1], r[2])] = {"median": float(r[3]), "p10": float(r[4]), "p90": float(r[5]), "n": int(r[6])}

goals = []
for h in ("rt0-pthread", "rt0-raw"):
    r = ratio[h + ":ready"]
    goals.append((f"{LABEL[h]} exec-to-ready <= 1.10x bare (median)", r <= 1.10, f"{r:.3f}x"))
    r = ratio_p10[h + ":ready"]
    c = ratio_p10["c-ctor:ready"]
    goals.append((f"{LABEL[h]} exec-to-ready <= 1.10x bare (10th percentiles; the C host: {c:.2f}x)", r <= 1.10, f"{r:.3f}x"))
for h in ("rt0-pthread", "rt0-raw"):
    goals.append((f"text added by rt0 + demo <= 16 KiB, {h}, default link", sizes[h]["added"] <= 16384,
                  f"{sizes[h]['added'] / 1024:.1f} KiB"))
    goals.append((f"text added by rt0 + demo <= 16 KiB, {h}, -Wl,--gc-sections", sizes[h]["added_gc"] <= 16384,
                  f"{sizes[h]['added_gc'] / 1024:.1f} KiB"))
for measure in ("first_instruction", "create_call"):
    raw, pt = lat[("raw", "cold", measure)]["median"], lat[("pthread", "cold", measure)]["median"]
    goals.append((f"newosproc0 {measure.replace('_', ' ')} <= pthread_create (cold, median)", raw <= pt,
                  f"{raw / 1000:.1f} us vs {pt / 1000:.1f} us"))
for h in ("rt0-pthread", "rt0-raw"):
    for suffix, how in (("", "default link"), (".gc", "--gc-sections")):
        d = rss[h + suffix] / rss["c-ctor" + suffix] - 1
        goals.append((f"peak RSS of {h} within 5% of the C ctor host, {how}", d <= 0.05, f"{d * 100:+.1f}%"))
    d = rss_anon[h] / rss_anon["c-ctor"] - 1
    goals.append((f"(explanatory) private RSS at exit of {h} within 5% of the C ctor host", d <= 0.05, f"{d * 100:+.1f}%"))

for h in ("rt0-pthread", "rt0-raw"):
    grow = (dl[(h, "env200")]["median"] - dl[(h, "env4")]["median"]) - \
        (dl[("c-ctor", "env200")]["median"] - dl[("c-ctor", "env4")]["median"])
    goals.append((f"{LABEL[h]}: what 200 environment variables add to the load-time entry (dlopen, median, "
                  "beyond what they add to the C library's) <= 5 us", grow <= 5000, f"{grow / 1000:+.1f} us"))

for h in ("rt0-pthread", "rt0-raw"):
    d = calls[h]["median"] - calls["c-ctor"]["median"]
    goals.append((f"{LABEL[h]}: an export once init is done costs at most 1 ns more than the hand-written C "
                  "library's (median per call)", d <= 1.0, f"{d:+.2f} ns"))

# The start-mode rows (bench/report_modes.py): their own section and goals.
import report_modes  # noqa: E402 (bench/, the script's own folder)
modes = report_modes.summarise(out)
goals += modes["goals"]

results = {
    "machine": machine,
    "median_s": med,
    "ratio_to_bare": ratio,
    "ratio_to_bare_per_round": round_ratio,
    "runs_per_command": {k: len(times[k]) for k in KEYS},
    "sizes": sizes,
    "peak_rss_kib": rss,
    "rss_anon_at_exit_kib": rss_anon,
    "rss_file_at_exit_kib": rss_file,
    "minor_page_faults": minflt,
    "p10_s": p10,
    "ratio_to_bare_p10": ratio_p10,
    "ratio_to_bare_median_of_rounds": ratio_rounds_median,
    "ready_ratio_to_c_ctor": {h: med[h + ":ready"] / med["c-ctor:ready"] for h in ("rt0-pthread", "rt0-raw")},
    "libcore_symbols_referenced": corerefs,
    "entry_instructions_ptrace": icount,
    "entry_instructions_ptrace_env200": icount200,
    "dlopen_ns": {f"{lib} {env}": v for (lib, env), v in dl.items()},
    "export_call_ns": calls,
    "entry_instructions_aarch64_qemu": icount_a64 or a64_note,
    "callgrind": {h: {"total": cg[h][0], "entry": cg[h][1]} for h in HOSTS},
    "latency_ns": {" ".join(k): v for k, v in lat.items()},
    "goals": [{"goal": g, "met": m, "value": v} for g, m, v in goals],
    "start_modes": modes["results"],
}
json.dump(results, open(f"{out}/results.json", "w"), indent=1)


def fmt_int(n):
    return "-" if n is None else f"{n:,}"


md = []
md.append(f"Run: {machine['date']} on {machine['commit']}, {machine['cpu']}, Linux {machine['kernel']}, glibc {machine['glibc']}, "
          f"rustc {machine['rustc']}, {machine['go']}, gcc {machine['gcc']}, hyperfine {machine['hyperfine']}, "
          f"{machine['valgrind']}. Load average before the timing: {machine['load_before']}; after: "
          f"{machine['load_after']}. {len(times['bare'])} runs per command in {len(round_medians)} interleaved rounds.")
md.append("")
md.append("Time (hyperfine): exec-to-ready = the host `_exit`s as soon as its one export returned; exec-to-exit = "
          "`main` returns and the C library's exit runs (destructors included). Ratios are to the bare host "
          "measured the same way: of the pooled medians; the median of the per-round ratios; of the 10th percentiles "
          "(the least disturbed runs, least sensitive to the other load on the machine).")
md.append("")
md.append("| host | exec-to-ready median | ratio | ratio, median over rounds | ratio of p10 | "
          "exec-to-exit median | ratio | ratio, median over rounds | ratio of p10 |")
md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for h in HOSTS:
    cells = []
    for k in (h + ":ready", h):
        cells += [f"{med[k] * 1e3:.3f} ms", f"{ratio[k]:.2f}x", f"{ratio_rounds_median[k]:.2f}x", f"{ratio_p10[k]:.2f}x"]
    md.append(f"| {LABEL[h]} | " + " | ".join(cells) + " |")
md.append("")
md.append("rt0 against the hand-written C host, exec-to-ready (ratio of medians; median of per-round ratios): " + ", ".join(
    f"{LABEL[h]} {med[h + ':ready'] / med['c-ctor:ready']:.3f}x; "
    f"{statistics.median(r[h + ':ready'] / r['c-ctor:ready'] for r in round_medians):.3f}x"
    for h in ("rt0-pthread", "rt0-raw")) + ".")
md.append("")
md.append("The rt0 hosts linked with `-Wl,--gc-sections`, exec-to-ready: " + ", ".join(
    f"{LABEL[h]} {med[h + '.gc:ready'] * 1e3:.3f} ms = {ratio[h + '.gc:ready']:.2f}x "
    f"(median over rounds {ratio_rounds_median[h + '.gc:ready']:.2f}x, p10 {ratio_p10[h + '.gc:ready']:.2f}x)"
    for h in ("rt0-pthread", "rt0-raw")) + ".")
HIST_AT = len(md)
md.append("")
md.append("Size, memory and instruction counts:")
md.append("")
md.append("| host | text added, default link | text added, --gc-sections | peak RSS, default link | "
          "peak RSS, --gc-sections | of it at exit: private / file-backed (default link) | minor page faults | "
          "entry instructions (loader thread) | whole-process instructions |")
md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for h in HOSTS:
    cg_total = fmt_int(cg[h][0]) if cg[h][0] is not None else "n/a (1)"
    md.append(
        f"| {LABEL[h]} | {sizes[h]['added']:,} B | {sizes[h]['added_gc']:,} B | {rss[h]:,.0f} KiB | "
        f"{rss[h + '.gc']:,.0f} KiB | {rss_anon[h]:,.0f} / {rss_file[h]:,.0f} KiB | {minflt[h]:.0f} | "
        f"{fmt_int(icount.get(h)) if h != 'bare' else '-'} | {cg_total} |")
md.append("")
md.append("(1) valgrind cannot run the raw path: its clone wrapper answers rt0's `clone` (CLONE_SETTLS with "
          "tls = 0) with EFAULT.")
md.append("")
md.append("What the environment costs the load-time entry (rt0 copies argv and envp into memory of its own; the C "
          "constructor and Go read neither): instructions in the entry with 3 and with 200 variables, and "
          "`dlopen(RTLD_NOW)` of each library as a shared object in a fresh process (ns; median, p10-p90):")
md.append("")
md.append("| library | entry instructions, 3 variables | 200 variables | dlopen, 4 variables | dlopen, 200 variables | "
          "what the 196 added variables cost |")
md.append("|---|---:|---:|---:|---:|---:|")
for h in DL_LIBS:
    a, b = dl[(h, "env4")], dl[(h, "env200")]
    md.append(f"| {LABEL[h]} | {fmt_int(icount.get(h))} | {fmt_int(icount200.get(h))} | "
              f"{a['median'] / 1000:.1f} us ({a['p10'] / 1000:.1f}-{a['p90'] / 1000:.1f}) | "
              f"{b['median'] / 1000:.1f} us ({b['p10'] / 1000:.1f}-{b['p90'] / 1000:.1f}) | "
              f"{(b['median'] - a['median']) / 1000:+.1f} us |")
md.append("")
md.append("An export once init is done, the path every call of a host pays: `rt0_demo_ready` (rt0's wait: the "
          "state and the fork epoch, then the body) against the hand-written C library's `c_ready` (one atomic "
          "load), each called through a pointer after `dlopen`, TSC-timed in fresh processes (ns per call; "
          "median, p10-p90 over the processes):")
md.append("")
md.append("| library | ns per call | processes x calls |")
md.append("|---|---:|---:|")
for h in DL_LIBS:
    v = calls[h]
    md.append(f"| {LABEL[h]} | {v['median']:.2f} ({v['p10']:.2f}-{v['p90']:.2f}) | {v['n']} x {int(machine['calls']):,} |")
md.append("")
md.append("Callgrind cross-check of the entry counts (`--toggle-collect=<entry>`, inclusive): " + ", ".join(
    f"{h} {fmt_int(cg[h][1])}" for h in HOSTS if h not in ("bare", "rt0-raw")) + ".")
md.append("")
if icount_a64:
    md.append("aarch64 (qemu-user 7.2, `-singlestep -d exec`, `bench/qcount.py`; non-PIE hosts, counts only): "
              "instructions in the load-time entry: " + ", ".join(f"{LABEL[h]} {icount_a64[h]:,}" for h in HOSTS if h in icount_a64) + ".")
else:
    md.append(f"aarch64 instruction counts: {a64_note or 'not run'}.")
md.append("")
md.append("libcore symbols referenced by the Rust objects in librt0_demo.a (any one makes a default link pull in "
          "libcore's whole precompiled object): " + ", ".join(f"{k}: {v}" for k, v in corerefs.items()) + ".")
md.append("")
md.append("Thread creation, 8 MiB stack, TSC-timed (ns; median, p10-p90):")
md.append("")
md.append("| creator | cold: create call | cold: create to first instruction | warm: create call | "
          "warm: create to first instruction |")
md.append("|---|---:|---:|---:|---:|")
CREATOR = {"raw": "rt0 `newosproc0` (raw)", "rt0-pthread": "rt0 `pthread_create_detached`", "pthread": "plain `pthread_create`"}
for c in ("raw", "rt0-pthread", "pthread"):
    cells = []
    for mode in ("cold", "warm"):
        for m in ("create_call", "first_instruction"):
            v = lat[(c, mode, m)]
            cells.append(f"{v['median'] / 1000:.1f} us ({v['p10'] / 1000:.1f}-{v['p90'] / 1000:.1f})")
    md.append(f"| {CREATOR[c]} | " + " | ".join(cells) + " |")
md.append("")
md.append(f"(cold: n = {lat[('raw', 'cold', 'create_call')]['n']} fresh processes per creator; warm: n = "
          f"{lat[('raw', 'warm', 'create_call')]['n']} creations per creator in one process, creators taking turns, 1 ms apart.)")
md += modes["md"]
md.append("")
md.append("| goal | met | measured |")
md.append("|---|---|---|")
for g, m, v in goals:
    md.append(f"| {g} | {'yes' if m else '**no**'} | {v} |")
# Full runs append their headline ratios to a history file, so the spread between runs on a
# noisy machine is on record next to the one run shown.
hist_path = f"{out}/../history.tsv"
HIST_KEYS = ["c-ctor:ready", "go:ready", "rt0-pthread:ready", "rt0-raw:ready", "rt0-pthread.gc:ready", "rt0-raw.gc:ready"]
if plot_path:
    with open(hist_path, "a") as f:
        f.write("\t".join([machine["date"], machine["commit"].split()[0], machine["load_before"].split(",")[0]]
                           + [f"{ratio[k]:.3f}" for k in HIST_KEYS]) + "\n")
try:
    history = [line.rstrip("\n").split("\t") for line in open(hist_path) if line.strip()]
except FileNotFoundError:
    history = []
hist_md = []
if history:
    hist_md.append("")
    hist_md.append(f"Exec-to-ready ratio to bare, the last {min(len(history), 12)} full runs on this machine "
              "(`target/bench/history.tsv`; the run above is the last row):")
    hist_md.append("")
    hist_md.append("| run | commit | load (1 min) | hand-written C | Go | rt0 pthread | rt0 raw | rt0 pthread, --gc-sections | rt0 raw, --gc-sections |")
    hist_md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in history[-12:]:
        hist_md.append("| " + " | ".join(row[:3]) + " | " + " | ".join(f"{float(x):.2f}x" for x in row[3:]) + " |")
md[HIST_AT:HIST_AT] = hist_md
text = "\n".join(md) + "\n"
open(f"{out}/results.md", "w").write(text)

if plot_path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    SHORT = {"bare": "bare C", "c-ctor": "hand-written C", "go": "Go c-archive", "rt0-pthread": "rt0\npthread path",
             "rt0-raw": "rt0\nraw path"}
    names = [SHORT[h] for h in HOSTS]
    colors = ["#999999", "#4c72b0", "#dd8452", "#55a868", "#2e7d32"]
    ax = axes[0]
    xs = list(range(len(HOSTS)))
    rd = [ratio[h + ":ready"] for h in HOSTS]
    ex = [ratio[h] for h in HOSTS]
    ax.bar([x - 0.2 for x in xs], rd, width=0.4, color=colors, label="exec to ready")
    ax.bar([x + 0.2 for x in xs], ex, width=0.4, color=colors, alpha=0.45, hatch="//", label="exec to exit")
    ax.axhline(1.10, color="red", linestyle="--", linewidth=1, label="rt0 goal: 1.10x (ready)")
    ax.set_xticks(xs)
    ax.set_xticklabels(names)
    ax.set_ylabel("median / bare host's median")
    ax.set_title("Time for a host that calls one export")
    ax.legend(loc="upper left", fontsize=8)
    for i in xs:
        ax.text(i - 0.2, rd[i], f"{rd[i]:.2f}", ha="center", va="bottom", fontsize=7)
        ax.text(i + 0.2, ex[i], f"{ex[i]:.2f}", ha="center", va="bottom", fontsize=7)
    ax = axes[1]
    h5 = HOSTS[1:]
    x = range(len(h5))
    ax.bar([i - 0.2 for i in x], [max(sizes[h]["added"], 1) / 1024 for h in h5], width=0.4, label="default link", color="#8172b2")
    ax.bar([i + 0.2 for i in x], [max(sizes[h]["added_gc"], 1) / 1024 for h in h5], width=0.4, label="-Wl,--gc-sections", color="#64b5cd")
    ax.axhline(16, color="red", linestyle="--", linewidth=1, label="rt0 goal: 16 KiB")
    ax.set_yscale("log")
    ax.set_xticks(list(x))
    ax.set_xticklabels(names[1:])
    ax.set_ylabel("text added to the bare host (KiB, log)")
    ax.set_title("Code size added")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[2]
    ax.bar(names[1:], [icount[h] for h in h5], color=colors[1:])
    ax.set_yscale("log")
    ax.set_ylabel("instructions (log)")
    ax.set_title("Instructions in the load-time entry\n(loader's thread, thread create included)")
    for i, h in enumerate(h5):
        ax.text(i, icount[h], f"{icount[h]:,}", ha="center", va="bottom", fontsize=8)
    for ax in axes:
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(f"rt0 vs Go c-archive vs hand-written C ({machine['date']}, {machine['cpu']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(plot_path, dpi=110)

if doc_path:
    BEGIN, END = "<!-- ci/bench:begin -->", "<!-- ci/bench:end -->"
    try:
        doc = open(doc_path).read()
    except FileNotFoundError:
        doc = None
    if doc and BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        open(doc_path, "w").write(head + BEGIN + "\n" + text + END + tail)
    else:
        print(f"report.py: {doc_path} has no {BEGIN}/{END} block; left alone", file=sys.stderr)

print(f"goals met: {sum(m for _, m, _ in goals)}/{len(goals)}", file=sys.stderr)
