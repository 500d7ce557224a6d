"""bench/queue.py at a tiny size, so it cannot silently rot (its figures are for bench/README.md)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_queue_bench_runs_and_reports_both_kinds_of_scan(tmp_path):
    done = subprocess.run([sys.executable, "bench/queue.py", "--scans", "6", "--no-browser"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["scans"] == 6 and set(figures["server"]) == {"plain", "queued", "added_p50"}
    assert figures["server"]["queued"]["p50"] > 0 and figures["server"]["plain"]["p50"] > 0
