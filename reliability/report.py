"""The campaign's table, for a terminal and for pasting into issue notes."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.report import Cell, table
from reliability.campaign import Outcome
from reliability.check import FAILURE_COLUMNS
from reliability.faults import KINDS


def _faults_rows(outcome: Outcome) -> list[list[Cell]]:
    known = [kind for kind, _ in KINDS]
    kinds = known + sorted(set(outcome.planned) - set(known))
    rows: list[list[Cell]] = [
        [kind, outcome.planned[kind], outcome.injected[kind]]
        for kind in kinds
        if outcome.planned[kind] or outcome.injected[kind]
    ]
    rows.append(["total", sum(outcome.planned.values()), sum(outcome.injected.values())])
    return rows


def _state_rows(outcome: Outcome) -> list[list[Cell]]:
    f = outcome.findings
    rows: list[list[Cell]] = [
        ["jobs", len(outcome.job_ids)],
        ["  of which exporting again the items of a job Pleo expired", outcome.followup_jobs],
        ["items", len(outcome.expected)],
        ["items that must fail (unmapped category)", sum(1 for e in outcome.expected if e.failure_type)],
        ["documents", f.documents],
        ["  journal transactions", f.journals],
        ["  supplier invoices", f.invoices],
    ]  # fmt: skip
    rows += [[column, f.counts[column]] for column in FAILURE_COLUMNS]
    return rows


def report_text(outcome: Outcome, *, command: str, context: Sequence[str]) -> str:
    o = outcome.options
    f = outcome.findings
    modes: list[list[Cell]] = [[mode, n] for mode, n in outcome.jobs_by_mode.items()]
    runs: list[list[Cell]] = [[status, n] for status, n in sorted(outcome.runs.items())]
    lines = [
        f"== reliability: {len(outcome.job_ids):,} export jobs, {len(outcome.expected):,} items, "
        f"seed {o.seed} ==",
        f"Reproduce: {command}",
        *context,
        f"Faults for {outcome.seconds_faults:.0f} s, then {outcome.seconds_settle:.0f} s to "
        f"settle ({'settled' if outcome.settled else 'NOT settled within the bound'}); "
        f"worker clusters started {outcome.worker_starts} times"
        + (f"; {outcome.jobs_not_created} jobs not created" if outcome.jobs_not_created else "")
        + ".",
        "",
        table(["mode", "jobs"], modes),
        "",
        table(["fault", "planned", "injected"], _faults_rows(outcome)),
        "",
        table(["run status (integration)", "runs"], runs),
        "",
        table(["what the sandboxes hold", "count"], _state_rows(outcome)),
    ]
    if not f.vat_report:
        lines.append("VAT report: the Visma.net sandbox shows no vatTransactions; not checked.")
    for column in FAILURE_COLUMNS:
        for example in f.examples.get(column, []):
            lines.append(f"  {column}: {example[:400]}")
    lines.append("RESULT: " + ("FAILED" if f.failed else "every failure column is zero"))
    return "\n".join(lines)
