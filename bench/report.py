"""Render a run's results as Markdown and check the targets of issue 2 item 9."""

from __future__ import annotations

from typing import Any

WRITE_OPS = ("create", "update", "delete")
SCALE_OPS = ("create", "update", "delete", "show")


def _phase(level: dict[str, Any], c: int, op: str) -> dict[str, Any] | None:
    phase: dict[str, Any] | None = level.get("phases", {}).get(str(c), {}).get(op)
    return phase


def _raw(level: dict[str, Any], c: int, op: str) -> dict[str, Any] | None:
    raw: dict[str, Any] | None = level.get("raw", {}).get(str(c), {}).get(op)
    return raw


def _lat(p: dict[str, Any] | None) -> str:
    if not p:
        return "-"
    return f"{p['p50_ms']:.1f} / {p['p95_ms']:.1f} / {p['p99_ms']:.1f}"


def _rate(p: dict[str, Any] | None) -> str:
    return f"{p['ops_per_s']:.0f}" if p else "-"


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if not a or not b or not b["ops_per_s"]:
        return "-"
    return f"{a['ops_per_s'] / b['ops_per_s']:.2f}"


def _mb(kb: int | None) -> str:
    return f"{kb / 1024:.0f}" if kb is not None else "-"


def targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it is met."""
    levels = {lv["n"]: lv for lv in data["levels"]}
    clients = data["meta"]["clients"]
    cmax, cmin = max(clients), min(clients)
    wanted = [n for n in (5000, 20000) if n in levels] or [max(levels)]
    out: list[dict[str, Any]] = []

    def add(target: str, value: str, ok: bool | None) -> None:
        out.append({"target": target, "value": value, "met": ok})

    for n in wanted:
        lv = levels[n]
        raw = _raw(lv, cmax, "create")
        for op in ("create", "update"):
            p = _phase(lv, cmax, op)
            if p and raw:
                ratio = p["ops_per_s"] / raw["ops_per_s"]
                add(f"N={n} C={cmax}: port {op} >= 75% of raw ovsdbapp create rate",
                    f"{p['ops_per_s']:.0f}/s vs raw {raw['ops_per_s']:.0f}/s = {ratio:.0%}",
                    ratio >= 0.75)
        create, delete = _phase(lv, cmax, "create"), _phase(lv, cmax, "delete")
        if create and delete:
            add(f"N={n} C={cmax}: delete at least as fast as create",
                f"delete {delete['ops_per_s']:.0f}/s, create {create['ops_per_s']:.0f}/s",
                delete["ops_per_s"] >= create["ops_per_s"])
        show = _phase(lv, cmax, "show")
        if show:
            add(f"N={n} C={cmax}: show p50 <= 2 ms", f"{show['p50_ms']:.2f} ms",
                show["p50_ms"] <= 2.0)
    for n in [n for n in levels if n == 5000] or ([] if 5000 in levels else [max(levels)]):
        lst = _phase(levels[n], cmax, "list")
        if lst:
            add(f"N={n} C={cmax}: list p50 <= 40 ms (after a write, uncached)",
                f"{lst['p50_ms']:.1f} ms (cached: "
                f"{(_phase(levels[n], cmax, 'list_cached') or {}).get('p50_ms', '-')} ms)",
                lst["p50_ms"] <= 40.0)
    small, big = min(levels), max(levels)
    if big > small:
        for c in clients:
            for op in SCALE_OPS:
                a, b = _phase(levels[small], c, op), _phase(levels[big], c, op)
                if a and b and a["ops_per_s"] and b["ops_per_s"]:
                    factor = a["ops_per_s"] / b["ops_per_s"]
                    add(f"C={c}: {op} cost per op at N={big} within 1.3x of N={small}",
                        f"{factor:.2f}x ({a['ops_per_s']:.0f}/s -> {b['ops_per_s']:.0f}/s)",
                        factor <= 1.3)
    if cmax > cmin:
        for n, lv in levels.items():
            for op in SCALE_OPS:
                a, b = _phase(lv, cmin, op), _phase(lv, cmax, op)
                if a and b:
                    add(f"N={n}: {op} throughput C={cmax} >= C={cmin}",
                        f"{b['ops_per_s']:.0f}/s vs {a['ops_per_s']:.0f}/s",
                        b["ops_per_s"] >= a["ops_per_s"])
    top = levels[big]
    hwm = max(lv["rss_kb"].get("VmHWM", 0) for lv in levels.values())
    add(f"RSS <= 250 MB at N={big} (peak VmHWM over the run)",
        f"VmRSS {_mb(top['rss_kb'].get('VmRSS'))} MB, VmHWM {_mb(hwm)} MB",
        hwm <= 250 * 1024)
    bad = [c for c in data["checks"] if not c["ok"]]
    add("zero HTTP errors, zero duplicate IPs/MACs, every port listed",
        f"{len(data['checks'])} checks, {len(bad)} failed" +
        (f": {bad[0]['check']}" if bad else ""), not bad)
    return out


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    clients = meta["clients"]
    lines = [f"### ovn-provider benchmark, {meta['date']}", "",
             f"`{meta['command']}` - git {meta['git']}, {meta['cpus']} CPUs "
             f"({meta['cpu_model']}), Python {meta['python']}, {meta['ovn']}, northd "
             f"{'running' if meta['northd'] else 'stopped'}; {meta['duration_s']} s.", "",
             "Latencies are p50 / p95 / p99 in ms; rates are operations per second. Each "
             "measured window has min(sample, N/2) operations at a state of N ports.", "",
             "**Port writes** (raw = the same NB writes straight through ovsdbapp, one "
             "transaction per port, same run, same state)", "",
             "| N | C | create/s | create lat | update/s | update lat | delete/s | delete lat "
             "| raw create/s | raw delete/s | create/raw | update/raw |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for lv in data["levels"]:
        for c in clients:
            p = {op: _phase(lv, c, op) for op in (*WRITE_OPS, "show", "list", "list_cached")}
            rc, rd = _raw(lv, c, "create"), _raw(lv, c, "delete")
            lines.append(
                f"| {lv['n']} | {c} | {_rate(p['create'])} | {_lat(p['create'])} | "
                f"{_rate(p['update'])} | {_lat(p['update'])} | {_rate(p['delete'])} | "
                f"{_lat(p['delete'])} | {_rate(rc)} | {_rate(rd)} | {_ratio(p['create'], rc)} "
                f"| {_ratio(p['update'], rc)} |")
    drops = [f"N={lv['n']}: {lv['connections']['nb_probe_drops']}"
             for lv in data["levels"] if "connections" in lv]
    if drops:
        lines += ["", "NB clients dropped by ovsdb-server's inactivity probe so far (cumulative; "
                  "the provider must never be one of them): " + ", ".join(drops) + "."]
    lines += ["", "**Reads and memory** (list = full GET /v2.0/ports right after a write; "
              "cached = repeated with no change in between)", "",
              "| N | C | show/s | show lat | list lat | list/s | list cached lat | "
              "RSS MB | HWM MB |",
              "|---|---|---|---|---|---|---|---|---|"]
    for lv in data["levels"]:
        for c in clients:
            show, lst, cached = (_phase(lv, c, op) for op in ("show", "list", "list_cached"))
            lines.append(
                f"| {lv['n']} | {c} | {_rate(show)} | {_lat(show)} | {_lat(lst)} | "
                f"{lst['ops_per_s'] if lst else '-'} | {_lat(cached)} | "
                f"{_mb(lv['rss_kb'].get('VmRSS'))} | {_mb(lv['rss_kb'].get('VmHWM'))} |")
    fills = [lv for lv in data["levels"] if lv.get("fill")]
    if fills:
        lines += ["", "**Fill** (create from the previous size up to N, C = "
                  f"{max(clients)})", "", "| up to N | ports | create/s | lat |",
                  "|---|---|---|---|"]
        for lv in fills:
            f = lv["fill"]
            lines.append(f"| {lv['n']} | {f['ops']} | {_rate(f)} | {_lat(f)} |")
    lines += ["", f"**Networks** ({meta.get('networks', '')} per C, on a nearly empty NB)", "",
              "| C | create/s | create lat | delete/s | delete lat |", "|---|---|---|---|---|"]
    for c, res in data["networks"].items():
        lines.append(f"| {c} | {_rate(res['create'])} | {_lat(res['create'])} | "
                     f"{_rate(res['delete'])} | {_lat(res['delete'])} |")
    lines += ["", "**CPU per operation** (ms of CPU each process used per operation, C = "
              f"{max(clients)}; client = this benchmark's own process; other = load from "
              "processes outside the run, % of the machine)", "",
              "| N | op | provider | nb | sb | northd | client | other |",
              "|---|---|---|---|---|---|---|---|"]
    for lv in data["levels"]:
        rows = [(op, _phase(lv, max(clients), op)) for op in (*WRITE_OPS, "show", "list")]
        rows.append(("raw create (+ its deletes)", _raw(lv, max(clients), "create")))
        for op, row in rows:
            if row:
                cpu = row.get("cpu_ms_per_op", {})
                lines.append(f"| {lv['n']} | {op} | {cpu.get('provider', '-')} | "
                             f"{cpu.get('nb', '-')} | {cpu.get('sb', '-')} | "
                             f"{cpu.get('northd', '-')} | "
                             f"{row.get('client_cpu_ms_per_op', '-')} "
                             f"| {row.get('other_load_pct', '-')}% |")
    lines += ["", "**Targets**", "", "| target | measured | met |", "|---|---|---|"]
    for t in data["targets"]:
        met = "yes" if t["met"] else "**no**"
        lines.append(f"| {t['target']} | {t['value']} | {met} |")
    return "\n".join(lines) + "\n"
