"""The public API is small and honest: each module's __all__ is exactly the names it is meant to export.

:data:`EXPORTS` is the table, module by module; a new module must be added to it (so it declares its API), and
a public (non-underscore) function or class a module defines is either exported or made ``_private``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import texreport

PACKAGE = Path(texreport.__file__).resolve().parent

#: module → the exact set of names its ``__all__`` exports.
EXPORTS: dict[str, set[str]] = {
    "texreport": {"CompileError", "CompileTimeout", "InputError", "LimitError", "RenderError", "RenderOptions",
        "Report", "TexreportError", "ToolMissingError", "UnsupportedCharacterError", "__version__", "load_document",
        "load_json", "render", "render_to_file"},
    "texreport.atomic": {"user_file_mode", "write_atomic"},
    "texreport.bands": {"BANDS", "Band", "FAIR_THRESHOLD", "GOOD_THRESHOLD", "band_for"},
    "texreport.batch": {"BatchItem", "BatchResult", "BatchSummary", "DEFAULT_GROUP", "expand_inputs", "parse_shard",
        "plan_batch", "run_batch", "shard_from_environment"},
    "texreport.catalogue": {"CatalogueEntry", "Resource", "catalogue_entry_for", "default_entry", "load_catalogue",
        "same_name"},
    "texreport.charts": {"BANDS", "BarChart", "ChartData", "MAX_BARS_PER_CHART", "MAX_QUESTION_TICKS",
        "MAX_RADAR_AXES", "build_charts"},
    "texreport.cli": {"cli", "main"},
    "texreport.compiler": {"CompileLimits", "CompileResult", "LogProblem", "check_log", "check_result", "compile_tex",
        "compile_xdv", "disk_full_as_error", "finish_xelatex", "kill_group", "limited_command", "parse_log",
        "sandbox_environment", "start_sandboxed", "start_xelatex", "xdv_to_pdf", "xelatex_command",
        "xelatex_executable"},
    "texreport.coverage": {"CodepointRanges", "FontChain", "cmap_coverage", "default_chain", "font_chain"},
    "texreport.drivers": {"BODY_NAME", "COLD_TEX_NAME", "GROUP_TEX_NAME", "JOB_NAME", "TEX_NAME", "WORKER_TEX_NAME",
        "cold_driver", "group_body_name", "group_driver", "group_prefix", "standalone_driver", "worker_driver"},
    "texreport.errors": {"CompileError", "CompileTimeout", "DiskFullError", "InputError", "LimitError", "RenderError",
        "TexreportError", "ToolMissingError", "UnsupportedCharacterError", "printable"},
    "texreport.escape": {"LatexMarkup", "SUPPORT_MACROS", "clean_text", "escape_line", "escape_pieces", "escape_text",
        "join_pieces"},
    "texreport.fields": {"CHAR_LIMITS", "Kind", "LIST_FIELDS", "TEXT_FIELDS", "TextField", "field_for", "walk"},
    "texreport.fonts": {"DEFAULT_FONT_SET", "EXTRA_CJK_RANGES", "FONT_SETS", "FontClass", "FontFace", "FontFamily",
        "FontSet", "MISSING_CHARACTER_ERROR", "SYMBOL_RANGES", "char_class_setup_text", "font_class",
        "font_setup_latex", "font_setup_text"},
    "texreport.formats": {"CLASSES_NAME", "FONTS_NAME", "PREAMBLE_NAME", "PRELOAD_NAME", "STYLE_FILE",
        "ensure_format", "fixed_files", "forget_format", "format_enabled", "format_path", "format_refused",
        "preamble_input"},
    "texreport.highlight": {"LANGUAGES", "TOKEN_CLASSES", "code_block_latex", "language_of"},
    "texreport.http": {"Settings", "create_app"},
    "texreport.http.app": {"CORS_EXPOSED_HEADERS", "create_app", "warm_pool"},
    "texreport.http.deps": {"CandidateId", "LangDep", "Services", "ServicesDep", "SessionDep", "SessionId",
        "ThemeDep", "checked_lang", "picked_theme", "safe_candidate_id", "safe_session_id", "services",
        "session_record"},
    "texreport.http.exports": {"Disconnected", "Exports", "PdfResult", "Renderer", "ReportNotGenerated", "cache_key",
        "content_version", "digest", "etag_matches", "etag_of", "theme_argument", "theme_part"},
    "texreport.http.metrics": {"COMPILE_PATHS", "CONTENT_TYPE", "Metrics"},
    "texreport.http.middleware": {"RequestContext"},
    "texreport.http.pdf_memory": {"PdfMemory"},
    "texreport.http.progress_exports": {"CandidateNotFound", "PROGRESS_CACHE_SIZE", "ProgressExports",
        "ProgressRenderer", "TooFewReports", "parse_documents"},
    "texreport.http.protocol": {"TIMEOUT_RESPONSE", "guarded_protocol"},
    "texreport.http.readiness": {"READINESS_DOCUMENT", "READINESS_TEXT", "Readiness", "Verdict"},
    "texreport.http.records": {"AnswerRecord", "CachedPdf", "CandidateSession", "SessionRecord", "SessionStatus",
        "SessionSummary", "StoredReport", "canonical_json"},
    "texreport.http.render_ahead": {"RenderAhead", "RenderAheadStats"},
    "texreport.http.render_queue": {"ClientGone", "QueueFull", "QueueStats", "RenderQueue"},
    "texreport.http.renderers": {"pipeline_progress_renderer", "pipeline_renderer"},
    "texreport.http.reports": {"answer_field", "build_report", "drop_surrogates", "field_errors", "merged_document",
        "report_data", "validated_report"},
    "texreport.http.responses": {"EXPORT_RESPONSES", "PDF_TYPE", "RangeNotSatisfiable", "envelope", "not_modified",
        "pdf_response", "plain"},
    "texreport.http.routes": {"export", "probes", "sessions"},
    "texreport.http.routes.export": {"router"},
    "texreport.http.routes.probes": {"STATIC_DIR", "router"},
    "texreport.http.routes.progress": {"router"},
    "texreport.http.routes.sessions": {"AnswerSubmission", "REPORT_BODY", "router", "session_view"},
    "texreport.http.schema": {"FIRST_REVISION", "VERSION_TABLE", "current_revision", "head_revision", "upgrade"},
    "texreport.http.server": {"JsonLogFormatter", "configure_logging", "run_server"},
    "texreport.http.settings": {"Settings"},
    "texreport.http.statuses": {"ParameterInvalid", "Rejected", "STATUSES", "Status", "install", "is_export_path",
        "response_for", "status_of"},
    "texreport.http.store": {"PDF_VARIANTS", "QuestionNotFound", "SessionExists", "SessionNotFound", "Store",
        "StoreError", "normalize_url"},
    "texreport.jobdirs": {"job_folder", "make_job_folder", "remove_orphans", "write_files"},
    "texreport.labels": {"DEFAULT_LANGUAGE", "LANGUAGES", "labels_for"},
    "texreport.launch": {"main"},
    "texreport.limits": {"MAX_CATEGORIES", "MAX_COUNT", "MAX_DOCUMENT_BYTES", "MAX_HEADING_CHARS", "MAX_INT_DIGITS",
        "MAX_ITEM_CHARS", "MAX_KEYWORDS_CHARS", "MAX_LABEL_CHARS", "MAX_LIST_ITEMS", "MAX_QUESTIONS",
        "MAX_TEXT_CHARS", "MAX_TEXT_LINES", "MAX_TOTAL_CHARS", "SESSION_ID_MAX_LENGTH"},
    "texreport.markdown": {"LINK_SCHEMES", "MAX_NESTING", "markdown_to_latex"},
    "texreport.models": {"Candidate", "CategoryScore", "DocumentInvalid", "ImprovementPlan", "Interview", "Language",
        "PlanEntry", "PlanResource", "QuestionDetail", "ReferenceAnswer", "Report", "check_limits",
        "iter_text_fields", "load_document", "load_json", "normalize_language"},
    "texreport.naming": {"EXPORT_PREFIX", "PROGRESS_PREFIX", "SESSION_ID_PATTERN", "ascii_export_filename",
        "content_disposition", "export_filename", "is_safe_session_id", "progress_content_disposition",
        "progress_filename"},
    "texreport.paths": {"cache_dir", "latex_dir", "xdg_cache_home"},
    "texreport.pipeline": {"JobSource", "RenderOptions", "assemble_job", "check_characters", "compile_job", "prepare",
        "render", "render_to_file", "write_source"},
    "texreport.progress": {"Ask", "CategoryTrend", "Change", "MAX_CHANGES", "MAX_REPEATED_QUESTIONS", "MAX_SESSIONS",
        "MIN_SESSIONS", "Progress", "RepeatedQuestion", "Session", "SessionInput", "WEAK_THRESHOLD", "WeakArea",
        "build_progress", "category_key", "check_sessions", "located_field", "progress_identifier", "question_key"},
    "texreport.progress_charts": {"ProgressCharts", "build_progress_charts"},
    "texreport.progress_pipeline": {"PROGRESS_TEMPLATE", "expand_session_paths", "located", "prepare_progress",
        "read_sessions", "render_progress", "render_progress_to_file"},
    "texreport.progress_sample": {"SAMPLE_CANDIDATE_ID", "progress_sample_documents", "progress_sample_json",
        "write_progress_sample"},
    "texreport.progress_view": {"AskView", "CategoryRow", "Cell", "ChangeLine", "Delta", "MAX_TREND_PANELS",
        "MAX_TREND_TICKS", "PlanEntryView", "ProgressView", "RepeatedView", "SESSIONS_PER_TABLE", "SessionRow",
        "TableChunk", "WeakLine", "build_progress_view"},
    "texreport.reading": {"read_bounded", "read_document"},
    "texreport.sample": {"SAMPLE_RESOURCE", "sample_json"},
    "texreport.signals": {"EXIT_TERMINATED", "Terminated", "exit_on_sigterm"},
    "texreport.telemetry": {"FORMAT_BUILDS", "RENDER_AHEAD_HITS", "WORKER_RESTARTS", "count", "snapshot"},
    "texreport.templating": {"keep_edge_spaces", "make_environment", "pdf_string", "render_template"},
    "texreport.theme": {"BandColours", "COLOUR_ROLES", "DEFAULT_THEME", "LOGO_STEM", "Logo", "MAX_LOGO_BYTES",
        "MAX_TEXT_CHARS", "THEME_FILE", "Theme", "ThemeError", "builtin_names", "builtin_theme", "load_theme",
        "resolve_theme", "themes_dir"},
    "texreport.transports": {"ColdCompiler", "Compiler", "GroupCompiler", "Job", "PreparedJob", "compile_job"},
    "texreport.view": {"Band", "CHART_LABEL_CHARS", "CategoryView", "LONG_TABLE_CATEGORIES", "LONG_TABLE_NAME_CHARS",
        "MAX_PLAN_ACTIONS", "MAX_PLAN_RESOURCES", "MAX_WEAKEST", "Metadata", "Pair", "PlanItem", "QuestionView",
        "ReportView", "build_view", "chart_label", "format_datetime"},
    "texreport.workers": {"Worker", "WorkerPool"},
}

#: Not API modules: Alembic's migration scripts, loaded by path from the migrations folder.
NOT_MODULES = ("texreport.http.migrations",)

#: Decorators that register a function where it is reached (a Click group, a FastAPI router): such a function
#: is public without being imported, so it need not be exported.
REGISTERING = {"command", "group", "get", "post", "put", "patch", "delete", "head", "api_route"}


def module_files() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("texreport", *parts)).removesuffix(".__init__")
        if not name.startswith(NOT_MODULES):
            found[name] = path
    return found


def test_every_module_declares_its_api():
    assert sorted(module_files()) == sorted(EXPORTS)


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_all_is_exactly_the_intended_api(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(exported) == len(set(exported)), "a name twice in __all__"
    assert set(exported) == EXPORTS[name]
    missing = [attribute for attribute in exported if not hasattr(module, attribute)]
    assert missing == []


def _registered(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in REGISTERING:
            return True
    return False


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_public_definitions_are_exported_or_private(name):
    tree = ast.parse(module_files()[name].read_text(encoding="utf-8"))
    public = [node.name for node in tree.body
              if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
              and not node.name.startswith("_") and not _registered(node)]
    assert [defined for defined in public if defined not in EXPORTS[name]] == []


def test_top_level_api():
    assert sorted(dir(texreport)) == sorted(texreport.__all__)
    with pytest.raises(AttributeError):
        texreport.no_such_name  # noqa: B018


def test_package_is_typed():
    assert (PACKAGE / "py.typed").exists()


def test_render_options_are_named_with_defaults():
    options = texreport.RenderOptions()
    from texreport.transports import ColdCompiler

    assert options.lang is None and options.compiler == ColdCompiler() and options.limits.timeout > 0
