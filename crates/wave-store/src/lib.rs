//! Durable files for Wave state: atomic JSON writes, JSONL appends and advisory locks.
//!
//! Knows nothing of wave semantics; every function names the path it failed on.
