//! Cross-process behaviour of locks and JSONL appends.
//!
//! Child processes are this test binary run again with only the `child_role` test selected and
//! a role in the environment; outside that setting `child_role` does nothing. Waiting is done by
//! reading the child's pipe or waiting for its exit, never by sleeping.

use std::env;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use wave_store::{append_jsonl, AppendSync, FileLock, StoreError};

const ROLE_VAR: &str = "WAVE_STORE_TEST_ROLE";
const PATH_VAR: &str = "WAVE_STORE_TEST_PATH";
const READY: &str = "WAVE-STORE-CHILD-READY";
const RECORDS_PER_CHILD: usize = 300;
const PAD_BYTES: usize = 8 * 1024;

/// Entry point of child processes; a no-op in a normal test run.
#[test]
fn child_role() {
    let Ok(role) = env::var(ROLE_VAR) else {
        return;
    };
    let path = PathBuf::from(env::var(PATH_VAR).expect("child needs a path"));
    match role.as_str() {
        "hold-lock" => {
            let lock = FileLock::try_acquire(&path)
                .expect("child lock call")
                .expect("child gets the lock");
            lock.write_holder(&json!({"pid": std::process::id()}))
                .expect("child writes holder");
            // Straight to the pipe, bypassing the harness's `print!` capture.
            let mut out = std::io::stdout().lock();
            writeln!(out, "{READY}").expect("write ready");
            out.flush().expect("flush");
            drop(out);
            // Hold until the parent closes stdin (or kills us).
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            drop(lock);
        }
        "append" => {
            let pad = "p".repeat(PAD_BYTES);
            let pid = std::process::id();
            for i in 0..RECORDS_PER_CHILD {
                append_jsonl(
                    &path,
                    &json!({"pid": pid, "i": i, "pad": pad}),
                    AppendSync::Buffered,
                )
                .expect("child append");
            }
        }
        other => panic!("unknown child role {other:?}"),
    }
}

fn spawn_child(role: &str, path: &Path) -> Child {
    Command::new(env::current_exe().expect("test binary path"))
        .args(["--exact", "child_role", "--nocapture", "--test-threads=1"])
        .env(ROLE_VAR, role)
        .env(PATH_VAR, path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child test process")
}

/// Reads the child's stdout until it reports readiness (fails if it exits first).
fn wait_ready(stdout: ChildStdout) -> BufReader<ChildStdout> {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).expect("read child stdout");
        assert!(n > 0, "child exited before it was ready");
        // The harness prints `test child_role ... ` on the same line first.
        if line.trim_end().ends_with(READY) {
            return reader;
        }
    }
}

#[test]
fn lock_held_by_another_process_is_refused_and_freed_on_release() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("launcher.lock");
    let mut child = spawn_child("hold-lock", &path);
    let _reader = wait_ready(child.stdout.take().expect("stdout"));

    assert!(FileLock::try_acquire(&path).expect("try").is_none());
    let err = FileLock::acquire_with_deadline(&path, Duration::from_millis(20)).unwrap_err();
    assert!(matches!(err, StoreError::LockTimeout { .. }));
    assert!(
        err.to_string().contains(&format!("\"pid\":{}", child.id())),
        "{err}"
    );

    drop(child.stdin.take()); // EOF: the child drops its lock and exits
    assert!(child.wait().expect("wait").success());
    assert!(FileLock::try_acquire(&path).expect("try").is_some());
}

#[test]
fn lock_is_released_by_the_kernel_when_the_holder_is_killed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("control/supervisor/daemon.lock");
    let mut child = spawn_child("hold-lock", &path);
    let _reader = wait_ready(child.stdout.take().expect("stdout"));
    assert!(FileLock::try_acquire(&path).expect("try").is_none());

    child.kill().expect("kill child"); // SIGKILL: no destructor runs
    let status = child.wait().expect("wait");
    assert!(!status.success());
    let lock = FileLock::acquire_with_deadline(&path, Duration::from_secs(10)).expect("freed");
    drop(lock);
}

#[test]
fn concurrent_processes_append_whole_lines() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("runs/r/events.jsonl");
    let children: Vec<Child> = (0..4).map(|_| spawn_child("append", &path)).collect();
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    for mut child in children {
        drop(child.stdin.take());
        assert!(child.wait().expect("wait").success());
    }
    let text = std::fs::read_to_string(&path).expect("read log");
    let mut counts = vec![0usize; pids.len()];
    for line in text.lines() {
        let value: Value = serde_json::from_str(line).expect("every line is one whole record");
        let pid = value["pid"].as_u64().expect("pid") as u32;
        let slot = pids.iter().position(|&p| p == pid).expect("known pid");
        assert_eq!(
            value["i"].as_u64(),
            Some(counts[slot] as u64),
            "per-writer order"
        );
        assert_eq!(value["pad"].as_str().map(str::len), Some(PAD_BYTES));
        counts[slot] += 1;
    }
    assert!(counts.iter().all(|&c| c == RECORDS_PER_CHILD), "{counts:?}");
}
