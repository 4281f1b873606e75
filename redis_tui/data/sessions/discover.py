"""Discovery on its own: where the sessions of a database are, without reading them all.

One names-only pass (a paced SCAN, or the names the key list already scanned), grouped by
namespace, and a bounded sample of each group's values read and sniffed (size-capped,
pipelined). ``find_sessions`` does the same in its own pass when no patterns are given, and
reads the session groups in full as it goes; this function reads only the samples. See
:mod:`.grouping` for how keys are grouped and judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import redis.asyncio as aioredis

from redis_tui.data.scan import keyspace
from redis_tui.data.sessions.grouping import SAMPLE, Discovery, Found, Router, Skipped
from redis_tui.data.sessions.model import DEFAULT_USER_PATHS, MAX_VALUE_BYTES
from redis_tui.data.sessions.scan import key_pages, load_many
from redis_tui.errors import RedisTuiError, translate

__all__ = ["Discovery", "Found", "Skipped", "discover"]

SAMPLE_VALUE_BYTES = 256 * 1024
"""Largest sampled value read whole (larger ones are sniffed from their first bytes)."""


async def discover(
    client: aioredis.Redis,
    *,
    delimiter: str | bytes = ":",
    sample: int = SAMPLE,
    pacer: keyspace.Pacer | None = None,
    names: Iterable[bytes] | None = None,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
) -> Discovery:
    """Group the keyspace by namespace and sniff ``sample`` values of each group.

    Args:
        delimiter: the namespace delimiter.
        sample: values read per group.
        pacer: the SCAN pacing (a fresh ``keyspace.Pacer`` by default).
        names: key names already scanned (the key list's): no SCAN then.

    Returns:
        The namespaces holding sessions (``Found.count``: keys in the namespace) and the
        ones skipped, with the globs that name the first.

    Raises:
        RedisTuiError: the server failed (translated).
    """
    router = Router(
        delimiter.encode("utf-8") if isinstance(delimiter, str) else delimiter, sample=sample
    )
    try:
        async for keys in key_pages(client, None, names, pacer=pacer):
            strict, _assumed = router.route(keys)  # samples, and keys under default prefixes
            samples = [k for k in strict if router.is_sample(k)]
            found = await load_many(
                client, samples, user_paths, False, min(SAMPLE_VALUE_BYTES, MAX_VALUE_BYTES)
            )
            router.settle(found)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return router.discovery(walked=True, samples_only=True)
