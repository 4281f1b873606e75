"""The keyboard fuzzer (see ``tests/ui/fuzz.py``), for a bounded time on every test run.

``REDIS_TUI_FUZZ_SECONDS`` (default 20) and ``REDIS_TUI_FUZZ_SEED`` (default: a new one,
printed) change it; ``scripts/fuzz`` runs it longer."""

from __future__ import annotations

import os
import random

import redis

from redis_tui.data.client.settings import ConnectionSettings

from .fuzz import run_fuzzer, seed_hostile


async def test_keyboard_fuzzer_finds_no_crash_no_escape_and_no_unconfirmed_write(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seconds = float(os.environ.get("REDIS_TUI_FUZZ_SECONDS", "20"))
    seed = int(os.environ.get("REDIS_TUI_FUZZ_SEED", str(random.randrange(1 << 30))))
    hostile = seed_hostile(client)
    found = await run_fuzzer(settings, hostile, seconds=seconds, seed=seed)
    print(
        f"fuzz seed {seed}: {found.keystrokes} keystrokes in {found.bursts} bursts, "
        f"{found.resizes} resizes, {found.writes_checked} writes checked, "
        f"{len(found.answers)} dialogs answered"
    )
    assert found.crashed is None, f"seed {seed}: {found.crashed}"
    assert not found.unsafe_screens, f"seed {seed}: {found.unsafe_screens[:3]}"
    assert not found.unconfirmed, f"seed {seed}: unconfirmed writes {found.unconfirmed[:5]}"
    assert found.keystrokes > 200
