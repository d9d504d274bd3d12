"""The progress bar of `demo-data`: one line per stage, with `rich.progress`, or nothing when turned off."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Stages:
    """Tracks the generator's stages: building, the rules per customer, the simulated events, writing."""

    def __init__(self, enabled: bool, customers: int, events: int) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            disable=not enabled,
        )  # fmt: skip
        self.build = self.progress.add_task("catalogue and customers", total=1)
        self.rule_task = self.progress.add_task("fit rules per customer", total=customers)
        self.event_task = self.progress.add_task("simulated events", total=events)
        self.write = self.progress.add_task("files written", total=1)

    def __enter__(self) -> Stages:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.progress.stop()

    def done(self, stage: str) -> None:
        """Mark a one-step stage finished."""
        task = self.build if stage == "catalogue and customers" else self.write
        self.progress.update(task, completed=1)

    def rules(self, count: int) -> None:
        self.progress.advance(self.rule_task, count)

    def events(self, count: int) -> None:
        self.progress.advance(self.event_task, count)
