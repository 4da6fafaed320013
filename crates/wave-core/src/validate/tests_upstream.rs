//! Messages checked against upstream v0.9.1 itself.
