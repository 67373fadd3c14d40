#!/usr/bin/python3
"""Runs the sendpath benchmarks and prints one table of figures and ratios.

Called by bench/run after a release build; usable alone:

  /usr/bin/python3 bench/run.py --build-dir build/release [--repetitions 5] [--min-time 0.1]
      [--filter REGEX] [--e2e-repetitions 3] [--sends 100000,1000000] [--frames 100000,1000000]
      [--no-micro] [--no-e2e] [--report-only] [--update-readme]

Micro: build/.../bench/sendpath_bench with repetitions in random interleaving; every figure is
the median over the repetitions, and a ratio is median(send path) / median(ceiling).

End to end (when build/.../harness/sendpath exists and has the subcommand): `sendpath run` over a
generated suite of each --sends size with --jobs 1 (pinned to one CPU), and the smallest also with
--jobs 2 (the size of its results.json is recorded); `sendpath diff` (with and
without --sa) and `sendpath verify` over generated captures of each --frames size. Each command
runs under /usr/bin/time -v; figures are medians over --e2e-repetitions runs, peak RSS the
largest seen.

Results go to <work>/results.json; the table to stdout and <work>/table.md; --update-readme
writes it into README.md between <!-- bench:begin --> and <!-- bench:end -->.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

SOURCE_DIR = Path(__file__).resolve().parent.parent
SIZES = (64, 512, 1500, 9000)
HEADLINE_CASES = ("esp/aes-128-gcm", "esp/aes-128-cbc+hmac-sha1-96")
RATIO_TARGET = 0.85
SUITE_CPU_TARGET = 3.0      # seconds of CPU for 100,000 sends, --jobs 1
SUITE_RSS_MB_TARGET = 150.0  # peak RSS for 100,000 sends
SUITE_RSS_GROWTH = 1.25      # peak RSS of the largest suite / the smallest
DIFF_SECONDS_TARGET = 2.0
RSS_MB_TARGET = 64.0
BEGIN_MARK = "<!-- bench:begin -->"
END_MARK = "<!-- bench:end -->"


def log(message: str) -> None:
    print(f"bench/run: {message}", file=sys.stderr, flush=True)


# ---- machine -------------------------------------------------------------------------------

def read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def machine_description(build_dir: Path) -> Dict[str, Any]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", read_text("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", read_text("/proc/meminfo"), re.M)
    os_release = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', read_text("/etc/os-release"), re.M)
    compiler = ""
    cache = read_text(str(build_dir / "CMakeCache.txt"))
    cxx = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.+)$", cache, re.M)
    if cxx:
        try:
            compiler = subprocess.run([cxx.group(1), "--version"], capture_output=True, text=True,
                                      check=False).stdout.splitlines()[0]
        except (OSError, IndexError):
            compiler = cxx.group(1)
    build_type = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", cache, re.M)
    return {
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "cpus": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 1048576, 1) if mem else None,
        "os": os_release.group(1) if os_release else platform.platform(),
        "kernel": platform.release(),
        "compiler": compiler,
        "build_type": build_type.group(1) if build_type else "",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def load_average() -> List[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---- micro benchmarks ----------------------------------------------------------------------

def run_micro(build_dir: Path, work: Path, args: argparse.Namespace) -> Dict[str, Any]:
    binary = build_dir / "bench" / "sendpath_bench"
    if not binary.exists():
        return {"available": False, "why": f"{binary} not built"}
    out = work / "micro.json"
    command = [str(binary), f"--benchmark_repetitions={args.repetitions}",
               "--benchmark_enable_random_interleaving=true", f"--benchmark_min_time={args.min_time}",
               f"--benchmark_out={out}", "--benchmark_out_format=json", "--benchmark_format=console"]
    if args.filter:
        command.append(f"--benchmark_filter={args.filter}")
    log("micro: " + " ".join(command))
    with open(work / "micro.log", "w", encoding="utf-8") as console:
        result = subprocess.run(command, stdout=console, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0 or not out.exists():
        return {"available": False, "why": f"sendpath_bench exited {result.returncode} (see {work / 'micro.log'})"}
    return summarize_micro(json.loads(out.read_text(encoding="utf-8")))


def summarize_micro(raw: Dict[str, Any]) -> Dict[str, Any]:
    """Medians per benchmark over its repetitions, then per case and size."""
    samples: Dict[str, List[float]] = {}
    errors: Dict[str, str] = {}
    for entry in raw.get("benchmarks", []):
        if entry.get("run_type") != "iteration":
            continue
        name = entry["run_name"] if "run_name" in entry else entry["name"]
        if entry.get("error_occurred"):
            errors[name] = entry.get("error_message", "error")
            continue
        samples.setdefault(name, []).append(float(entry["items_per_second"]))
    rows: Dict[str, Dict[str, Any]] = {}
    rand: Dict[str, float] = {}
    for name, values in samples.items():
        series, _, rest = name.partition("/")
        if series == "rand_bytes":
            rand[rest] = 1e9 / statistics.median(values)  # ns per call
            continue
        case, _, size = rest.rpartition("/")
        row = rows.setdefault(f"{case}/{size}", {"case": case, "size": int(size)})
        row[series] = statistics.median(values)
        row[series + "_runs"] = len(values)
    for row in rows.values():
        for series in ("nic", "nic_pooled_iv"):
            if series in row and row.get("ceiling"):
                row[series + "_ratio"] = row[series] / row["ceiling"]
    context = raw.get("context", {})
    return {"available": True, "rows": sorted(rows.values(), key=lambda r: (r["case"], r["size"])),
            "rand_bytes_ns": rand, "errors": errors,
            "openssl": context.get("openssl", ""), "library_build_type": context.get("library_build_type", ""),
            "benchmark_load_avg": context.get("load_avg", [])}


# ---- end to end ----------------------------------------------------------------------------

def parse_time_v(text: str) -> Dict[str, float]:
    def field(pattern: str) -> Optional[str]:
        m = re.search(pattern, text, re.M)
        return m.group(1) if m else None
    elapsed = field(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)") or "0"
    seconds = 0.0
    for part in elapsed.split(":"):
        seconds = seconds * 60 + float(part)
    return {"wall_s": seconds,
            "cpu_s": float(field(r"User time \(seconds\): (\S+)") or 0) + float(field(r"System time \(seconds\): (\S+)") or 0),
            "max_rss_mb": int(field(r"Maximum resident set size \(kbytes\): (\d+)") or 0) / 1024,
            "exit": int(field(r"Exit status: (\d+)") or -1)}


def timed(command: List[str], work: Path, label: str, timeout: float) -> Dict[str, Any]:
    time_file = work / f"{label}.time"
    log_file = work / f"{label}.log"
    with open(log_file, "w", encoding="utf-8") as out:
        try:
            result = subprocess.run(["/usr/bin/time", "-v", "-o", str(time_file)] + command, stdout=out,
                                    stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
    if not time_file.exists():
        return {"error": f"exit {result.returncode}, no /usr/bin/time output (see {log_file})"}
    figures = parse_time_v(time_file.read_text(encoding="utf-8", errors="replace"))
    figures["log"] = str(log_file)
    return figures


def median_of(runs: List[Dict[str, Any]], label: str) -> Dict[str, Any]:
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"label": label, "error": runs[0]["error"] if runs else "not run"}
    return {"label": label, "runs": len(good),
            "wall_s": statistics.median(r["wall_s"] for r in good),
            "cpu_s": statistics.median(r["cpu_s"] for r in good),
            "max_rss_mb": max(r["max_rss_mb"] for r in good),
            "exits": sorted({r["exit"] for r in good})}


def sendpath_has(binary: Path, subcommand: str) -> bool:
    try:
        return subprocess.run([str(binary), subcommand, "--help"], capture_output=True, timeout=30,
                              check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def run_e2e(build_dir: Path, work: Path, args: argparse.Namespace) -> Dict[str, Any]:
    sendpath = build_dir / "harness" / "sendpath"
    tools = build_dir / "bench" / "tools"
    result: Dict[str, Any] = {"suite": [], "captures": [], "sends": min(args.sends)}
    if not sendpath.exists():
        result["why"] = f"{sendpath} not built"
        return result
    if not (tools / "sendpath-gen-suite").exists():
        result["why"] = f"{tools}/sendpath-gen-suite not built"
        return result
    taskset = shutil.which("taskset")
    if sendpath_has(sendpath, "run"):
        for sends in args.sends:
            suite = work / f"suite-{sends}"
            if not (suite / ".complete").exists():
                shutil.rmtree(suite, ignore_errors=True)
                log(f"generating a {sends}-send suite in {suite}")
                subprocess.run([str(tools / "sendpath-gen-suite"), "--out", str(suite), "--sends", str(sends)], check=True)
                (suite / ".complete").write_text("", encoding="utf-8")
            suite_bytes = sum(f.stat().st_size for f in suite.glob("*.json"))
            for jobs in ((1, 2) if sends == min(args.sends) else (1,)):
                runs = []
                out = work / f"run-{sends}-jobs{jobs}"
                for rep in range(args.e2e_repetitions):
                    shutil.rmtree(out, ignore_errors=True)
                    command = [str(sendpath), "run", str(suite), "--out", str(out), "--jobs", str(jobs), "--no-progress"]
                    # --jobs 1 is measured on one core: pinned to the CPU the driver runs on.
                    if jobs == 1 and taskset:
                        command = [taskset, "-c", str(sorted(os.sched_getaffinity(0))[0])] + command
                    log(f"run {sends} sends --jobs {jobs} ({rep + 1}/{args.e2e_repetitions})")
                    runs.append(timed(command, work, f"run-{sends}-jobs{jobs}-{rep}", args.timeout))
                figures = median_of(runs, f"run --jobs {jobs}")
                results_json = out / "results.json"
                figures.update({"jobs": jobs, "sends": sends, "suite_bytes": suite_bytes,
                                "pinned": jobs == 1 and bool(taskset),
                                "results_json_bytes": results_json.stat().st_size if results_json.exists() else None})
                result["suite"].append(figures)
                shutil.rmtree(out, ignore_errors=True)
    else:
        result["why_run"] = "`sendpath run` not available"
    has_diff, has_verify = sendpath_has(sendpath, "diff"), sendpath_has(sendpath, "verify")
    if not (has_diff or has_verify):
        result["why_capture"] = "`sendpath diff` / `sendpath verify` not available"
        return result
    for frames in args.frames:
        cap = work / f"capture-{frames}"
        if not (cap / ".complete").exists():
            shutil.rmtree(cap, ignore_errors=True)
            log(f"generating a {frames}-frame capture in {cap}")
            subprocess.run([str(tools / "sendpath-gen-capture"), "--out", str(cap), "--frames", str(frames)], check=True)
            shutil.copyfile(cap / "capture.pcap", cap / "copy.pcap")
            (cap / ".complete").write_text("", encoding="utf-8")
        pcap, copy, sas = str(cap / "capture.pcap"), str(cap / "copy.pcap"), str(cap / "sas.json")
        commands = []
        if has_diff:
            commands.append(("diff", [str(sendpath), "diff", pcap, copy]))
            commands.append(("diff --sa", [str(sendpath), "diff", pcap, copy, "--sa", sas]))
        if has_verify:
            commands.append(("verify --sa", [str(sendpath), "verify", pcap, "--sa", sas]))
        for label, command in commands:
            runs = []
            for rep in range(args.e2e_repetitions):
                log(f"{label} over {frames} frames ({rep + 1}/{args.e2e_repetitions})")
                runs.append(timed(command, work, f"{label.replace(' --', '-')}-{frames}-{rep}", args.timeout))
            figures = median_of(runs, label)
            figures.update({"frames": frames, "capture_bytes": (cap / "capture.pcap").stat().st_size})
            result["captures"].append(figures)
    return result


# ---- the table -----------------------------------------------------------------------------

def fmt_rate(value: Optional[float]) -> str:
    if value is None:
        return "—"
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    return f"{value / 1e3:.0f} k"


def fmt_ratio(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.2f}"


def verdict(ok: Optional[bool]) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def render(results: Dict[str, Any], for_readme: bool = False) -> str:
    machine, micro, e2e = results["machine"], results.get("micro", {}), results.get("e2e", {})
    lines: List[str] = []
    lines.append(f"Measured {machine['date']} on {machine['cpu']} ({machine['cpus']} CPUs, "
                 f"{machine['memory_gib']} GiB), {machine['os']}, kernel {machine['kernel']}, "
                 f"{machine['compiler']}, {micro.get('openssl', '')}, CMAKE_BUILD_TYPE={machine['build_type']}. "
                 f"Load average (1/5/15 min) before: {results['load_before']}, after: {results['load_after']}.")
    lines.append("")

    rows = {(r["case"], r["size"]): r for r in micro.get("rows", [])}
    targets = []
    for case in HEADLINE_CASES:
        row = rows.get((case, 1500), {})
        ratio, pooled = row.get("nic_ratio"), row.get("nic_pooled_iv_ratio")
        targets.append((f"ESP {case.split('/')[1]} at 1500 B: send path / ceiling", fmt_ratio(ratio) +
                        (f" (pooled IVs: {fmt_ratio(pooled)})" if pooled is not None else ""),
                        f"≥ {RATIO_TARGET}", verdict(None if ratio is None else ratio >= RATIO_TARGET)))
    runs_one = sorted((s for s in e2e.get("suite", []) if s.get("jobs") == 1 and "error" not in s), key=lambda s: s["sends"])
    if runs_one:
        small = runs_one[0]
        scale = 100000 / small["sends"]
        cpu, rss = small["cpu_s"] * scale, small["max_rss_mb"]
        targets.append((f"`sendpath run`, {small['sends']:,} sends, --jobs 1" + (" (one CPU)" if small.get("pinned") else ""),
                        f"{small['cpu_s']:.2f} s CPU, {small['wall_s']:.2f} s wall, exit {small['exits']}",
                        f"≤ {SUITE_CPU_TARGET:.0f} s CPU per 100,000 sends", verdict(cpu <= SUITE_CPU_TARGET)))
        targets.append((f"peak RSS of `sendpath run`, {small['sends']:,} sends", f"{rss:.1f} MB",
                        f"≤ {SUITE_RSS_MB_TARGET:.0f} MB", verdict(rss <= SUITE_RSS_MB_TARGET)))
        if len(runs_one) > 1:
            big = runs_one[-1]
            size_ratio = big["sends"] / small["sends"]
            rss_ratio = big["max_rss_mb"] / max(small["max_rss_mb"], 1e-9)
            time_ratio = big["cpu_s"] / max(small["cpu_s"], 1e-9)
            targets.append((f"`sendpath run` {big['sends']:,} / {small['sends']:,} sends: peak RSS",
                            f"{rss_ratio:.2f}×", f"≤ {SUITE_RSS_GROWTH}×", verdict(rss_ratio <= SUITE_RSS_GROWTH)))
            targets.append((f"`sendpath run` {big['sends']:,} / {small['sends']:,} sends: CPU time",
                            f"{time_ratio:.2f}× ({size_ratio:.0f}× the sends)", f"linear (≤ {1.1 * size_ratio:.0f}×)",
                            verdict(time_ratio <= 1.1 * size_ratio)))
    else:
        one = next((s for s in e2e.get("suite", []) if s.get("jobs") == 1), None)
        targets.append(("`sendpath run`, --jobs 1",
                        "not available" + (f": {one['error']}" if one else f" ({e2e.get('why') or e2e.get('why_run', '')})"),
                        f"≤ {SUITE_CPU_TARGET:.0f} s CPU per 100,000 sends", "n/a"))
    diffs = [c for c in e2e.get("captures", []) if c["label"] == "diff" and "error" not in c]
    largest = max(diffs, key=lambda c: c["frames"], default=None)
    if largest:
        targets.append((f"`sendpath diff`, {largest['frames']:,} frames", f"{largest['wall_s']:.2f} s",
                        f"< {DIFF_SECONDS_TARGET:.0f} s", verdict(largest["wall_s"] < DIFF_SECONDS_TARGET)))
        rss = [c["max_rss_mb"] for c in e2e.get("captures", []) if "error" not in c]
        flat = len(diffs) < 2 or max(c["max_rss_mb"] for c in diffs) <= 1.25 * min(c["max_rss_mb"] for c in diffs)
        targets.append(("peak RSS of diff / verify, every size", f"{max(rss):.1f} MB max" + ("" if flat else " (grows)"),
                        f"< {RSS_MB_TARGET:.0f} MB, flat", verdict(max(rss) < RSS_MB_TARGET and flat)))
    else:
        targets.append(("`sendpath diff`, 1,000,000 frames", "not available" +
                        (f" ({e2e.get('why') or e2e.get('why_capture', '')})" if (e2e.get('why') or e2e.get('why_capture')) else ""),
                        f"< {DIFF_SECONDS_TARGET:.0f} s", "n/a"))
    lines.append("| target | measured (median) | goal | |")
    lines.append("|---|---|---|---|")
    for t in targets:
        lines.append("| " + " | ".join(t) + " |")
    lines.append("")

    if e2e.get("suite") or e2e.get("captures"):
        lines.append("| end to end | frames | wall (median) | CPU | frames/s | peak RSS | results.json | exit |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---|")
        for s in e2e.get("suite", []):
            sends = s.get("sends", e2e.get("sends", 0))
            if "error" in s:
                lines.append(f"| {s['label']} | {sends:,} sends | {s['error']} | | | | | |")
                continue
            size = f"{s['results_json_bytes'] / 1e6:.1f} MB" if s.get("results_json_bytes") else "—"
            lines.append(f"| `sendpath {s['label']}`{' (one CPU)' if s.get('pinned') else ''} | {sends:,} sends "
                         f"({s.get('suite_bytes', 0) / 1e6:.0f} MB of vectors) | "
                         f"{s['wall_s']:.2f} s | {s['cpu_s']:.2f} s | {sends / max(s['wall_s'], 1e-9):,.0f} | "
                         f"{s['max_rss_mb']:.1f} MB | {size} | {s['exits']} |")
        for c in e2e.get("captures", []):
            if "error" in c:
                lines.append(f"| `sendpath {c['label']}` | {c['frames']:,} | {c['error']} | | | | | |")
                continue
            lines.append(f"| `sendpath {c['label']}` | {c['frames']:,} ({c['capture_bytes'] / 1e6:.0f} MB) | "
                         f"{c['wall_s']:.2f} s | {c['cpu_s']:.2f} s | {c['frames'] / max(c['wall_s'], 1e-9):,.0f} | "
                         f"{c['max_rss_mb']:.1f} MB | — | {c['exits']} |")
        lines.append("")

    if micro.get("available"):
        lines.append("Send path per case and IPv4 packet size (before IPsec). *nic*: `ReferenceNic::Send` as shipped "
                     "(its `RandomIvSource` draws IVs from a 4 KiB DRBG pool); *pooled*: the same NIC with the "
                     "benchmark's own `PooledRandomIvSource`, the series that measured the pool before the NIC "
                     "adopted it (the two should agree); *ceiling*: the EVP calls alone. Packets/s are medians of "
                     f"{max((r.get('nic_runs', 0) for r in micro['rows']), default=0)} interleaved repetitions.")
        lines.append("")
        if for_readme:
            lines.append(f"<details><summary>Every case and size ({len(micro['rows'])} rows)</summary>")
            lines.append("")
        lines.append("| case | size | nic pkt/s | nic MB/s | pooled pkt/s | ceiling pkt/s | nic / ceiling | pooled / ceiling |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in micro["rows"]:
            mbs = f"{r['nic'] * r['size'] / 1e6:.0f}" if "nic" in r else "—"
            lines.append(f"| {r['case']} | {r['size']} | {fmt_rate(r.get('nic'))} | {mbs} | {fmt_rate(r.get('nic_pooled_iv'))} | "
                         f"{fmt_rate(r.get('ceiling'))} | {fmt_ratio(r.get('nic_ratio'))} | {fmt_ratio(r.get('nic_pooled_iv_ratio'))} |")
        if micro.get("rand_bytes_ns"):
            lines.append("")
            lines.append("`RAND_bytes` per call: " + ", ".join(
                f"{n} B: {ns:.0f} ns" for n, ns in sorted(micro["rand_bytes_ns"].items(), key=lambda kv: int(kv[0]))) + ".")
        for name, why in sorted(micro.get("errors", {}).items()):
            lines.append(f"- {name}: skipped: {why}")
        if for_readme:
            lines.append("")
            lines.append("</details>")
    else:
        lines.append(f"Micro benchmarks: not available ({micro.get('why', 'not run')}).")
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, table: str) -> None:
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    note = ("## Performance\n\n"
            "`bench/run` builds in release mode, runs the send-path benchmarks against their OpenSSL ceiling and "
            "the end-to-end measurements, and prints the tables below (method, profiles and proposed changes: "
            "[bench/README.md](bench/README.md)). The machine was shared with other builds while measuring (see "
            "the load average); figures are medians, in CPU time for the send path, and single ratios still move by "
            "about ±0.1 between runs on such a machine (a ratio above 1 is noise).\n\n")
    block = f"{BEGIN_MARK}\n{note}{table}{END_MARK}"
    if BEGIN_MARK in text and END_MARK in text:
        start, end = text.index(BEGIN_MARK), text.index(END_MARK) + len(END_MARK)
        text = text[:start] + block + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(readme)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", type=Path, default=SOURCE_DIR / "build" / "release")
    parser.add_argument("--work-dir", type=Path, help="default: <build-dir>/bench-work")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.1, help="seconds per repetition of a micro benchmark")
    parser.add_argument("--filter", default="", help="regex of micro benchmarks (Google Benchmark --benchmark_filter)")
    parser.add_argument("--e2e-repetitions", type=int, default=3)
    parser.add_argument("--sends", default="100000,1000000", help="suite sizes for `sendpath run`, comma-separated")
    parser.add_argument("--frames", default="100000,1000000", help="capture sizes, comma-separated")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per end-to-end command")
    parser.add_argument("--no-micro", action="store_true")
    parser.add_argument("--no-e2e", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="re-render the table from <work>/results.json")
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument("--readme", type=Path, default=SOURCE_DIR / "README.md")
    args = parser.parse_args()
    try:
        args.frames = [int(f) for f in args.frames.split(",") if f]
        args.sends = [int(n) for n in args.sends.split(",") if n]
    except ValueError:
        parser.error(f"bad --frames '{args.frames}' or --sends '{args.sends}'")
    if args.repetitions < 1 or args.e2e_repetitions < 1 or not args.sends or min(args.sends) < 1:
        parser.error("repetitions and sends must be positive")
    build_dir = args.build_dir.resolve()
    work = (args.work_dir or build_dir / "bench-work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    results_file = work / "results.json"

    if args.report_only:
        results = json.loads(results_file.read_text(encoding="utf-8"))
    else:
        results = {"machine": machine_description(build_dir), "load_before": load_average()}
        results["micro"] = {"available": False, "why": "--no-micro"} if args.no_micro else run_micro(build_dir, work, args)
        results["e2e"] = {"suite": [], "captures": [], "sends": min(args.sends), "why": "--no-e2e"} if args.no_e2e \
            else run_e2e(build_dir, work, args)
        results["load_after"] = load_average()
        results_file.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table = render(results)
    (work / "table.md").write_text(table, encoding="utf-8")
    print(table)
    if args.update_readme:
        update_readme(args.readme, render(results, for_readme=True))
        log(f"wrote the table into {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
