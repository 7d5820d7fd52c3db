"""Report model → the data the template lays out (labels, bands, grouping, plan, layout decisions).

Pure: no files, no processes. Every decision the template would otherwise make
(colour bands, sorting, weakest categories, the derived improvement plan, date
formatting, labels per language) is taken here so that it can be unit-tested.
Text values stay *plain text*; the template escapes them.

The dataclasses below are the contract with the LaTeX template. Entry point:
:func:`build_view`. Decisions a caller must know:

* Bands: :func:`band_for` — good ≥ 80, fair ≥ 60, poor below (green/yellow/red).
* Questions are sorted by ``questionIndex`` and numbered 1…n; reference answers
  and key points are matched by ``questionIndex`` (``None``/``[]`` when absent).
  A blank ``userAnswer`` counts as not answered.
* Categories keep report order. When ``categoryScores`` is empty but questions
  exist, categories are derived from the questions (mean score rounded half up,
  question count, order of first appearance) and ``extra["categories_derived"]``
  is True. ``weakest``: up to 3 categories below 80, lowest first, ties in
  report order.
* Plan: the report's ``improvementPlan`` is printed in full when given.
  Otherwise one item per weakest category (actions that point at its weakest
  questions by number, then the catalogue's generic actions; catalogue
  resources), then one "general" item with the report's ``improvements``; when
  nothing is weak, a short keep-sharp item for the lowest category. Derived
  items hold at most 5 actions and 4 resources.
* The catalogue (``data/resources.json``, :mod:`texreport.catalogue`) gives the
  derived plan's generic actions and resources.
* Layout decisions: the cover's rows (:attr:`ReportView.cover_facts`), each band's
  name (:attr:`ReportView.band_labels`), and whether the category table may need
  to break across pages (more than :data:`LONG_TABLE_CATEGORIES` categories or
  more than :data:`LONG_TABLE_NAME_CHARS` characters in all their names).
* Metadata never invents a person: the author is the candidate's name or
  ``texreport``.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

from texreport.bands import BANDS, GOOD_THRESHOLD, Band, band_for
from texreport.catalogue import Resource, catalogue_entry_for, default_entry, same_name
from texreport.labels import labels_for
from texreport.limits import MAX_KEYWORDS_CHARS
from texreport.models import CategoryScore, PlanEntry, QuestionDetail, Report, normalize_language

__all__ = [
    "chart_label",
    "CHART_LABEL_CHARS",
    "Band",  # charts reads it here (charts is being rewritten; then bands is its one home)
    "Pair",
    "CategoryView",
    "QuestionView",
    "PlanItem",
    "Metadata",
    "ReportView",
    "MAX_WEAKEST",
    "MAX_PLAN_ACTIONS",
    "MAX_PLAN_RESOURCES",
    "LONG_TABLE_CATEGORIES",
    "LONG_TABLE_NAME_CHARS",
    "build_view",
    "format_datetime",
]




@dataclass(frozen=True)
class Pair:
    """A labelled value on the cover page (label is ours, value is user text)."""

    label: str
    value: str


@dataclass(frozen=True)
class CategoryView:
    position: int          # 0-based position in the chart CSV (row order)
    name: str              # user text
    score: int
    question_count: int
    band: Band


@dataclass(frozen=True)
class QuestionView:
    number: int                    # 1-based, for people
    question_index: int            # the report's questionIndex
    text: str                      # Markdown source
    category: str
    answer: str | None             # Markdown source; None = not answered
    score: int
    band: Band
    feedback: str                  # Markdown source
    reference_answer: str | None   # Markdown source; None when the report has none
    key_points: list[str]


@dataclass(frozen=True)
class PlanItem:
    area: str
    score: int | None          # the category score when the area is a category
    band: Band | None
    actions: list[str]
    resources: list[Resource]


@dataclass(frozen=True)
class Metadata:
    title: str
    author: str
    subject: str
    keywords: str
    creator: str


@dataclass(frozen=True)
class ReportView:
    lang: Literal["zh", "en"]
    labels: dict[str, str]          # every fixed string the template prints, in `lang`
    title: str
    session_id: str
    generated_at: str               # already formatted for `lang`
    candidate: list[Pair]           # only fields the report gives
    interview: list[Pair]           # only fields the report gives
    overall_score: int
    overall_band: Band
    total_questions: int
    answered_count: int
    overall_feedback: str           # Markdown source
    strengths: list[str]
    improvements: list[str]
    categories: list[CategoryView]  # report order
    weakest: list[CategoryView]     # lowest first, at most 3, only those below 80
    questions: list[QuestionView]   # by questionIndex
    plan: list[PlanItem]
    plan_is_derived: bool           # True when texreport derived the plan (report had none)
    metadata: Metadata
    band_labels: dict[Band, str]    # every band's name in `lang` (badges)
    cover_facts: list[Pair]         # the cover's rows: candidate, interview, question counts
    category_table_breaks: bool     # the category table may not fit a page: typeset it as a longtable
    extra: dict[str, object] = field(default_factory=dict)


# --------------------------------------------------------------------------- implementation

MAX_WEAKEST = 3
MAX_PLAN_ACTIONS = 5
MAX_PLAN_RESOURCES = 4
# Past these the category table may not fit one page; below them a plain table is used
# (longtable misplaces rows against its rules, so only when needed). A row holds ~14 CJK
# characters a line, so the rows take at most (all names' characters)/14 + (rows) lines.
LONG_TABLE_CATEGORIES = 25
LONG_TABLE_NAME_CHARS = 140   # all category names together
_QUESTION_ACTIONS_PER_AREA = 2  # leaves room for the catalogue's generic actions

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_datetime(value: datetime | date, lang: str) -> str:
    """``2026年11月29日 14:30`` / ``29 Nov 2026, 14:30``; a plain date drops the time.

    An aware value is shown in its own offset (never converted), followed by
    ``UTC`` or ``UTC+08:00`` so that the reader knows which clock it is.
    """
    if lang == "zh":
        text = f"{value.year}年{value.month}月{value.day}日"
    else:
        text = f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"
    if not isinstance(value, datetime):
        return text
    text += f" {value:%H:%M}" if lang == "zh" else f", {value:%H:%M}"
    offset = value.utcoffset()
    if offset is not None:
        if not offset:
            text += " UTC"
        else:
            minutes = int(offset.total_seconds()) // 60
            sign = "+" if minutes >= 0 else "-"
            text += f" UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text


# --------------------------------------------------------------------------- the view


def build_view(report: Report, *, lang: str | None = None, generated_at: datetime | None = None) -> ReportView:
    """Everything the template prints, decided here so that it can be tested without TeX.

    ``lang`` overrides the report's own ``language`` (default ``zh``).
    ``generated_at`` defaults to now in UTC (printed with a ``UTC`` suffix); a
    naive value is printed as given, without a suffix.
    """
    language = normalize_language(lang) if lang is not None else (report.language or "zh")
    labels = labels_for(language)
    when_generated = generated_at if generated_at is not None else datetime.now(UTC)
    questions = _questions(report)
    categories, categories_derived = _categories(report)
    weakest = _weakest(categories)
    plan, plan_is_derived = _plan(report, language, labels, categories, weakest, questions)
    candidate = _candidate_pairs(report, labels)
    interview = _interview_pairs(report, labels, language)
    total_questions = report.total_questions if report.total_questions is not None else len(questions)
    answered_count = sum(1 for question in questions if question.answer is not None)
    return ReportView(
        lang=language,
        labels=labels,
        title=labels["title"],
        session_id=report.session_id,
        generated_at=format_datetime(when_generated, language),
        candidate=candidate,
        interview=interview,
        overall_score=report.overall_score, overall_band=band_for(report.overall_score),
        total_questions=total_questions, answered_count=answered_count,
        overall_feedback=report.overall_feedback,
        strengths=_non_blank(report.strengths), improvements=_non_blank(report.improvements),
        categories=categories,
        weakest=weakest,
        questions=questions,
        plan=plan, plan_is_derived=plan_is_derived,
        metadata=_metadata(report, labels, categories),
        band_labels={band: labels[f"band_{band}"] for band in BANDS},
        cover_facts=_cover_facts(labels, candidate, interview, total_questions, answered_count),
        category_table_breaks=_table_breaks(categories),
        extra={"categories_derived": categories_derived},
    )


def _plan(report: Report, language: str, labels: dict[str, str], categories: list[CategoryView],
          weakest: list[CategoryView], questions: list[QuestionView]) -> tuple[list[PlanItem], bool]:
    """The report's own improvement plan, else one derived from its weakest areas; and whether it was derived."""
    if report.improvement_plan is not None:
        return _explicit_plan(report.improvement_plan.items, categories), False
    return _derived_plan(report, language, labels, categories, weakest, questions), True


