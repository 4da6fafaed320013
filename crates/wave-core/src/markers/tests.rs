//! Unit tests for marker extraction, grammar and summaries.
