"""What the inspectors keep per process: the customers' profiles as arrays and the catalog's coverage map, both slow
to build on a large shop, so built once at the process's start (`warm`) and reused."""

from __future__ import annotations

from optirec.eyewear.config import RuleSettings
from optirec.inspector.coverage import CoverageCache
from optirec.inspector.products import ProfileWearers
from optirec.store import Database


class InspectorCaches:
    def __init__(self, db: Database, rules: RuleSettings, seconds: float) -> None:
        self._db, self._rules, self._seconds = db, rules, seconds
        self.profiles = ProfileWearers(db, rules, seconds)
        self.coverage = CoverageCache()

    def warm(self) -> None:
        """Build both now (a serving process's start-up, in its warm-up thread), so that no operator waits."""
        if self._seconds > 0:
            self.profiles.get()
            with self._db.read() as session:
                self.coverage.get(session, self._rules)
