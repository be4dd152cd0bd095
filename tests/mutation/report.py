"""Tell what `mutmut run` left in mutants/: per module, and every survivor with its change.

Run by `make mutation` after `mutmut run`. A survivor is either listed in
`tests/mutation/equivalent.toml` (a mutant that changes nothing a caller can observe, with
the reason) or a gap in the tests: the run fails until each one is killed or explained.
Mutants are matched to that list by function and changed line, not by mutmut's number,
which shifts whenever a function gains or loses a mutant.

`--retest` first runs again the survivors that are not explained, so a test written to
kill one is seen at once (mutmut keeps a verdict until the function itself changes).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

MUTANTS = Path("mutants")
EQUIVALENT = Path(__file__).with_name("equivalent.toml")
# mutmut's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code).
STATUS = {
    1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
    35: "suspicious", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout",
    255: "timeout", 37: "caught by type check", -11: "segfault", -9: "segfault",
    None: "not checked",
}  # fmt: skip
COLUMNS = ("killed", "survived", "equivalent", "timeout", "no tests", "not checked", "other")


@dataclass(frozen=True)
class Mutant:
    """One mutant: its mutmut key, source file, function, verdict and the line it changes."""

    key: str
    source: Path
    function: str  # dotted, e.g. tradewind.domain.exits.exit_in_candle
    status: str
    change: str  # "-old line / +new line", or "" when the diff is not one line


def load_mutants() -> list[Mutant]:
    """Read every mutant's verdict from mutmut's per-file .meta records."""
    found = []
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        source = meta.relative_to(MUTANTS).with_suffix("")
        record = json.loads(meta.read_text(encoding="utf-8"))
        functions = _functions_of(MUTANTS / source)
        for key, code in record["exit_code_by_key"].items():
            module, _, name = key.rpartition(".")
            mangled, _, _ = name.rpartition("__mutmut_")
            function = f"{module}.{mangled.removeprefix('x_').replace('xǁ', '').replace('ǁ', '.')}"
            change = _change(functions, f"{mangled}__mutmut_orig", name)
            status = STATUS.get(code, "suspicious")
            found.append(Mutant(key, source, function, status, change))
    return found


def _functions_of(path: Path) -> dict[str, str]:
    """Map every function and method name in a mutated file to its source text."""
    text = path.read_text(encoding="utf-8")
    return {
        node.name: ast.get_source_segment(text, node) or ""
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _change(functions: dict[str, str], original: str, mutant: str) -> str:
    """Return the mutant's change as "-old / +new" (stripped lines).

    A line that occurs more than once in the function (`for offset in range(1, period):`
    twice in `bands`) is told apart by its occurrence, e.g. "-old (2nd) / +new".
    """
    before = [line.strip() for line in functions.get(original, "").splitlines()[1:]]
    after = [line.strip() for line in functions.get(mutant, "").splitlines()[1:]]
    removed, added = [], []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for index in range(i1, i2):
            removed.append(before[index] + _occurrence(before, index))
        added.extend(after[j1:j2])
    if len(removed) == 1 and len(added) == 1:
        return f"-{removed[0]} / +{added[0]}"
    return " / ".join([*(f"-{r}" for r in removed), *(f"+{a}" for a in added)])


def _occurrence(lines: list[str], index: int) -> str:
    if lines.count(lines[index]) < 2:
        return ""
    nth = lines[: index + 1].count(lines[index])
    return f" ({nth}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(nth, 'th') })"


def load_equivalents() -> dict[tuple[str, str], str]:
    """Return (function, change) -> why the mutant is equivalent, from equivalent.toml."""
    data = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8"))
    return {(e["function"], e["change"]): e["why"] for e in data.get("mutant", [])}


def verdict(mutant: Mutant, equivalents: dict[tuple[str, str], str]) -> str:
    """Return the report's column for a mutant: survivors listed as equivalent go apart."""
    if mutant.status == "survived" and (mutant.function, mutant.change) in equivalents:
        return "equivalent"
    if mutant.status in COLUMNS:
        return mutant.status
    return "other"


def retest_unexplained() -> None:
    """Run mutmut again on the survivors no entry of equivalent.toml explains."""
    equivalents = load_equivalents()
    names = [
        m.key
        for m in load_mutants()
        if verdict(m, equivalents) in ("survived", "no tests", "other")
    ]
    if names:
        print(f"retesting {len(names)} survivor(s) against the current tests")
        subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", "2", *names], check=True
        )


def report() -> int:
    """Print the table and the unexplained survivors; return 1 if there are any."""
    mutants = load_mutants()
    if not mutants:
        print("no mutation results in mutants/: run `make mutation`")
        return 1
    equivalents = load_equivalents()
    by_source: dict[Path, Counter[str]] = {}
    for m in mutants:
        by_source.setdefault(m.source, Counter())[verdict(m, equivalents)] += 1
    width = max(len(str(s)) for s in by_source) + 2
    header = f"{'module':<{width}}{'mutants':>8}" + "".join(f"{c:>12}" for c in COLUMNS)
    print(header + f"{'killed %':>10}{'score %':>10}")
    total: Counter[str] = Counter()
    for source, counts in sorted(by_source.items()):
        total += counts
        print(_row(str(source), counts, width))
    print(_row("total", total, width))
    unexplained = [
        m for m in mutants if verdict(m, equivalents) in ("survived", "no tests", "other")
    ]
    used = {(m.function, m.change) for m in mutants if verdict(m, equivalents) == "equivalent"}
    # Only a finished run tells which listed mutants are no longer made.
    finished = not any(m.status == "not checked" for m in mutants)
    stale = sorted(set(equivalents) - used) if finished else []
    for function, change in stale:
        print(f"note: equivalent.toml lists a mutant no longer made: {function}: {change}")
    if unexplained:
        print(f"\n{len(unexplained)} mutant(s) neither killed nor explained:")
        for m in unexplained:
            print(f"  {m.key} ({m.status}): {m.change}")
        print("kill each with a test, or list it in tests/mutation/equivalent.toml with why")
        return 1
    if not finished:
        waiting = sum(m.status == "not checked" for m in mutants)
        print(f"\n{waiting} mutant(s) not run yet: `make mutation` runs them")
        return 1
    print("\nevery mutant is killed or explained as equivalent")
    return 0


def _row(name: str, counts: Counter[str], width: int) -> str:
    made = sum(counts.values())
    detected = counts["killed"] + counts["timeout"]
    share = 100 * detected / made if made else 0.0
    # The mutation score: what the tests can tell apart, so the equivalent ones left out.
    telling = made - counts["equivalent"]
    score = 100 * detected / telling if telling else 0.0
    cells = "".join(f"{counts[c]:>12}" for c in COLUMNS)
    return f"{name:<{width}}{made:>8}{cells}{share:>9.1f}%{score:>9.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retest", action="store_true", help="retest unexplained survivors")
    args = parser.parse_args()
    if args.retest:
        retest_unexplained()
    sys.exit(report())


if __name__ == "__main__":
    main()
