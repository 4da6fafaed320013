//! The Wave launcher and (later) supervisor, written against the pure model of `wave-core`.