def _cover_facts(labels: dict[str, str], candidate: list[Pair], interview: list[Pair], total_questions: int,
                 answered_count: int) -> list[Pair]:
    """The cover's rows: the candidate, the interview, then the question counts."""
    return [*candidate, *interview, Pair(labels["total_questions"], str(total_questions)),
            Pair(labels["answered"], str(answered_count))]


def _table_breaks(categories: list[CategoryView]) -> bool:
    characters = sum(len(category.name) for category in categories)
    return len(categories) > LONG_TABLE_CATEGORIES or characters > LONG_TABLE_NAME_CHARS


def _non_blank(texts: Iterable[str | None]) -> list[str]:
    return [text for text in texts if text is not None and text.strip()]


def _candidate_pairs(report: Report, labels: dict[str, str]) -> list[Pair]:
    candidate = report.candidate
    if candidate is None:
        return []
    given = (
        ("candidate", candidate.name),
        ("target_position", candidate.target_position),
        ("experience", candidate.experience_level),
    )
    return [Pair(labels[key], value) for key, value in given if value is not None]


def _interview_pairs(report: Report, labels: dict[str, str], lang: str) -> list[Pair]:
    interview = report.interview
    if interview is None:
        return []
    pairs: list[Pair] = []
    if interview.when is not None:
        pairs.append(Pair(labels["interview_date"], format_datetime(interview.when, lang)))
    if interview.interviewer is not None:
        pairs.append(Pair(labels["interviewer"], interview.interviewer))
    if interview.interview_type is not None:
        pairs.append(Pair(labels["interview_type"], interview.interview_type))
    return pairs


