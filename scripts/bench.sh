#!/usr/bin/env bash
# Builds dossier and its benchmark suite in release mode, runs every benchmark and
# rewrites the tables in BENCHMARKS.md. Inputs are generated; nothing is downloaded.
# Benchmarks that need ../shared or Python skip themselves when those are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p dossier -p dossier-bench
target/release/dossier-bench --dossier target/release/dossier "$@" all
# The feedparser conformance figures (needs python3 and pip; skipped without them).
if command -v python3 >/dev/null 2>&1; then
    python3 scripts/conformance.py > target/conformance.md || echo "conformance run skipped"
    echo "conformance figures in target/conformance.md (copy the tables into BENCHMARKS.md)"
    # Real-world feeds from ../shared/bench/feeds (skips itself without them or feedparser).
    python3 scripts/realworld.py > target/realworld.md || echo "real-world run failed"
    echo "real-world figures in target/realworld.md: $(head -n 1 target/realworld.md)"
fi
