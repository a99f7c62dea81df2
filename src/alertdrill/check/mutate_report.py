"""What `alertdrill mutate` prints: the summary first (score, what was left out and why, per alert
killed/survived, the alerts no test names), then the survivors' diffs, as many as asked for."""

from __future__ import annotations

from alertdrill.check.mutate import MutationReport


def render_mutation_summary(report: MutationReport, diffs: int) -> str:
    counted = report.counted
    killed = sum(r.verdict == "killed" for r in counted)
    stillborn = sum(r.verdict == "stillborn" for r in report.results)
    timeouts = [r for r in report.results if r.verdict == "timeout"]
    dropped = report.candidates - len(report.results) - report.not_sampled
    accepted = len(report.accepted)
    raw = f" ({killed / (len(counted) + accepted) * 100:.1f}% counting the {accepted} accepted)" if accepted else ""
    lines = [
        f"mutation score {report.score * 100:.1f}%{raw}: {killed} of {len(counted)} mutants killed "
        f"in {report.seconds:.1f}s",
        f"  left out of the score: {stillborn} stillborn (promtool/amtool reject them), "
        f"{dropped} duplicates or edits that change nothing, {len(timeouts)} whose tests timed out"
        + (f", {report.not_sampled} not in the --max-mutants sample" if report.not_sampled else ""),
    ]
    for r in timeouts[:5]:
        lines.append(f"  timed out: {r.name}: {r.killed_by}")
    for what in report.left_out:
        lines.append(f"  left out: {what}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    for r in report.accepted:
        lines.append(f"  accepted survivor {r.name}: {r.killed_by.removeprefix('accepted: ')}")
    per_target = sorted(report.per_target().items())
    width = max([32, *(len(t) for t, _c in per_target)])
    lines.append(f"\n{'alert / record / config':{width}} {'killed':>7} {'survived':>9} {'accepted':>9}")
    for target, counts in per_target:
        lines.append(f"{target:{width}} {counts['killed']:>7} {counts['survived']:>9} {counts['accepted']:>9}")
    lines.append(f"alerts no rule test names: {', '.join(report.untested) or 'none'}")
    survivors = report.survivors
    if survivors:
        lines.append(f"\n{len(survivors)} survivor(s)" + (f"; diffs of the first {diffs}:" if diffs else ""))
    for i, r in enumerate(survivors):
        lines.append(f"SURVIVED {r.mutant.kind} {r.mutant.target}: {r.mutant.description}")
        if i < diffs:
            lines.append(r.diff + "\n")
    return "\n".join(lines)
