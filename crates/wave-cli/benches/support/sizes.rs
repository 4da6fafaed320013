//! The `--sizes 1,10,50` argument the wave-size benchmarks share.

/// The sizes after `--sizes` on the command line, else `default`.
pub fn sizes(default: &[usize]) -> Vec<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}
