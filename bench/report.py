"""Render a run's results as Markdown and check the targets of issue 2 item 9 (ports) and
issue 3 (security group rules, router interfaces)."""

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


def _ratio_range(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    """min-max of the per-round ratios (rounds alternate API and raw)."""
    if not a or not b or "round_rates" not in a or "round_rates" not in b:
        return "-"
    ratios = [x / y for x, y in zip(a["round_rates"], b["round_rates"], strict=False) if y]
    if not ratios:
        return "-"
    return f"{min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else f"{ratios[0]:.2f}"


def _mb(kb: int | None) -> str:
    return f"{kb / 1024:.0f}" if kb is not None else "-"


#: The issue 3 parts: result key, what, (first op, second op), per-op words.
RESOURCES = (
    ("sg_rules", "security group rule", ("create", "delete")),
    ("router_interfaces", "router interface", ("add", "remove")),
)
RAW_RATIO = 0.75


def resource_targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 3: every op of the rule and router interface phases, at every C, at least
    75% of the rate of the same NB writes made with ovsdbapp in the same run."""
    out: list[dict[str, Any]] = []
    for key, what, ops in RESOURCES:
        res = data.get(key)
        if not res:
            continue
        size = f"{res['rules']} rules" if key == "sg_rules" else f"{res['routers']} routers"
        for c, api in res["api"].items():
            raw = res.get("raw", {}).get(c)
            if not raw:
                continue
            for op in ops:
                a, r = api.get(op), raw.get(op)
                if not a or not r or not r["ops_per_s"]:
                    continue
                ratio = a["ops_per_s"] / r["ops_per_s"]
                out.append({"target": f"{size} C={c}: {what} {op} >= 75% of raw ovsdbapp",
                            "value": f"{a['ops_per_s']:.0f}/s vs raw {r['ops_per_s']:.0f}/s "
                                     f"= {ratio:.0%}",
                            "met": ratio >= RAW_RATIO})
    return out


def targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it is met."""
    out = port_targets(data) if data["levels"] else []
    out += resource_targets(data)
    bad = [c for c in data["checks"] if not c["ok"]]
    out.append({"target": "zero HTTP errors, every check passed (no duplicate IPs/MACs, "
                          "every port / rule / interface listed, all removed at the end)",
                "value": f"{len(data['checks'])} checks, {len(bad)} failed" +
                         (f": {bad[0]['check']}" if bad else ""), "met": not bad})
    return out


def port_targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 2 item 9: the port targets."""
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
    return out


def resource_tables(data: dict[str, Any]) -> list[str]:
    """The issue 3 tables: API rate and latency per op, raw rate, ratio, CPU per op."""
    lines: list[str] = []
    for key, what, (op1, op2) in RESOURCES:
        res = data.get(key)
        if not res:
            continue
        if key == "sg_rules":
            title = (f"**Security group rules** ({res['rules']} rules over {res['groups']} "
                     "groups, POST / DELETE /v2.0/security-group-rules; the groups grow from "
                     f"their automatic rules to {res['rules']} rules and back; raw = the same "
                     "ACL rows, match and external_ids plus the group's revision bump, one "
                     "ovsdbapp transaction per rule)")
        else:
            title = (f"**Router interfaces** ({res['routers']} routers, PUT add_router_interface "
                     "/ remove_router_interface by subnet_id, router i <- its own network's "
                     "/24; raw = router LSP + LRP + the subnet's gateway_router key, one "
                     "ovsdbapp transaction per interface)")
        rounds = res.get("rounds", 1)
        lines += ["", title, "",
                  f"Each C: {rounds} round(s), API and raw alternating; rates over all rounds, "
                  "ratio = API rate / raw rate, and its range over the rounds.", "",
                  f"| C | {op1}/s | {op1} lat | {op2}/s | {op2} lat | raw {op1}/s | raw {op1} "
                  f"lat | raw {op2}/s | raw {op2} lat | {op1}/raw | {op2}/raw | {op1}/raw per "
                  f"round | {op2}/raw per round |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for c, api in res["api"].items():
            raw = res.get("raw", {}).get(c, {})
            a1, a2, r1, r2 = api.get(op1), api.get(op2), raw.get(op1), raw.get(op2)
            lines.append(f"| {c} | {_rate(a1)} | {_lat(a1)} | {_rate(a2)} | {_lat(a2)} | "
                         f"{_rate(r1)} | {_lat(r1)} | {_rate(r2)} | {_lat(r2)} | "
                         f"{_ratio(a1, r1)} | {_ratio(a2, r2)} | {_ratio_range(a1, r1)} | "
                         f"{_ratio_range(a2, r2)} |")
        lines += ["", f"CPU per {what} operation (ms; raw {op1} includes its {op2}s)", "",
                  "| C | op | provider | nb | sb | northd | client | other |",
                  "|---|---|---|---|---|---|---|---|"]
        for c, api in res["api"].items():
            rows = [(op1, api.get(op1)), (op2, api.get(op2)),
                    (f"raw {op1} (+ its {op2}s)", res.get("raw", {}).get(c, {}).get(op1))]
            lines += [_cpu_row(c, op, row) for op, row in rows if row]
    return lines


def _cpu_row(first: Any, op: str, row: dict[str, Any]) -> str:
    """One line of a CPU-per-operation table (ms per op of each process)."""
    cpu = row.get("cpu_ms_per_op", {})
    return (f"| {first} | {op} | {cpu.get('provider', '-')} | {cpu.get('nb', '-')} | "
            f"{cpu.get('sb', '-')} | {cpu.get('northd', '-')} | "
            f"{row.get('client_cpu_ms_per_op', '-')} | {row.get('other_load_pct', '-')}% |")


def port_tables(data: dict[str, Any]) -> list[str]:
    """The issue 2 tables: port writes, reads and memory, fill, CPU per operation."""
    clients = data["meta"]["clients"]
    lines = ["", "Port levels: each measured window has min(sample, N/2) operations at a "
             "state of N ports.", "",
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
    lines += ["", "**CPU per operation** (ms of CPU each process used per operation, C = "
              f"{max(clients)}; client = this benchmark's own process; other = load from "
              "processes outside the run, % of the machine)", "",
              "| N | op | provider | nb | sb | northd | client | other |",
              "|---|---|---|---|---|---|---|---|"]
    for lv in data["levels"]:
        rows = [(op, _phase(lv, max(clients), op)) for op in (*WRITE_OPS, "show", "list")]
        rows.append(("raw create (+ its deletes)", _raw(lv, max(clients), "create")))
        lines += [_cpu_row(lv["n"], op, row) for op, row in rows if row]
    return lines


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    lines = [f"### ovn-provider benchmark, {meta['date']}", "",
             f"`{meta['command']}` - git {meta['git']}, {meta['cpus']} CPUs "
             f"({meta['cpu_model']}), Python {meta['python']}, {meta['ovn']}, northd "
             f"{'running' if meta['northd'] else 'stopped'}; {meta['duration_s']} s.", "",
             "Latencies are p50 / p95 / p99 in ms; rates are operations per second."]
    lines += resource_tables(data)
    if data["levels"]:
        lines += port_tables(data)
    if data.get("networks"):
        lines += ["", f"**Networks** ({meta.get('networks', '')} per C, on a nearly empty NB)",
                  "", "| C | create/s | create lat | delete/s | delete lat |",
                  "|---|---|---|---|---|"]
        for c, res in data["networks"].items():
            lines.append(f"| {c} | {_rate(res['create'])} | {_lat(res['create'])} | "
                         f"{_rate(res['delete'])} | {_lat(res['delete'])} |")
    lines += ["", "**Targets**", "", "| target | measured | met |", "|---|---|---|"]
    for t in data["targets"]:
        met = "yes" if t["met"] else "**no**"
        lines.append(f"| {t['target']} | {t['value']} | {met} |")
    return "\n".join(lines) + "\n"
