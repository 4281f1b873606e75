"""Keyspace analysis (issue 14): where the memory goes, by namespace, with cache health.

Headless: ``analyze`` runs one paced pass over a redis-py asyncio client; ``output`` turns
the result into JSON data or a text report. Used by ``redis-tui analyze``.
"""

from redis_tui.data.analysis.model import (
    AnalysisOptions,
    AnalysisResult,
    KeyEntry,
    LeakSuspect,
    MemoryMode,
    NamespaceStats,
    Progress,
    ServerHealth,
    Stampede,
    TtlBuckets,
)
from redis_tui.data.analysis.run import analyze

__all__ = [
    "AnalysisOptions",
    "AnalysisResult",
    "KeyEntry",
    "LeakSuspect",
    "MemoryMode",
    "NamespaceStats",
    "Progress",
    "ServerHealth",
    "Stampede",
    "TtlBuckets",
    "analyze",
]
