"""What `alertdrill mutate` prints: the summary first (score, what was left out and why, per alert
killed/survived, the alerts no test names), then the survivors' diffs, as many as asked for."""

from __future__ import annotations

from alertdrill.check.mutation_results import MutationReport


def _part_scores(report: MutationReport) -> list[str]:
    """The score of each part of the config: an untested recording rule with a long expression
    makes many mutants, which would otherwise drown what the alerts' own tests catch."""
    parts: dict[str, list[bool]] = {"alerting rules": [], "recording rules": [], "Alertmanager config": []}
    for r in report.counted:
        part = (
            ("recording rules" if r.mutant.target.startswith("record ") else "alerting rules")
            if (r.mutant.kind == "rules")
            else "Alertmanager config"
        )
        parts[part].append(r.verdict == "killed")
    return [f"{name} {sum(v) / len(v) * 100:.1f}% ({sum(v)}/{len(v)})" for name, v in parts.items() if v]


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
        "  by part: " + "; ".join(_part_scores(report)),
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
    lines.append(f"recording rules no rule test reads: {', '.join(report.unread_records) or 'none'}")
    survivors = report.survivors
    if survivors:
        lines.append(f"\n{len(survivors)} survivor(s)" + (f"; diffs of the first {diffs}:" if diffs else ""))
    for i, r in enumerate(survivors):
        lines.append(f"SURVIVED {r.mutant.kind} {r.mutant.target}: {r.mutant.description}")
        if i < diffs:
            lines.append(r.diff + "\n")
    return "\n".join(lines)
