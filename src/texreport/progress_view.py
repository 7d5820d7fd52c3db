"""Progress comparison → the data ``latex/progress.tex.j2`` lays out (labels, colours, table chunks, plan).

Pure, like :mod:`texreport.view`: every decision the template would otherwise
make is taken here. Text values stay plain text; the template escapes them.
Entry point: :func:`build_progress_view`. Decisions a caller must know:

* Deltas print as an arrow and a signed number (``↑ +5``, ``↓ -3``, ``— 0``);
  a category a session did not score is a cell without a score (a dash), never 0.
* The category × session table is cut into chunks of :data:`SESSIONS_PER_TABLE`
  sessions so that 50 sessions never run off the page; each chunk repeats the
  category column.
* The overall trend labels at most :data:`MAX_TREND_TICKS` sessions on its axis
  (1, then every k-th, k in 2, 5, 10 …); small multiples are drawn for the
  categories scored in two or more sessions, at most :data:`MAX_TREND_PANELS`
  (every category stays in the table).
* Plan: the latest session's plan (its own, or derived as the single report
  derives it); every persistent weak area comes first, with an action that
  names its weak sessions; one the plan lacks gets a catalogue item.
* The footer and metadata name the candidate id when given, else the first
  session's id; the author is the candidate's name or ``texreport``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

from .bands import Band, band_for
from .catalogue import catalogue_entry_for
from .escape import LatexMarkup
from .labels import labels_for
from .progress import Ask, Change, Progress, Session, WeakArea, category_key
from .view import (
    MAX_PLAN_ACTIONS,
    MAX_PLAN_RESOURCES,
    Metadata,
    Pair,
    PlanItem,
    chart_label,
    format_datetime,
)

__all__ = ["Delta", "SessionRow", "Cell", "CategoryRow", "TableChunk", "ChangeLine", "WeakLine", "AskView",
           "RepeatedView", "PlanEntryView", "ProgressView", "build_progress_view", "SESSIONS_PER_TABLE",
           "MAX_TREND_TICKS", "MAX_TREND_PANELS"]

SESSIONS_PER_TABLE = 8
MAX_TREND_TICKS = 25
MAX_TREND_PANELS = 24
SLANT_TICKS_ABOVE = 10       # more sessions than this: the axis labels are slanted
MAX_VALUE_LABELS = 20        # more sessions than this: no score printed at each point
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

DeltaKind = Literal["up", "down", "same"]


@dataclass(frozen=True)
class Delta:
    kind: DeltaKind
    arrow: str      # ↑ ↓ —
    text: str       # +5, -3, 0

    @classmethod
    def of(cls, change: int) -> Delta:
        if change > 0:
            return cls("up", "↑", f"+{change}")
        if change < 0:
            return cls("down", "↓", str(change))
        return cls("same", "—", "0")


@dataclass(frozen=True)
class SessionRow:
    number: int
    session_id: str
    date: str               # formatted, or the "not given" label
    tick: str               # the axis label: a short date, else "#n"
    score: int
    band: Band
    delta: Delta | None     # from the previous session
    questions: int
    answered: int


@dataclass(frozen=True)
class Cell:
    score: int | None       # None: the session did not score this category
    band: Band | None
    delta: Delta | None


@dataclass(frozen=True)
class CategoryRow:
    position: int           # order of first appearance; names the chart label macro
    name: str
    cells: list[Cell]


@dataclass(frozen=True)
class TableChunk:
    sessions: list[int]     # session numbers, one column each
    rows: list[CategoryRow]


@dataclass(frozen=True)
class ChangeLine:
    name: str
    first_session: int
    first_score: int
    last_session: int
    last_score: int
    band: Band              # of the latest score
    delta: Delta


@dataclass(frozen=True)
class WeakLine:
    name: str
    weak: list[tuple[int, int]]     # (session number, score)
    latest_score: int
    latest_band: Band


@dataclass(frozen=True)
class AskView:
    where: str              # "第 2 场第 3 题" / "session 2, question 3"
    score: int
    band: Band
    answered: bool


@dataclass(frozen=True)
class RepeatedView:
    text: str               # Markdown source, as first asked
    asks: list[AskView]


@dataclass(frozen=True)
class PlanEntryView:
    item: PlanItem
    persistent: bool


@dataclass(frozen=True)
class ProgressView:
    lang: Literal["zh", "en"]
    labels: dict[str, str]
    title: str
    footer_label: str               # "候选人编号" or "会话编号"
    footer_id: str                  # the candidate id, else the first session's id
    generated_at: str
    cover: list[Pair]               # candidate details, period, sessions
    latest_score: int
    latest_band: Band
    since_first: str                # "较第一场 +16"
    sessions: list[SessionRow]
    trend_ticks: str                # "1,2,3" or "1,5,10,…": the labelled sessions
    trend_tick_style: str           # a tick style of texreport.sty: upright labels, slanted when many
    trend_value_style: str          # scores printed at the points, or not when crowded
    categories: list[CategoryRow]   # every category, all sessions
    chunks: list[TableChunk]
    trend_panels: list[CategoryRow] # categories scored in two or more sessions (at most MAX_TREND_PANELS)
    more_trends_note: str           # "" or "4 more categories are not drawn …"
    long_names: list[CategoryRow]   # names the table and charts shorten: printed in full after the table
    improvements: list[ChangeLine]
    regressions: list[ChangeLine]
    persistent_weak: list[WeakLine]
    repeated: list[RepeatedView]
    repeated_more_note: str         # "" or "3 more repeated questions are not listed."
    plan: list[PlanEntryView]
    plan_is_derived: bool
    plan_note: str                  # whose plan it is (names the latest session's id)
    metadata: Metadata
    extra: dict[str, object] = field(default_factory=dict)


def build_progress_view(progress: Progress, *, generated_at: datetime | None = None) -> ProgressView:
    """Everything ``progress.tex.j2`` prints; ``generated_at`` defaults to now (UTC)."""
    latest = progress.latest
    lang = latest.view.lang
    labels = labels_for(lang)
    moment = generated_at if generated_at is not None else datetime.now(UTC)
    categories = _category_rows(progress)
    drawn = [row for row in categories if sum(cell.score is not None for cell in row.cells) >= 2]
    footer_id = progress.candidate_id or progress.first.session_id
    count, repeated = len(progress.sessions), progress.repeated
    return ProgressView(
        lang=lang,
        labels=labels,
        title=labels["progress_title"],
        footer_label=labels["progress_candidate_id" if progress.candidate_id else "session_id"],
        footer_id=footer_id,
        generated_at=format_datetime(moment, lang),
        cover=_cover(progress, labels, lang),
        latest_score=latest.score,
        latest_band=band_for(latest.score),
        since_first=_since_first(progress, labels),
        sessions=_session_rows(progress, labels, lang),
        trend_ticks=LatexMarkup(_ticks(len(progress.sessions), MAX_TREND_TICKS)),
        trend_tick_style=LatexMarkup("TRtickslanted" if count > SLANT_TICKS_ABOVE else "TRtickupright"),
        trend_value_style=LatexMarkup("TRtrendvalues" if count <= MAX_VALUE_LABELS else "TRtrendplain"),
        categories=categories,
        chunks=_chunks(categories, len(progress.sessions)),
        trend_panels=drawn[:MAX_TREND_PANELS],
        more_trends_note=_count_note(labels["progress_more_trends"], len(drawn) - MAX_TREND_PANELS),
        long_names=[row for row in categories if chart_label(row.name) != " ".join(row.name.split())],
        improvements=[_change_line(c) for c in progress.improvements],
        regressions=[_change_line(c) for c in progress.regressions],
        persistent_weak=[_weak_line(area) for area in progress.persistent_weak],
        repeated=[_repeated(r.text, r.asks, labels) for r in progress.repeated],
        repeated_more_note=_count_note(labels["progress_repeated_more"], progress.repeated_total - len(repeated)),
        plan=_plan(progress, labels, lang),
        plan_is_derived=latest.view.plan_is_derived,
        plan_note=labels["progress_plan_note"].format(session=latest.session_id),
        metadata=_metadata(progress, labels, footer_id, categories),
    )


# --------------------------------------------------------------------------- cover and sessions


def _count_note(template: str, count: int) -> str:
    return template.format(count=count) if count > 0 else ""


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _cover(progress: Progress, labels: dict[str, str], lang: str) -> list[Pair]:
    pairs = list(progress.latest.view.candidate)
    if progress.candidate_id:
        pairs.insert(0, Pair(labels["progress_candidate_id"], progress.candidate_id))
    days = [_day(s.when) for s in progress.sessions if s.when is not None]
    if days:
        first, last = format_datetime(min(days), lang), format_datetime(max(days), lang)
        pairs.append(Pair(labels["progress_period"], first if first == last else f"{first} – {last}"))
    pairs.append(Pair(labels["progress_session_count"], str(len(progress.sessions))))
    return pairs


def _since_first(progress: Progress, labels: dict[str, str]) -> str:
    change = progress.latest.score - progress.first.score
    if change == 0:
        return labels["progress_no_change_since_first"]
    delta = Delta.of(change)
    return labels["progress_since_first"].format(delta=f"{delta.arrow} {delta.text}")


def _tick(session: Session, lang: str, one_year: bool) -> str:
    if session.when is None:
        return f"#{session.number}"
    day = _day(session.when)
    if lang == "zh":
        return f"{day.month}月{day.day}日" if one_year else f"{day.year}/{day.month}/{day.day}"
    text = f"{day.day} {_EN_MONTHS[day.month - 1]}"
    return text if one_year else f"{text} {day.year}"


def _session_rows(progress: Progress, labels: dict[str, str], lang: str) -> list[SessionRow]:
    years = {_day(s.when).year for s in progress.sessions if s.when is not None}
    rows = []
    for session, delta in zip(progress.sessions, progress.overall_deltas, strict=True):
        view = session.view
        rows.append(SessionRow(
            number=session.number,
            session_id=session.session_id,
            date=format_datetime(session.when, lang) if session.when is not None else labels["progress_no_date"],
            tick=_tick(session, lang, len(years) <= 1),
            score=session.score,
            band=band_for(session.score),
            delta=Delta.of(delta) if delta is not None else None,
            questions=view.total_questions,
            answered=view.answered_count,
        ))
    return rows


def _ticks(count: int, most: int) -> str:
    """The labelled sessions: all of them, or every k-th from the first (k a round number) when there are many."""
    step = max(1, -(-count // most))
    if step > 1:
        step = next(nice for nice in (2, 5, 10, 20, 25, 50) if nice >= step)
    return ",".join(str(n) for n in range(1, count + 1, step))


# --------------------------------------------------------------------------- categories


def _category_rows(progress: Progress) -> list[CategoryRow]:
    rows = []
    for position, trend in enumerate(progress.categories):
        cells = [
            Cell(score, band_for(score) if score is not None else None, Delta.of(delta) if delta is not None else None)
            for score, delta in zip(trend.scores, trend.deltas, strict=True)
        ]
        rows.append(CategoryRow(position=position, name=trend.name, cells=cells))
    return rows


def _chunks(rows: list[CategoryRow], sessions: int) -> list[TableChunk]:
    chunks = []
    for start in range(0, sessions, SESSIONS_PER_TABLE):
        stop = min(start + SESSIONS_PER_TABLE, sessions)
        chunks.append(TableChunk(
            sessions=list(range(start + 1, stop + 1)),
            rows=[CategoryRow(row.position, row.name, row.cells[start:stop]) for row in rows],
        ))
    return chunks


# --------------------------------------------------------------------------- what changed


def _change_line(change: Change) -> ChangeLine:
    return ChangeLine(
        name=change.name,
        first_session=change.first[0],
        first_score=change.first[1],
        last_session=change.last[0],
        last_score=change.last[1],
        band=band_for(change.last[1]),
        delta=Delta.of(change.delta),
    )


def _weak_line(area: WeakArea) -> WeakLine:
    return WeakLine(name=area.name, weak=area.weak, latest_score=area.latest[1], latest_band=band_for(area.latest[1]))


def _repeated(text: str, asks: list[Ask], labels: dict[str, str]) -> RepeatedView:
    views = []
    for ask in asks:
        where = labels["progress_ask"].format(session=ask.session, question=ask.question)
        views.append(AskView(where=where, score=ask.score, band=band_for(ask.score), answered=ask.answered))
    return RepeatedView(text=text, asks=views)


# --------------------------------------------------------------------------- plan


def _weak_action(area: WeakArea, labels: dict[str, str]) -> str:
    scores = ", ".join(f"#{number}: {score}" for number, score in area.weak)
    return labels["progress_weak_action"].format(count=len(area.weak), scores=scores)


def _plan(progress: Progress, labels: dict[str, str], lang: str) -> list[PlanEntryView]:
    remaining = list(progress.latest.view.plan)
    first: list[PlanEntryView] = []
    for area in progress.persistent_weak:
        key = category_key(area.name)
        found = next((item for item in remaining if category_key(item.area) == key), None)
        action = _weak_action(area, labels)
        if found is not None:
            remaining.remove(found)
            item = PlanItem(found.area, found.score, found.band, [action, *found.actions], found.resources)
        else:
            entry = catalogue_entry_for(area.name)
            score = area.latest[1]
            item = PlanItem(area=area.name, score=score, band=band_for(score),
                            actions=[action, *entry.actions.get(lang, ())][:MAX_PLAN_ACTIONS],
                            resources=entry.resources_for(lang)[:MAX_PLAN_RESOURCES])
        first.append(PlanEntryView(item, persistent=True))
    return first + [PlanEntryView(item, persistent=False) for item in remaining]


# --------------------------------------------------------------------------- metadata


def _metadata(progress: Progress, labels: dict[str, str], footer_id: str, rows: list[CategoryRow]) -> Metadata:
    latest = progress.latest.view.metadata
    candidate = progress.latest.report.candidate
    position = candidate.target_position if candidate is not None else None
    subject = (labels["progress_subject_with_position"].format(position=position) if position
               else labels["progress_subject"])
    return Metadata(
        title=f"{labels['progress_title']} — {footer_id}",
        author=latest.author,
        subject=subject,
        keywords=", ".join(row.name for row in rows),
        creator=latest.creator,
    )
