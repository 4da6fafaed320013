//! Pure planning decisions made from plain numbers: how many agents may run at once
//! ([`concurrency`]).

pub mod concurrency;
