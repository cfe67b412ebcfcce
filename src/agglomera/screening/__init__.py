"""Enterprise programme screening: HNTE, Little Giant, specialised / innovative / tech SMEs.

Rule sets are data (:mod:`agglomera.screening.rules`, bundled ``programmes.yaml``
derived from the cited ``enterprise_programs.yaml``); the engine applies them to
firm-year records of all firms at once and reports pass / fail / unknown per criterion
with the gap in natural units.
"""

from agglomera.screening.engine import (
    FAIL,
    NA,
    PASS,
    UNKNOWN,
    FirmData,
    ProgrammeResult,
    screen,
    screen_all,
)
from agglomera.screening.explain import explain
from agglomera.screening.outputs import candidates, summary, write_excel
from agglomera.screening.records import normalise_records, read_records, records_from_db
from agglomera.screening.rules import RuleSet, load_rules

__all__ = [
    "FAIL", "NA", "PASS", "UNKNOWN", "FirmData", "ProgrammeResult", "RuleSet",
    "candidates", "explain", "load_rules", "normalise_records", "read_records",
    "records_from_db", "screen", "screen_all", "summary", "write_excel",
]
