//! The `wave` binary.

fn main() {}
