"""The key-list benchmark still runs end to end (on 2,000 keys; the real run is by hand)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_keylist_prints_one_json_line_with_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_keylist", "--keys", "2000", "--idle-polls", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["keys"] == 2000
    assert set(result["baseline"]) >= {
        "names_keys_per_s", "meta_keys_per_s", "meta_overlapped_keys_per_s"
    }  # fmt: skip
    ours = result["ours"]
    for name in (
        "first_rows_after_connect_s",
        "all_names_s",
        "all_names_keys_per_s",
        "all_names_ratio",
        "all_meta_s",
        "all_meta_keys_per_s",
        "all_meta_ratio",
        "all_meta_overlapped_ratio",
        "peak_rss_mb",
        "rss_bytes_per_key",
        "keypress_p50_ms",
        "keypress_p95_ms",
        "loop_lag_p99_ms",
        "loop_lag_max_ms",
        "loop_lag_over_50ms",
        "scan_max_ms",
        "scan_mean_ms",
        "type_pttl_max_ms",
        "idle_commands_per_s",
        "idle_round_trips_per_poll",
    ):
        assert name in ours, name
    assert ours["listed_keys"] == 2000 and ours["unknown_types"] == 0
    assert result["pass"]["all_keys_listed"] and result["pass"]["idle_round_trips_per_poll"]


def test_bench_sessions_prints_one_json_line_and_lists_every_session() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_sessions", "--sessions", "300", "--others",
         "2000", "--runs", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    (line,) = done.stdout.strip().splitlines()
    result = json.loads(line)
    assert result["baseline_decoded"] == 300
    assert result["listed"] == {"match": 300, "patterns": 300, "discovery": 300}
    for name in ("baseline", "match", "patterns", "discovery"):
        assert {"median_s", "min_s", "max_s", "ratio"} <= result[name].keys()


def test_bench_soak_prints_rss_and_its_slope() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_soak", "--actions", "40", "--sample", "10",
         "--warmup", "10"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    ours = result["ours"]
    assert result["bench"] == "soak" and ours["rss_end_mb"] > 0
    assert {"slope_mb_per_1000_actions", "loop_lag_max_ms", "loop_lag_over_50ms"} <= set(ours)


def test_bench_inspector_compares_the_pane_with_the_headless_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_inspector", "--sessions", "300", "--others",
         "2000", "--runs", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bench"] == "inspector" and result["sessions_listed"] == [300]
    assert {"inspector_over_headless", "extra_rss_mb", "keypress_p95_ms"} <= set(result)


def test_bench_sort_times_each_field_against_pythons_sort() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_sort", "--keys", "60000", "--rounds", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    for field in ("name", "ttl", "type", "size"):
        for figure in ("floor_s", "s", "ratio", "loop_max_ms"):
            assert set(result[f"{field}_{figure}"]) == {"median", "min", "max"}
    assert result["load_before"] and result["load_after"]
