"""The optimization engine: score a post, improve it, A/B variants, best time to post, reach diagnosis,
per-account learning and metrics import. Pure functions over text and metric records; the tools in
``tools/optimize.py`` connect them to the database and the chat.
"""

from agent.optimize.diagnose import Comparison, Diagnosis, compare_competitor, diagnose_reach
from agent.optimize.improve import Improvement, Variant, ab_variants, fit_post, improve_post
from agent.optimize.learning import AccountModel, LearningReport, learn, rerank
from agent.optimize.metrics_csv import CSVError, ParsedMetrics, parse_metrics_csv
from agent.optimize.records import PostRecord, load_records
from agent.optimize.scorer import Factor, ScoreResult, score_post
from agent.optimize.timing import BestTime, Slot, best_time, prior_grid

__all__ = [
    "AccountModel",
    "BestTime",
    "CSVError",
    "Comparison",
    "Diagnosis",
    "Factor",
    "Improvement",
    "LearningReport",
    "ParsedMetrics",
    "PostRecord",
    "ScoreResult",
    "Slot",
    "Variant",
    "ab_variants",
    "best_time",
    "compare_competitor",
    "diagnose_reach",
    "fit_post",
    "improve_post",
    "learn",
    "load_records",
    "parse_metrics_csv",
    "prior_grid",
    "rerank",
    "score_post",
]
