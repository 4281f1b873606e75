"""SCAN COUNT pacing: by round trips, and held to the server's own time per call."""

from __future__ import annotations

from redis_tui.data.scan.pacing import MAX_COUNT, MIN_COUNT, START_COUNT, Pacer


def test_round_trips_grow_and_shrink_count() -> None:
    pacer = Pacer()
    for _ in range(20):
        pacer.observe(0.0001)
    assert pacer.count == MAX_COUNT
    for _ in range(3):
        pacer.observe(0.01)
    assert pacer.count < MAX_COUNT


def test_the_servers_time_per_call_caps_count_whatever_the_round_trips_say() -> None:
    pacer = Pacer()
    pacer.observe_server(0.002)  # the server takes 2 ms a call at COUNT 500: a quarter of it
    assert pacer.count == START_COUNT // 4 and pacer.ceiling == START_COUNT // 4
    for _ in range(20):
        pacer.observe(0.0001)  # fast round trips cannot take it past the ceiling
    assert pacer.count == START_COUNT // 4
    pacer.observe_server(0.1)
    assert pacer.count == MIN_COUNT  # never below the floor
    # A quiet server again: the ceiling lifts and the round trips grow COUNT back.
    pacer.observe_server(0.00005)
    assert pacer.ceiling == MAX_COUNT
    for _ in range(20):
        pacer.observe(0.0001)
    assert pacer.count == MAX_COUNT
    pacer.observe_server(0.0)  # no SCAN since the last look: nothing learnt
    assert pacer.count == MAX_COUNT
