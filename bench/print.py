"""Print benchmark (issue 4, "Benchmark"): build, render and encode a garment
tag and a 20-line receipt, at 58 mm and 80 mm.

Run from the repository root with the project's venv::

    .venv/bin/python bench/print.py              # 200 samples per case
    .venv/bin/python bench/print.py --samples 50

For each paper width and document it times, per job, the three steps the
print worker runs before the bytes leave: building the document
(:mod:`printers.documents`), rendering it to the 1-bit canvas
(:func:`printers.render.render`, glyph check included) and encoding it with
python-escpos (:func:`printers.encoding.encode`, default profile). It reports
p50/p95 of each step and of the total, the first (cold) job, the image size
and the bytes per job. No printer is involved: the network is not timed.

The last line printed is one JSON object; ``tag_p95_ms``, ``receipt_p95_ms``,
``tag_bytes`` and ``receipt_bytes`` are the 80 mm figures.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from printers import documents, encoding, profile, render  # noqa: E402


def build_tag() -> documents.Document:
    return documents.garment_tag("T-000123", "1024", "西装外套", "M", "张堃")


def build_receipt() -> documents.Document:
    lines = [documents.GarmentLine(f"T-{i:06d}", "衬衫", "L", str(1000 + i)) for i in range(20)]
    return documents.issue_slip("制服室 发衣单", employee="王喆 (S1001)", garments=lines,
                                clerk="李玥", when="2024-05-01 09:00", slip_no="IS-000001")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def measure(build: Callable[[], documents.Document], paper_mm: int, samples: int) -> dict:
    steps: dict[str, list[float]] = {"build": [], "render": [], "encode": [], "total": []}
    size = (0, 0)
    nbytes = 0
    cold_ms = 0.0
    for i in range(samples + 1):
        t0 = time.perf_counter()
        doc = build()
        t1 = time.perf_counter()
        image = render.render(doc, paper_mm=paper_mm)
        t2 = time.perf_counter()
        data = encoding.encode(image)
        t3 = time.perf_counter()
        if i == 0:  # cold: fonts loaded, glyphs checked for the first time
            cold_ms = (t3 - t0) * 1000
            continue
        for name, value in (("build", t1 - t0), ("render", t2 - t1), ("encode", t3 - t2), ("total", t3 - t0)):
            steps[name].append(value * 1000)
        size, nbytes = image.size, len(data)
    out = {"cold_ms": round(cold_ms, 2), "width": size[0], "height": size[1], "bytes": nbytes}
    for name, values in steps.items():
        out[f"{name}_p50_ms"] = round(statistics.median(values), 3)
        out[f"{name}_p95_ms"] = round(pct(values, 0.95), 3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="timed jobs per case (default 200)")
    args = parser.parse_args(argv)

    face = render.find_font()
    print(f"font: {face.name} ({face.path}), profile {profile.DEFAULT_PROFILE}, "
          f"{args.samples} samples per case, python {sys.version.split()[0]}, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{'case':<14}{'size':>10}{'bytes':>8}{'build p50/p95':>16}{'render p50/p95':>18}"
          f"{'encode p50/p95':>18}{'total p50/p95 ms':>20}{'cold':>8}")
    results: dict[str, dict] = {}
    for paper_mm in (58, 80):
        for name, build in (("tag", build_tag), ("receipt", build_receipt)):
            r = measure(build, paper_mm, args.samples)
            results[f"{name}_{paper_mm}"] = r
            print(f"{name + ' ' + str(paper_mm) + 'mm':<14}{r['width']:>5}x{r['height']:<4}{r['bytes']:>8}"
                  f"{r['build_p50_ms']:>8.3f}/{r['build_p95_ms']:<7.3f}"
                  f"{r['render_p50_ms']:>9.2f}/{r['render_p95_ms']:<8.2f}"
                  f"{r['encode_p50_ms']:>9.2f}/{r['encode_p95_ms']:<8.2f}"
                  f"{r['total_p50_ms']:>10.2f}/{r['total_p95_ms']:<9.2f}{r['cold_ms']:>8.1f}")
    summary = {
        "tag_p50_ms": results["tag_80"]["total_p50_ms"],
        "tag_p95_ms": results["tag_80"]["total_p95_ms"],
        "receipt_p50_ms": results["receipt_80"]["total_p50_ms"],
        "receipt_p95_ms": results["receipt_80"]["total_p95_ms"],
        "tag_bytes": results["tag_80"]["bytes"],
        "receipt_bytes": results["receipt_80"]["bytes"],
        "tag_58_p95_ms": results["tag_58"]["total_p95_ms"],
        "receipt_58_p95_ms": results["receipt_58"]["total_p95_ms"],
        "tag_58_bytes": results["tag_58"]["bytes"],
        "receipt_58_bytes": results["receipt_58"]["bytes"],
        "samples": args.samples,
        "font": face.name,
        "profile": profile.DEFAULT_PROFILE,
        "cases": results,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
