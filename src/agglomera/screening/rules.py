"""Rule sets as data: pydantic models of programmes, criteria, conditions and scoring.

The bundled rule sets (``agglomera/data/screening/programmes.yaml``) are derived from the
cited reference file ``enterprise_programs.yaml``; users add provincial variants by
writing a YAML file of the same shape and passing it with ``--rules FILE`` (or the setting
``AGGLOMERA_SCREENING_RULES``). Every expression is parsed and checked when loading, and
a mistake names the file and the field.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    field_validator,
    model_validator,
)

from agglomera.errors import SchemaError
from agglomera.screening.expr import Expr
from agglomera.screening.fields import FIELDS

Op = Literal[">=", "<=", ">", "<", "==", "exists", "in", "any_of", "all_of"]
Unit = Literal["percent", "CNY_10k", "yuan", "count", "years", "points", "rank", "boolean",
               "category"]
GROUP_OPS = ("any_of", "all_of")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    document: str
    article: str


class Document(_Model):
    title_zh: str = ""
    title_en: str = ""
    doc_no: str = ""
    date: str = ""
    status: str = "verified"


class Gap(_Model):
    """How to word the gap: the quantity to change and, for a ratio, its denominator."""

    what_en: str
    what_zh: str
    unit: Literal["money", "count", "years", "points", "percent"]
    of_en: str = ""
    of_zh: str = ""


class Condition(_Model):
    """When a criterion applies (e.g. a revenue band); outside it the criterion is n/a."""

    metric: str
    op: Literal[">=", "<=", ">", "<", "range"]
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    lower_inclusive: bool = True
    upper_inclusive: bool = True
    unit: Unit = "CNY_10k"

    @field_validator("metric")
    @classmethod
    def _parse(cls, v: str) -> str:
        Expr(v)
        return v

    @model_validator(mode="after")
    def _bounds(self):
        if self.op == "range" and (self.lower is None or self.upper is None):
            raise ValueError("a 'range' condition needs both 'lower' and 'upper'")
        if self.op != "range" and self.value is None:
            raise ValueError(f"condition with op {self.op!r} needs 'value'")
        return self


class Criterion(_Model):
    id: str
    ref: str | None = None
    description_zh: str = ""
    description_en: str = ""
    metric: str | None = None
    op: Op
    threshold: bool | float | list[str] | None = None
    unit: Unit | None = None
    condition: Condition | None = None
    criteria: list[Criterion] = []
    source: Source | None = None
    status: Literal["verified", "unverified", "derived"] = "verified"
    assessed: bool = False
    gap: Gap | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _shape(self):
        if self.op in GROUP_OPS:
            if not self.criteria:
                raise ValueError(f"criterion {self.id}: op {self.op} needs sub-criteria")
            if self.metric:
                raise ValueError(f"criterion {self.id}: op {self.op} takes sub-criteria, "
                                 "not a metric")
            return self
        if not self.metric:
            raise ValueError(f"criterion {self.id}: op {self.op!r} needs a 'metric'")
        Expr(self.metric)
        if self.op == "in" and not isinstance(self.threshold, list):
            raise ValueError(f"criterion {self.id}: op 'in' needs a list threshold")
        if self.op in (">=", "<=", ">", "<") and (
                isinstance(self.threshold, (bool, list)) or self.threshold is None):
            raise ValueError(f"criterion {self.id}: op {self.op!r} needs a number threshold")
        if self.op in (">=", "<=", ">", "<") and self.unit is None:
            raise ValueError(f"criterion {self.id}: give the 'unit' of the threshold")
        return self

    def leaves(self):
        """This criterion and all sub-criteria, depth first."""
        yield self
        for c in self.criteria:
            yield from c.leaves()


class Band(_Model):
    when: str | None = None
    points: float

    @field_validator("when")
    @classmethod
    def _parse(cls, v):
        if v is not None:
            Expr(v)
        return v


class ScoreItem(_Model):
    id: str
    name_zh: str = ""
    name_en: str = ""
    group: str = "total"
    max_points: float
    points: str | None = None
    bands: list[Band] = []

    @model_validator(mode="after")
    def _one(self):
        if (self.points is None) == (not self.bands):
            raise ValueError(f"score item {self.id}: give either 'points' (an expression) "
                             "or 'bands'")
        if self.points is not None:
            Expr(self.points)
        return self


class Scoring(_Model):
    id: str
    source: Source | None = None
    notes: str = ""
    items: list[ScoreItem]

    @field_validator("id")
    @classmethod
    def _ident(cls, v: str) -> str:
        if not v.isidentifier():
            raise ValueError(f"scoring id {v!r} must be a plain name (letters, digits, _)")
        return v

    def metric_names(self) -> list[str]:
        groups = sorted({i.group for i in self.items} - {"total"})
        return [f"score_{self.id}"] + [f"score_{self.id}_{g}" for g in groups]


class Programme(_Model):
    id: str
    yaml_id: str | None = None
    name_zh: str
    name_en: str
    document: str
    provisional: bool = False
    status_note: str = ""
    combination: Literal["all_of", "any_of"] = "all_of"
    criteria: list[Criterion]
    scoring: Scoring | None = None

    def leaves(self) -> list[Criterion]:
        return [c for top in self.criteria for c in top.leaves()]

    @model_validator(mode="after")
    def _names(self):
        known = set(FIELDS) | set(self.scoring.metric_names() if self.scoring else [])
        seen: set[str] = set()
        for c in self.leaves():
            if c.id in seen:
                raise ValueError(f"criterion id {c.id!r} appears twice")
            seen.add(c.id)
            for text in [c.metric, c.condition.metric if c.condition else None]:
                if text:
                    unknown = Expr(text).names - known
                    if unknown:
                        raise ValueError(f"criterion {c.id}: unknown field(s) "
                                         f"{', '.join(sorted(unknown))} in {text!r}; see "
                                         "docs/enterprise-fields.md")
        if self.scoring:
            for item in self.scoring.items:
                for text in [item.points, *[b.when for b in item.bands]]:
                    if text and Expr(text).names - set(FIELDS):
                        raise ValueError(f"score item {item.id}: unknown field(s) "
                                         f"{', '.join(sorted(Expr(text).names - set(FIELDS)))}")
        return self


class RuleSet(_Model):
    ruleset_version: int
    derived_from: str = ""
    documents: dict[str, Document] = {}
    programmes: list[Programme]

    @model_validator(mode="after")
    def _unique(self):
        ids = [p.id for p in self.programmes]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"programme id(s) {', '.join(sorted(dup))} appear twice")
        return self

    def get(self, programme_id: str) -> Programme:
        for p in self.programmes:
            if p.id == programme_id:
                return p
        raise SchemaError(f"unknown programme {programme_id!r}; known: "
                          f"{', '.join(p.id for p in self.programmes)} "
                          "(list them with 'agglomera programmes')")


def _loc(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_ruleset(data: dict, *, origin: str) -> RuleSet:
    """Validate a rule-set mapping; errors name ``origin`` (the file) and the field."""
    if not isinstance(data, dict):
        raise SchemaError(f"{origin}: a rule-set file must be a mapping with "
                          "'ruleset_version' and 'programmes'")
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        lines = []
        for e in exc.errors()[:10]:
            where = _loc(e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            ident = _ident_at(data, e["loc"])
            lines.append(f"{origin}: {where}{f' ({ident})' if ident else ''}: {msg}")
        raise SchemaError("invalid rule set:\n" + "\n".join(lines)) from None
    except SchemaError as exc:
        raise SchemaError(f"{origin}: {exc}") from None


def _ident_at(data, loc) -> str:
    """The id of the innermost criterion/programme on the error path, for the message."""
    node, ident = data, ""
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            ident = node["id"]
    return ident


def bundled_rules_path() -> Path:
    return Path(str(resources.files("agglomera.data.screening").joinpath("programmes.yaml")))


@lru_cache(maxsize=1)
def _bundled() -> RuleSet:
    return load_rules(None)


def _reference_documents() -> dict[str, Document]:
    from agglomera.bundled import reference_file

    ref = yaml.safe_load(reference_file("enterprise_programs.yaml").read_text(encoding="utf-8"))
    return {k: Document(**{f: str(v.get(f, "")) for f in Document.model_fields if f in v})
            for k, v in ref["documents"].items()}


def load_rules(path: Path | str | None = None) -> RuleSet:
    """The bundled rule sets, plus (or overridden by) the programmes of a user file.

    A programme in the user file with the id of a bundled one replaces it; new ids are
    added. Documents not defined in the file are looked up in the bundled reference.
    """
    if path is None:
        text = bundled_rules_path().read_text(encoding="utf-8")
        rs = parse_ruleset(yaml.safe_load(text), origin="bundled programmes.yaml")
        docs = {**_reference_documents(), **rs.documents}
        return rs.model_copy(update={"documents": docs})
    p = Path(path)
    if not p.exists():
        raise SchemaError(f"{p}: no such rule-set file")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"{p}: not valid YAML ({exc})") from None
    user = parse_ruleset(data, origin=str(p))
    base = _bundled()
    docs = {**base.documents, **user.documents}
    for prog in user.programmes:
        if prog.document not in docs:
            raise SchemaError(f"{p}: programme {prog.id}: document {prog.document!r} is "
                              "not defined; add it under 'documents' in the file")
    ids = {q.id for q in user.programmes}
    progs = [q for q in base.programmes if q.id not in ids] + list(user.programmes)
    return RuleSet(ruleset_version=user.ruleset_version, derived_from=user.derived_from,
                   documents=docs, programmes=progs)
