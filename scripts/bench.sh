#!/usr/bin/env bash
# Builds dossier and its benchmark suite in release mode, runs every benchmark and
# rewrites the tables in BENCHMARKS.md. Inputs are generated; nothing is downloaded.
# Benchmarks that need ../shared or Python skip themselves when those are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p dossier -p dossier-bench
exec target/release/dossier-bench --dossier target/release/dossier "$@" all