def _questions(report: Report) -> list[QuestionView]:
    references = {reference.question_index: reference for reference in report.reference_answers}
    ordered = sorted(report.question_details, key=lambda detail: detail.question_index)
    views = []
    for position, detail in enumerate(ordered):
        reference = references.get(detail.question_index)
        reference_text = reference.reference_answer if reference is not None else None
        views.append(
            QuestionView(
                number=position + 1,
                question_index=detail.question_index,
                text=detail.question,
                category=detail.category,
                answer=detail.user_answer if detail.answered else None,
                score=detail.score,
                band=band_for(detail.score),
                feedback=detail.feedback,
                reference_answer=reference_text if reference_text and reference_text.strip() else None,
                key_points=_non_blank(reference.key_points) if reference is not None else [],
            )
        )
    return views


def _categories(report: Report) -> tuple[list[CategoryView], bool]:
    """Categories in report order; derived from the questions when ``categoryScores`` is empty."""
    scores: Sequence[CategoryScore] = report.category_scores
    if scores or not report.question_details:
        return [_category_view(i, c.category, c.score, c.question_count) for i, c in enumerate(scores)], False
    groups: dict[str, list[QuestionDetail]] = {}
    for detail in sorted(report.question_details, key=lambda d: d.question_index):
        groups.setdefault(detail.category, []).append(detail)
    views = []
    for position, (name, members) in enumerate(groups.items()):
        average = sum(member.score for member in members) / len(members)
        # Half up, as for fractional input scores (round() would round 72.5 to 72).
        views.append(_category_view(position, name, int(average + 0.5), len(members)))
    return views, True


def _category_view(position: int, name: str, score: int, count: int) -> CategoryView:
    return CategoryView(position=position, name=name, score=score, question_count=count, band=band_for(score))


def _weakest(categories: list[CategoryView]) -> list[CategoryView]:
    below = [category for category in categories if category.score < GOOD_THRESHOLD]
    # sorted() is stable and positions follow report order, so ties keep report order.
    return sorted(below, key=lambda category: (category.score, category.position))[:MAX_WEAKEST]


def _explicit_plan(entries: Sequence[PlanEntry], categories: list[CategoryView]) -> list[PlanItem]:
    # The report's own plan is printed in full: capping it would hide text the producer wrote.
    items = []
    for entry in entries:
        score = entry.score
        if score is None:
            score = next((c.score for c in categories if same_name(c.name, entry.area)), None)
        items.append(
            PlanItem(
                area=entry.area,
                score=score,
                band=band_for(score) if score is not None else None,
                actions=_non_blank(entry.actions),
                resources=[
                    Resource(title=resource.title, detail=" · ".join(_non_blank((resource.detail, resource.url))))
                    for resource in entry.resources
                ],
            )
        )
    return items


