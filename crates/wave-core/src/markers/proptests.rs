//! Property tests: extraction and summary building never panic.
