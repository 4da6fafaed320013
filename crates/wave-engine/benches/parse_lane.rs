//! Benchmark: parse and validate a lane of 50 waves × 20 agents (+ A8, A9, A0 each).
//!
//! Run with `cargo bench -p wave-engine --bench parse_lane`. Prints the wall time of
//! `wave_engine::lane::load_lane` (config, discovery, parse, validation, executor resolution) over
//! repeated runs, next to the floor of merely reading the same files, and the process's peak RSS
//! (VmRSS before, and the VmHWM growth during one load, reset with `clear_refs`). Figures go to docs/benchmarks.md.

use std::path::Path;
use std::time::{Duration, Instant};

use wave_engine::lane::{load_lane, LaneRequest};

const WAVES: usize = 50;
const AGENTS: usize = 20;
const RUNS: usize = 15;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn agent_block(wave: usize, i: usize) -> String {
    format!(
        "## Agent A{n}: Implementation slice {n}\n\n### Executor\n\n- profile: impl\n- codex.config: model_reasoning_effort=medium\n\n\
         ### Components\n\n- component-{wave}-{n}\n\n### Deliverables\n\n- src/w{wave}/a{n}/lib.rs\n\n\
         ### Exit contract\n\n- completion: integrated\n- durability: none\n- proof: unit\n- doc-impact: owned\n\n\
         ### Prompt\n\n```text\nImplement slice {n} of wave {wave}.\n\nFile ownership (only touch these paths):\n- src/w{wave}/a{n}/\n- docs/w{wave}/a{n}.md\n```\n\n",
        n = i + 10
    )
}

fn closure_blocks(wave: usize) -> String {
    format!(
        "## Agent A8: Integration\n\n### Role prompts\n\n- docs/agents/wave-integration-role.md\n\n### Prompt\n\n```text\nIntegrate.\n\nFile ownership (only touch these paths):\n- .tmp/main-wave-launcher/integration/wave-{wave}.md\n```\n\n\
         ## Agent A9: Documentation\n\n### Role prompts\n\n- docs/agents/wave-documentation-role.md\n\n### Prompt\n\n```text\nDocs.\n\nFile ownership (only touch these paths):\n- docs/plans/current-state.md\n```\n\n\
         ## Agent A0: cont-QA\n\n### Role prompts\n\n- docs/agents/wave-cont-qa-role.md\n\n### Prompt\n\n```text\nQA.\n\nFile ownership (only touch these paths):\n- docs/plans/waves/reviews/wave-{wave}-cont-qa.md\n```\n"
    )
}

fn build_repo(root: &Path) -> usize {
    write(
        root,
        "wave.config.json",
        r#"{"executors":{"default":"local","profiles":{"impl":{"id":"codex","budget":{"minutes":30}}}},
            "validation":{"requiredPromptReferences":[],"requireComponentPromotionsFromWave":null,
            "requireAgentComponentsFromWave":null,"requireDocumentationStewardFromWave":null,
            "requireContext7DeclarationsFromWave":null,"requireExitContractsFromWave":0}}"#,
    );
    write(
        root,
        "docs/context7/bundles.json",
        r#"{"version":1,"defaultBundle":"none","bundles":{"none":{"description":"none","libraries":[]}}}"#,
    );
    for role in ["cont-qa", "integration", "documentation"] {
        write(
            root,
            &format!("docs/agents/wave-{role}-role.md"),
            "# Role\n\n## Standing prompt\n\n```text\nStanding prompt.\n```\n",
        );
    }
    // Every agent promotes its own component, so validation loads and checks the matrix too.
    let mut components = Vec::new();
    for w in 0..WAVES {
        for i in 0..AGENTS {
            components.push(format!(
                r#""component-{w}-{n}": {{"currentLevel": "contract-frozen", "promotions": [{{"wave": {w}, "target": "repo-landed"}}]}}"#,
                n = i + 10
            ));
        }
    }
    write(
        root,
        "docs/plans/component-cutover-matrix.json",
        &format!(
            r#"{{"version": 1, "levels": ["inventoried", "contract-frozen", "repo-landed", "baseline-proved", "pilot-live", "qa-proved", "fleet-ready", "cutover-ready", "deprecation-ready"], "components": {{{}}}}}"#,
            components.join(",\n")
        ),
    );
    let mut bytes = 0;
    for w in 0..WAVES {
        let mut text = format!("# Wave {w}\n\n## Component promotions\n\n");
        for i in 0..AGENTS {
            text.push_str(&format!("- component-{w}-{}: repo-landed\n", i + 10));
        }
        text.push('\n');
        for i in 0..AGENTS {
            text.push_str(&agent_block(w, i));
        }
        text.push_str(&closure_blocks(w));
        bytes += text.len();
        write(root, &format!("docs/plans/waves/wave-{w}.md"), &text);
    }
    bytes
}

/// A `VmXXX:` figure of /proc/self/status, in KiB.
fn proc_status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Resets the process's peak RSS (VmHWM) to its current RSS (Linux `clear_refs` value 5).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn stats(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:.2} ms [min {:.2} – max {:.2}], n={}",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    )
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing special. Either way
    // run once, quickly, unless asked to benchmark.
    let bench = std::env::args().any(|a| a == "--bench");
    let runs = if bench { RUNS } else { 1 };
    let dir = tempfile::tempdir().unwrap();
    let bytes = build_repo(dir.path());

    let mut floor = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let mut total = 0;
        for w in 0..WAVES {
            total += std::fs::read(dir.path().join(format!("docs/plans/waves/wave-{w}.md")))
                .unwrap()
                .len();
        }
        assert_eq!(total, bytes);
        floor.push(start.elapsed());
    }

    let request = LaneRequest {
        repo_root: dir.path().to_path_buf(),
        ..LaneRequest::default()
    };
    let mut samples = Vec::new();
    let rss_before = proc_status_kib("VmRSS:");
    let mut peak_delta = 0;
    for _ in 0..runs {
        reset_peak_rss();
        let base = proc_status_kib("VmRSS:");
        let start = Instant::now();
        let lane = load_lane(&request).expect("load lane");
        samples.push(start.elapsed());
        peak_delta = peak_delta.max(proc_status_kib("VmHWM:").saturating_sub(base));
        assert!(
            lane.wave_errors.is_empty(),
            "{:?}",
            lane.wave_errors.first()
        );
        assert_eq!(lane.waves.len(), WAVES);
        assert_eq!(
            lane.waves.iter().map(|w| w.agents.len()).sum::<usize>(),
            WAVES * (AGENTS + 3)
        );
    }
    println!(
        "lane: {WAVES} waves x {AGENTS} agents (+3 closure agents each), {} KiB of markdown",
        bytes / 1024
    );
    println!("floor (read the wave files):        {}", stats(floor));
    println!("load_lane (parse + validate + plan): {}", stats(samples));
    println!(
        "RSS before loading: {rss_before} KiB; peak RSS added by one load_lane: {peak_delta} KiB"
    );
}
