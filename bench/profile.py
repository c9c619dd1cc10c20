"""Summarise py-spy raw (collapsed) stacks: `python -m bench.profile FILE... [--top 25]
[--grep TEXT]`.

Prints, per file, the frames with the most samples on top of the stack (self) and
anywhere in it (inclusive), and which thread kind the samples come from (event loop,
request worker threads, the ovsdbapp connection thread).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter


def load(path: str) -> list[tuple[list[str], int]]:
    stacks = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            text, _, count = line.rstrip("\n").rpartition(" ")
            if text and count.isdigit():
                stacks.append((text.split(";"), int(count)))
    return stacks


def kind(frames: list[str]) -> str:
    joined = ";".join(frames)
    if "Connection.run (ovsdbapp" in joined:
        return "ovsdbapp connection thread (transactions, IDL updates)"
    if "WorkerThread.run (anyio" in joined or "App._call (ovn_provider" in joined:
        return "request threads (handlers)"
    if "BaseEventLoop" in joined:
        return "event loop (HTTP parsing, JSON out)"
    return "other"


def summary(path: str, top: int, grep: str | None) -> str:
    stacks = load(path)
    if grep:
        stacks = [(f, n) for f, n in stacks if any(grep in fr for fr in f)]
    total = sum(n for _, n in stacks) or 1
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for frames, n in stacks:
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
        kinds[kind(frames)] += n
    out = [f"== {path}: {total} samples" + (f" (stacks with {grep!r})" if grep else "")]
    out.append("-- by thread")
    out += [f"{n * 100 / total:6.1f}%  {k}" for k, n in kinds.most_common()]
    out.append("-- self (top of stack)")
    out += [f"{n * 100 / total:6.1f}%  {k}" for k, n in own.most_common(top)]
    out.append("-- inclusive")
    out += [f"{n * 100 / total:6.1f}%  {k}" for k, n in inclusive.most_common(top)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--grep", help="only stacks with a frame containing this text")
    args = parser.parse_args(argv)
    for path in args.files:
        print(summary(path, args.top, args.grep))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
