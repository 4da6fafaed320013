//! End-to-end tests: they drive the built `wave` binary as a user would.
//!
//! One test binary with a module per area (ripgrep/uv style). Docker tests talk to the real
//! engine; with `WAVE_REQUIRE_DOCKER=1` (set by `.ci/run`) a missing engine is a failure, never
//! a silent skip.

mod support;

mod compat;
mod compose;
mod container_init;
mod containers;
mod docker_image;
mod dry_run;
mod fault_loop;
mod hardening;
mod health;
mod image;
mod init_doctor;
mod k8s;
mod k8s_docker;
mod launch;
mod limits;
mod nix_flake;
mod observe;
mod supervise;