def _question_actions(category: CategoryView, questions: list[QuestionView], labels: dict[str, str]) -> list[str]:
    """Point at the category's weakest questions by number (never by truncated user text)."""
    members = [
        question
        for question in questions
        if same_name(question.category, category.name)
        and (question.answer is None or question.score < GOOD_THRESHOLD)
    ]
    members.sort(key=lambda question: (question.score, question.number))
    actions = []
    for question in members[:_QUESTION_ACTIONS_PER_AREA]:
        if question.answer is None:
            # Only point at a reference answer the PDF actually prints.
            key = "plan_answer_question" if question.reference_answer else "plan_answer_question_no_reference"
            actions.append(labels[key].format(number=question.number))
        elif question.key_points:
            actions.append(
                labels["plan_review_question_points"].format(
                    number=question.number, score=question.score, points=len(question.key_points)
                )
            )
        else:
            actions.append(labels["plan_review_question"].format(number=question.number, score=question.score))
    return actions


def _catalogue_item(
    category: CategoryView, lead_actions: list[str], lang: str, *, resource_count: int = MAX_PLAN_RESOURCES
) -> PlanItem:
    entry = catalogue_entry_for(category.name)
    actions = [*lead_actions, *entry.actions.get(lang, ())][:MAX_PLAN_ACTIONS]
    return PlanItem(
        area=category.name,
        score=category.score,
        band=category.band,
        actions=actions,
        resources=entry.resources_for(lang)[: min(resource_count, MAX_PLAN_RESOURCES)],
    )


def _derived_plan(
    report: Report,
    lang: str,
    labels: dict[str, str],
    categories: list[CategoryView],
    weakest: list[CategoryView],
    questions: list[QuestionView],
) -> list[PlanItem]:
    items = [_catalogue_item(category, _question_actions(category, questions, labels), lang) for category in weakest]
    if not weakest and categories:
        # Nothing is weak: still give one short item, for the lowest category, so the section is useful.
        lowest = min(categories, key=lambda category: (category.score, category.position))
        item = _catalogue_item(lowest, [labels["plan_keep_sharp_action"]], lang, resource_count=2)
        items.append(_trimmed(item, 3))
    general = _non_blank(report.improvements)
    if general:
        items.append(
            PlanItem(area=labels["plan_general"], score=None, band=None, actions=general[:MAX_PLAN_ACTIONS],
                     resources=[])
        )
    if not items:
        fallback = default_entry()
        items.append(
            PlanItem(
                area=labels["plan_general"],
                score=None,
                band=None,
                actions=list(fallback.actions.get(lang, ()))[:MAX_PLAN_ACTIONS],
                resources=fallback.resources_for(lang)[:MAX_PLAN_RESOURCES],
            )
        )
    return items


def _trimmed(item: PlanItem, action_count: int) -> PlanItem:
    return PlanItem(
        area=item.area, score=item.score, band=item.band, actions=item.actions[:action_count], resources=item.resources
    )


def _version() -> str:
    try:
        from texreport import __version__

        return str(__version__)
    except ImportError:
        try:
            return importlib.metadata.version("texreport")
        except importlib.metadata.PackageNotFoundError:
            return "unknown"


def _keywords(names: list[str]) -> str:
    """The category names as PDF keywords, whole names only, at most MAX_KEYWORDS_CHARS characters.

    Metadata goes on one source line (TeX reads lines of at most ~200,000 bytes, and a
    character is up to 8 hex digits there); the names themselves are all printed anyway.
    """
    kept: list[str] = []
    length = 0
    for name in names:
        length += len(name) + (2 if kept else 0)
        if length > MAX_KEYWORDS_CHARS:
            break
        kept.append(name)
    return ", ".join(kept)


def _metadata(report: Report, labels: dict[str, str], categories: list[CategoryView]) -> Metadata:
    candidate = report.candidate
    position = candidate.target_position if candidate is not None else None
    subject = labels["subject_with_position"].format(position=position) if position else labels["subject"]
    return Metadata(
        title=f"{labels['title']} — {report.session_id}",
        # Never a made-up person: without a candidate name the author is the program.
        author=candidate.name if candidate is not None and candidate.name else "texreport",
        subject=subject,
        keywords=_keywords([category.name for category in categories]),
        creator=f"texreport {_version()}",
    )


CHART_LABEL_CHARS = 40


def chart_label(name: str, limit: int = CHART_LABEL_CHARS) -> str:
    """A category name as a chart's tick label: at most ``limit`` characters, then "…".

    Charts have room for a short label only; the full name is always printed in the
    category table, so nothing the user typed is lost.
    """
    name = " ".join(name.split())
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"

