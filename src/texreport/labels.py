"""Every fixed string the PDF prints, in Chinese (``zh``, the default) and English (``en``).

:func:`labels_for` returns a fresh ``dict`` whose keys are the same for every
language, so the template can use any key without checking the language.
Values are plain text (the template escapes them). Strings that surround a
number are split into parts rather than holding placeholders, so the template
never formats user-facing text: ``page_prefix + page + page_middle + total +
page_suffix`` gives "第 3 页 / 共 9 页" or "Page 3 of 9", and
``question_heading_prefix + number + question_heading_suffix`` gives "第 3 题" or
"Question 3". Key names follow ``latex/report.tex.j2``, which uses them.
Keys starting with ``plan_`` and containing ``{…}`` placeholders are phrase
templates used by :mod:`texreport.view` to build the derived improvement plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "labels_for"]

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

_ZH: dict[str, str] = {
    # Title and sections (the PDF outline uses the section names too).
    "title": "模拟面试报告",
    "subtitle": "面试评估与改进建议",
    "cover": "封面",
    "summary": "总体概览",
    "category_analysis": "分类分析",
    "question_details": "逐题详情",
    "improvement_plan": "改进计划",
    # Cover and summary fields.
    "session_id": "会话编号",
    "candidate": "候选人",
    "target_position": "目标岗位",
    "experience": "工作经验",
    "interview_date": "面试时间",
    "interviewer": "面试官",
    "interview_type": "面试类型",
    "overall_score": "总分",
    "total_questions": "题目数",
    "answered": "已作答",
    "overall_feedback": "总体评价",
    "strengths": "优势",
    "improvements": "待改进",
    "none_given": "（未提供）",
    # Categories.
    "category": "分类",
    "score": "得分",
    "question_count": "题数",
    "points_suffix": " 分",
    "score_max": "/ 100",
    "category_breakdown": "各分类得分",
    "question_scores": "各题得分",
    "level": "等级",
    "no_categories": "报告中没有分类得分。",
    "no_questions": "报告中没有题目。",
    "chart_radar": "能力雷达图",
    "weakest": "最薄弱的分类",
    "no_weak_categories": "所有分类均达到 80 分及以上。",
    # Questions.
    "question": "题目",
    "question_heading_prefix": "第 ",
    "question_heading_suffix": " 题",
    "answer": "候选人回答",
    "not_answered": "未作答",
    "feedback": "评价反馈",
    "reference_answer": "参考答案",
    "no_reference_answer": "本题暂无参考答案。",
    "key_points": "要点",
    # Improvement plan.
    "actions": "建议行动",
    "resources": "学习资源",
    "plan_area": "改进方向",
    "plan_derived_note": "本计划由 texreport 根据得分较低的分类、报告中的待改进项和内置学习资源目录自动生成。",
    "plan_general": "综合提升",
    "plan_keep_sharp": "保持优势",
    "plan_review_question": "复习第 {number} 题（{score} 分）：找出答案中的遗漏与错误，重新组织答案并限时口述一遍。",
    "plan_review_question_points":
        "复习第 {number} 题（{score} 分）：对照参考答案逐条补齐 {points} 个要点，再限时口述一遍。",
    "plan_answer_question": "第 {number} 题未作答：先独立写出答案，再对照参考答案查漏补缺。",
    "plan_answer_question_no_reference": "第 {number} 题未作答：先借助下列学习资源独立写出答案，再限时口述一遍。",
    "plan_keep_sharp_action": "各分类均在 80 分以上：每周挑选本方向的一道题限时作答，保持状态。",
    # Bands (platform colours: green ≥ 80, yellow ≥ 60, red < 60).
    "band_good": "优秀",
    "band_fair": "合格",
    "band_poor": "待提高",
    # Footer and metadata.
    "generated_at": "生成时间",
    "page_prefix": "第 ",
    "page_middle": " 页 / 共 ",
    "page_suffix": " 页",
    "subject": "模拟面试评估报告",
    "subject_with_position": "{position} 模拟面试评估报告",
    # Progress report across sessions (texreport progress); {…} placeholders are filled by progress_view.
    "progress_title": "面试进步报告",
    "progress_subtitle": "多场模拟面试的对比与趋势",
    "progress_candidate_id": "候选人编号",
    "progress_period": "时间范围",
    "progress_session_count": "面试场次",
    "progress_latest_score": "最近一场总分",
    "progress_since_first": "较第一场 {delta}",
    "progress_no_change_since_first": "与第一场持平",
    "progress_sessions": "各场面试",
    "progress_session": "场次",
    "progress_date": "日期",
    "progress_change": "变化",
    "progress_no_date": "未注明",
    "progress_trend": "成绩趋势",
    "progress_overall_trend": "各场总分",
    "progress_category_trends": "各分类得分走势",
    "progress_no_trend_categories": "没有在两场及以上面试中出现的分类。",
    "progress_more_trends": "另有 {count} 个分类的走势未绘图，其得分见下表。",
    "progress_category_table": "分类 × 场次",
    "progress_full_names": "分类全称",
    "progress_table_legend": "↑ / ↓：与该分类上一次的得分相比；—（无分数）：该场没有此分类。",
    "progress_changes": "变化分析",
    "progress_improved": "进步最大的分类",
    "progress_regressed": "退步最大的分类",
    "progress_no_improvements": "没有分类的得分提高。",
    "progress_no_regressions": "没有分类的得分下降。",
    "progress_persistent_weak": "持续薄弱的分类",
    "progress_persistent_weak_note": "在两场及以上面试中低于 60 分：",
    "progress_no_persistent_weak": "没有分类在两场及以上面试中低于 60 分。",
    "progress_persistent_badge": "持续薄弱",
    "progress_repeated": "重复出现的题目",
    "progress_no_repeated": "没有在多场面试中重复出现的题目。",
    "progress_repeated_more": "另有 {count} 道重复出现的题目未列出。",
    "progress_ask": "第 {session} 场第 {question} 题",
    "progress_plan_note": "最近一场面试（{session}）的改进计划，持续薄弱的分类排在最前。",
    "progress_weak_action": "该分类在 {count} 场面试中低于 60 分（{scores}）：优先安排练习，并在下一场面试前复测。",
    "progress_subject": "模拟面试进步报告",
    "progress_subject_with_position": "{position} 模拟面试进步报告",
}

_EN: dict[str, str] = {
    "title": "Mock Interview Report",
    "subtitle": "Evaluation and improvement plan",
    "cover": "Cover",
    "summary": "Summary",
    "category_analysis": "Category Analysis",
    "question_details": "Question-by-Question Details",
    "improvement_plan": "Improvement Plan",
    "session_id": "Session ID",
    "candidate": "Candidate",
    "target_position": "Target position",
    "experience": "Experience",
    "interview_date": "Interview date",
    "interviewer": "Interviewer",
    "interview_type": "Interview type",
    "overall_score": "Overall score",
    "total_questions": "Questions",
    "answered": "Answered",
    "overall_feedback": "Overall feedback",
    "strengths": "Strengths",
    "improvements": "Areas to improve",
    "none_given": "(none given)",
    "category": "Category",
    "score": "Score",
    "question_count": "Questions",
    "points_suffix": "",
    "score_max": "/ 100",
    "category_breakdown": "Score by category",
    "question_scores": "Score by question",
    "level": "Level",
    "no_categories": "The report has no category scores.",
    "no_questions": "The report has no questions.",
    "chart_radar": "Skills radar",
    "weakest": "Weakest categories",
    "no_weak_categories": "Every category scored 80 or more.",
    "question": "Question",
    "question_heading_prefix": "Question ",
    "question_heading_suffix": "",
    "answer": "Candidate's answer",
    "not_answered": "Not answered",
    "feedback": "Feedback",
    "reference_answer": "Reference answer",
    "no_reference_answer": "No reference answer for this question.",
    "key_points": "Key points",
    "actions": "Recommended actions",
    "resources": "Learning resources",
    "plan_area": "Area",
    "plan_derived_note": (
        "texreport derived this plan from the lowest-scoring categories, the report's areas to improve "
        "and its built-in catalogue of learning resources."
    ),
    "plan_general": "General",
    "plan_keep_sharp": "Keep sharp",
    "plan_review_question": (
        "Review question {number} ({score} points): find what your answer missed or got wrong, "
        "restructure it and say it aloud against a timer."
    ),
    "plan_review_question_points": (
        "Review question {number} ({score} points): work through the {points} key points of the "
        "reference answer one by one, then answer it aloud against a timer."
    ),
    "plan_answer_question": (
        "Question {number} was not answered: write your own answer first, then compare it with the "
        "reference answer."
    ),
    "plan_answer_question_no_reference": (
        "Question {number} was not answered: write your own answer with the help of the resources below, "
        "then say it aloud against a timer."
    ),
    "plan_keep_sharp_action": (
        "Every category scored 80 or more: answer one timed question from this area each week to stay sharp."
    ),
    "band_good": "Excellent",
    "band_fair": "Adequate",
    "band_poor": "Needs improvement",
    "generated_at": "Generated",
    "page_prefix": "Page ",
    "page_middle": " of ",
    "page_suffix": "",
    "subject": "Mock interview evaluation report",
    "subject_with_position": "Mock interview evaluation report: {position}",
    "progress_title": "Interview Progress Report",
    "progress_subtitle": "How the mock interviews compare over time",
    "progress_candidate_id": "Candidate ID",
    "progress_period": "Period",
    "progress_session_count": "Sessions",
    "progress_latest_score": "Latest overall score",
    "progress_since_first": "{delta} since the first session",
    "progress_no_change_since_first": "same as the first session",
    "progress_sessions": "Sessions",
    "progress_session": "Session",
    "progress_date": "Date",
    "progress_change": "Change",
    "progress_no_date": "not given",
    "progress_trend": "Score Trend",
    "progress_overall_trend": "Overall score by session",
    "progress_category_trends": "Score by category over the sessions",
    "progress_no_trend_categories": "No category was scored in two or more sessions.",
    "progress_more_trends": "{count} more categories are not drawn; their scores are in the table below.",
    "progress_category_table": "Category × session",
    "progress_full_names": "Full category names",
    "progress_table_legend": (
        "↑ / ↓: change from the category's previous score; — (no score): not scored in that session."
    ),
    "progress_changes": "What Changed",
    "progress_improved": "Biggest improvements",
    "progress_regressed": "Biggest regressions",
    "progress_no_improvements": "No category improved.",
    "progress_no_regressions": "No category declined.",
    "progress_persistent_weak": "Persistent weak areas",
    "progress_persistent_weak_note": "Below 60 in two or more sessions:",
    "progress_no_persistent_weak": "No category was below 60 in two or more sessions.",
    "progress_persistent_badge": "Persistent",
    "progress_repeated": "Questions asked more than once",
    "progress_no_repeated": "No question was asked in more than one session.",
    "progress_repeated_more": "{count} more repeated questions are not listed.",
    "progress_ask": "session {session}, question {question}",
    "progress_plan_note": "The improvement plan of the latest session ({session}), persistent weak areas first.",
    "progress_weak_action": (
        "Below 60 in {count} sessions ({scores}): practise this area first and test it again before the next "
        "interview."
    ),
    "progress_subject": "Mock interview progress report",
    "progress_subject_with_position": "Mock interview progress report: {position}",
}

_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"zh": MappingProxyType(_ZH), "en": MappingProxyType(_EN)}
)


def labels_for(lang: str) -> dict[str, str]:
    """A fresh copy of the labels for ``lang`` (``"zh"`` or ``"en"``); ``KeyError`` for any other."""
    try:
        return dict(_LABELS[lang])
    except KeyError:
        raise KeyError(f"no labels for language {lang!r}; expected one of {', '.join(LANGUAGES)}") from None
