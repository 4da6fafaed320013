//! Placeholder; see the benchmark section of docs/benchmarks.md.
fn main() {}
