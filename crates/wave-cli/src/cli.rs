//! Stage one of argument handling: the clap model of every subcommand and flag.
//!
//! Nothing here touches the filesystem. Each command module turns its `…Args` into a validated
//! invocation (ids parsed, paths resolved, cross-flag rules checked) before doing any work, so a
//! bad flag never leaves partial state behind.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Rust runtime for Wave: runs waves of coding agents over a repository.
#[derive(Debug, Parser)]
#[command(name = "wave", version, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Repository root (default: $WAVE_REPO_ROOT, else the current directory).
    #[arg(long, global = true, env = "WAVE_REPO_ROOT", value_name = "DIR")]
    pub repo_root: Option<PathBuf>,

    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every `wave` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a starter Wave workspace (config, role prompts, one runnable wave).
    Init(InitArgs),
    /// Check the config, waves, role prompts and executor commands; exit 1 on problems.
    Doctor(DoctorArgs),
    /// Launch waves of a lane (`--dry-run` writes prompts and executor previews only).
    Launch(Box<LaunchArgs>),
    /// Queue a launch for the lane's supervisor daemon (starting one if none runs) and print
    /// the run id. Takes `wave launch`'s flags, validated (waves included) before anything is
    /// queued.
    Submit(Box<SubmitArgs>),
    /// The supervisor daemon of a lane: claims queued runs, runs one launcher per run,
    /// reconciles, resumes lost launchers (re-attaching to live agents), survives restarts.
    Supervise(SuperviseArgs),
    /// Print a supervisor run's state (read-only): upstream's one-line summary, or `--json`.
    Status(RunRefArgs),
    /// Wait until a supervisor run ends: exit 0 if completed, its exit code if failed, 124 if
    /// the timeout passed first (the run keeps going).
    Wait(WaitArgs),
    /// Follow an agent's log until it ends (`--agent`), or print the run's dashboard.
    Attach(AttachArgs),
    /// List the lane's supervisor runs (newest last) with their status (read-only).
    Runs(LaneArgs),
    /// Exit 0 when a live daemon serves the lane with a fresh lease, 1 otherwise (for
    /// HEALTHCHECK and Kubernetes exec probes).
    Health(LaneArgs),
    /// Give state volumes to the supervisor's uid:gid (compose's one-shot init service).
    PrepareVolumes(PrepareVolumesArgs),
    /// Build container images of wave without Docker (OCI layout or `docker load` archive).
    #[command(subcommand)]
    Image(ImageCommand),
    /// Kubernetes: render one Job per wave (`render`); the init-container wait that orders
    /// them (`wait-wave`).
    #[command(subcommand)]
    K8s(K8sCommand),
    /// The built-in `local` executor: reads a compiled prompt, creates the agent's missing
    /// deliverables as placeholders and prints the markers its role requires (no model, no
    /// network). Launchers run it; it is rarely run by hand.
    #[command(hide = true, after_help = local_executor_knobs())]
    LocalExecutor(LocalExecutorArgs),
    /// The detached agent runner a launcher starts for each agent: runs the executor, records
    /// its real exit code in the status file, heartbeats into the runtime record.
    #[command(hide = true)]
    AgentRunner(AgentRunnerArgs),
}

/// `wave agent-runner`.
#[derive(Debug, Args)]
pub struct AgentRunnerArgs {
    /// The runner payload written by the launcher.
    #[arg(long, value_name = "PATH")]
    pub payload_file: PathBuf,
}

/// `wave local-executor`.
#[derive(Debug, Args)]
pub struct LocalExecutorArgs {
    /// The compiled prompt file (relative paths are taken from the repository root).
    #[arg(long, value_name = "PATH")]
    pub prompt_file: PathBuf,
}

/// The local executor's environment knobs, for its `--help`.
fn local_executor_knobs() -> String {
    let mut text = String::from("Environment knobs (for benchmarks and crash tests):\n");
    for knob in wave_engine::local_executor::KNOBS {
        text.push_str(&format!(
            "  {}  {}\n      {}\n",
            knob.name, knob.value, knob.effect
        ));
    }
    text
}

/// `wave init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite starter files that already exist (otherwise init refuses to touch them).
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `wave doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Project id (explicit-project repositories; default: the config's defaultProject).
    #[arg(long)]
    pub project: Option<String>,
    /// Lane to check (default: the config's defaultLane).
    #[arg(long)]
    pub lane: Option<String>,
    /// The knobs of the concurrency figure it prints.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The knobs of the derived agent concurrency (docs/limits.md). None is an upstream flag.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Most agents running at once, overriding the figure derived from the cgroup's CPU,
    /// memory and pids limits (`wave doctor` prints it and its inputs).
    #[arg(long, env = "WAVE_MAX_CONCURRENT_AGENTS", value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub max_concurrent_agents: Option<u32>,
    /// Agents per effective CPU in the derived figure (agents mostly wait on model APIs).
    #[arg(long, env = "WAVE_AGENTS_PER_CPU", default_value_t = wave_core::plan::concurrency::DEFAULT_AGENTS_PER_CPU, value_parser = clap::value_parser!(u32).range(1..=4096), value_name = "N")]
    pub agents_per_cpu: u32,
    /// Memory budget of one agent in MiB (default: 32 for the local executor, 512 for codex,
    /// claude and opencode; the largest among the lane's executors applies).
    #[arg(long, env = "WAVE_AGENT_MEMORY_MIB", value_parser = clap::value_parser!(u32).range(1..), value_name = "MIB")]
    pub agent_memory_mib: Option<u32>,
    /// Tasks (processes and threads) one agent may use (default: 6 for the local executor, 64
    /// for codex, claude and opencode; the largest among the lane's executors applies).
    #[arg(long, env = "WAVE_AGENT_PIDS", value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub agent_pids: Option<u32>,
}

impl LimitArgs {
    /// The engine's knobs (the ranges are checked by clap).
    pub fn knobs(&self) -> wave_engine::limits::LimitKnobs {
        use std::num::NonZeroU32;
        wave_engine::limits::LimitKnobs {
            override_agents: self.max_concurrent_agents.and_then(NonZeroU32::new),
            agents_per_cpu: NonZeroU32::new(self.agents_per_cpu).unwrap_or(NonZeroU32::MIN),
            agent_memory_mib: self.agent_memory_mib.and_then(NonZeroU32::new),
            agent_pids: self.agent_pids.and_then(NonZeroU32::new),
        }
    }
}

/// `--agent-runtime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgentRuntimeArg {
    /// A detached `wave agent-runner` process per agent.
    Process,
    /// A sibling Docker container per agent.
    Container,
}

/// Where upstream would open agent terminals; accepted for compatibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TerminalSurface {
    /// VS Code terminal registry (upstream default; a no-op here).
    Vscode,
    /// tmux sessions (a no-op here).
    Tmux,
    /// No terminal surface (only with `--dry-run`, as upstream).
    None,
}

/// `wave launch`: upstream v0.9.1's launcher flags, with its defaults.
#[derive(Debug, Args)]
pub struct LaunchArgs {
    /// Project id (explicit-project repositories).
    #[arg(long)]
    pub project: Option<String>,
    /// Lane to launch.
    #[arg(long, default_value = "main")]
    pub lane: String,
    /// First wave of the range.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub start_wave: u32,
    /// Last wave of the range (default: the lane's last wave).
    #[arg(long, value_name = "N")]
    pub end_wave: Option<u32>,
    /// Start at the lowest wave not yet completed in run-state.json.
    #[arg(long)]
    pub auto_next: bool,
    /// Keep a persisted relaunch plan instead of discarding it.
    #[arg(long)]
    pub resume_control_state: bool,
    /// Reconcile run-state.json from status files, print the result and exit.
    #[arg(long)]
    pub reconcile_status: bool,
    /// Run-state file (default: <state>/run-state.json).
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Per-agent timeout in minutes (an agent's budget.minutes can lower it).
    #[arg(long, default_value_t = 240, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub timeout_minutes: u32,
    /// Per-agent timeout in seconds, overriding --timeout-minutes (an agent's budget.minutes
    /// still caps it). Not an upstream flag; meant for tests and short smoke runs.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "S")]
    pub agent_timeout_seconds: Option<u32>,
    /// Retries per wave (attempts = retries + 1).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub max_retries_per_wave: u32,
    /// In-process retries of an agent that hit a provider rate limit.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub agent_rate_limit_retries: u32,
    /// Base delay of the rate-limit back-off, in seconds.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..), value_name = "S")]
    pub agent_rate_limit_base_delay_seconds: u32,
    /// Maximum delay of the rate-limit back-off, in seconds (must be >= the base).
    #[arg(long, default_value_t = 180, value_parser = clap::value_parser!(u32).range(1..), value_name = "S")]
    pub agent_rate_limit_max_delay_seconds: u32,
    /// Pause after each agent launch of a fan-out, in milliseconds.
    #[arg(long, default_value_t = 1200, value_parser = clap::value_parser!(u64).range(0..=3_600_000), value_name = "MS")]
    pub agent_launch_stagger_ms: u64,
    /// On SIGTERM/SIGINT/SIGHUP: seconds to wait for stopped agents before killing them (the
    /// run is recorded as interrupted and resumable; exit 128+N). Keep it below the container's
    /// stop timeout (Docker: 10 s). Not an upstream flag.
    #[arg(long, env = "WAVE_DRAIN_TIMEOUT", default_value_t = 8, value_parser = clap::value_parser!(u64).range(0..=3600), value_name = "S")]
    pub drain_timeout: u64,
    /// How many agents may run at once (see `wave doctor`).
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Where agents run: `process` (a detached runner each) or `container` (a sibling Docker
    /// container each; needs --agent-image). Not an upstream flag.
    #[arg(long, env = "WAVE_AGENT_RUNTIME", value_enum, default_value_t = AgentRuntimeArg::Process)]
    pub agent_runtime: AgentRuntimeArg,
    /// The image agent containers run (`--agent-runtime container`); it must hold `bash`, `tee`
    /// and the executor. Never pulled unless --pull.
    #[arg(long, env = "WAVE_AGENT_IMAGE", value_name = "IMAGE")]
    pub agent_image: Option<String>,
    /// Network mode of agent containers (`none`, `bridge`, a network name).
    #[arg(long, default_value = "bridge", value_name = "MODE")]
    pub agent_network: String,
    /// CPU limit per agent container (e.g. 0.5, 2).
    #[arg(long, value_name = "CPUS")]
    pub agent_cpus: Option<f64>,
    /// Process limit per agent container.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000), value_name = "N")]
    pub agent_pids_limit: Option<u64>,
    /// Agent containers get a read-only root filesystem (with a /tmp tmpfs).
    #[arg(long)]
    pub agent_read_only: bool,
    /// Pull a missing --agent-image instead of failing.
    #[arg(long)]
    pub pull: bool,
    /// Default executor for agents that do not choose one (codex, claude, opencode, local).
    #[arg(long, value_name = "ID")]
    pub executor: Option<String>,
    /// Codex sandbox mode when neither the agent nor its profile sets one.
    #[arg(long, value_name = "MODE")]
    pub codex_sandbox: Option<String>,
    /// Where to write waves.manifest.json (default: <state>/waves.manifest.json).
    #[arg(long, value_name = "PATH")]
    pub manifest_out: Option<PathBuf>,
    /// Parse and validate, write prompts and executor previews; start no process.
    #[arg(long)]
    pub dry_run: bool,
    /// Terminal surface (accepted for compatibility; `none` only with --dry-run).
    #[arg(long, value_enum)]
    pub terminal_surface: Option<TerminalSurface>,
    /// Accepted for compatibility (no dashboards are opened).
    #[arg(long)]
    pub no_dashboard: bool,
    /// Accepted for compatibility.
    #[arg(long, overrides_with = "keep_sessions")]
    pub cleanup_sessions: bool,
    /// Accepted for compatibility.
    #[arg(long, overrides_with = "cleanup_sessions")]
    pub keep_sessions: bool,
    /// Accepted for compatibility.
    #[arg(long)]
    pub keep_terminals: bool,
    /// Orchestrator id recorded in status files (default: <lane>-orch-<pid>).
    #[arg(long, value_name = "ID")]
    pub orchestrator_id: Option<String>,
    /// Cross-lane orchestrator board path.
    #[arg(long, value_name = "PATH")]
    pub orchestrator_board: Option<PathBuf>,
    /// Do not write the cross-lane orchestrator board.
    #[arg(long, conflicts_with = "orchestrator_board")]
    pub no_orchestrator_board: bool,
    /// Free-text note recorded with the launch.
    #[arg(long, value_name = "TEXT")]
    pub coordination_note: Option<String>,
    /// Accepted for compatibility (no resident orchestrator agent is started).
    #[arg(long)]
    pub resident_orchestrator: bool,
    /// Accepted for compatibility (no telemetry is ever sent).
    #[arg(long)]
    pub no_telemetry: bool,
    /// Accepted for compatibility (Context7 docs are never fetched).
    #[arg(long)]
    pub no_context7: bool,
    /// Ad-hoc run id (state under the ad-hoc run tree).
    #[arg(long, hide = true, value_name = "ID")]
    pub adhoc_run: Option<String>,
}

/// `wave submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The launch to queue (`wave launch`'s flags).
    #[command(flatten)]
    pub launch: LaunchArgs,
    /// Print `{runId, project, lane, adhocRunId, statePath}` as JSON.
    #[arg(long)]
    pub json: bool,
    /// Queue only; do not start a daemon (tests, or when a daemon is managed elsewhere).
    #[arg(long)]
    pub no_daemon: bool,
    /// Then wait for the run to end, print its status line, and exit as `wave wait` does.
    #[arg(long, conflicts_with = "no_daemon")]
    pub wait: bool,
}

/// `wave supervise`.
#[derive(Debug, Args)]
pub struct SuperviseArgs {
    /// Project id (explicit-project repositories).
    #[arg(long)]
    pub project: Option<String>,
    /// Lane to serve.
    #[arg(long, default_value = "main")]
    pub lane: String,
    /// Ad-hoc run id (accepted for compatibility).
    #[arg(long, hide = true, value_name = "ID")]
    pub adhoc_run: Option<String>,
    /// Drain the queue (follow every run to its end), then exit.
    #[arg(long)]
    pub once: bool,
    /// Longest pause between passes, in milliseconds (new runs and launcher exits wake the
    /// daemon at once; this is the fallback).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=3_600_000), value_name = "MS")]
    pub poll_ms: u64,
    /// Lease time in milliseconds (at least 3 × --poll-ms is used): how long a stalled daemon
    /// keeps the lane before another may take it over.
    #[arg(long, default_value_t = 15000, value_parser = clap::value_parser!(u64).range(1..=86_400_000), value_name = "MS")]
    pub lease_ms: u64,
    /// When another daemon holds the lane, wait and take over when it dies or stalls (instead
    /// of exiting 0).
    #[arg(long)]
    pub standby: bool,
    /// Runs with a launcher at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub max_concurrent_runs: u32,
    /// Automatic launcher resumes per run before a lost launcher fails the run.
    #[arg(long, default_value_t = wave_core::records::supervisor::DEFAULT_RESUME_LIMIT, value_name = "N")]
    pub max_resume_attempts: u32,
    /// Remove terminal runs whose state is older than this (e.g. 30s, 15m, 12h, 7d).
    #[arg(long, value_name = "AGE")]
    pub prune_older_than: Option<String>,
    /// On SIGTERM/SIGINT/SIGHUP: seconds to drain (launchers stop their agents and record
    /// them; runs stay resumable), then exit 128+N. Launchers get one second less. Keep it
    /// below the container's stop timeout (Docker: 10 s; raise compose's `stop_grace_period`
    /// or Kubernetes' `terminationGracePeriodSeconds` with it).
    #[arg(long, env = "WAVE_DRAIN_TIMEOUT", default_value_t = 8, value_parser = clap::value_parser!(u64).range(0..=3600), value_name = "S")]
    pub drain_timeout: u64,
    /// Exit after this long with nothing running or queued (e.g. 300s); `wave submit` starts
    /// its daemons with 10m. Default: never.
    #[arg(long, value_name = "AGE")]
    pub idle_exit: Option<String>,
}

/// The longest `wave wait --timeout-seconds` (ten years): larger values would overflow clocks.
pub const MAX_WAIT_SECONDS: u64 = 10 * 366 * 24 * 3600;

/// Which supervisor run a reader looks at.
#[derive(Debug, Args)]
pub struct RunSelector {
    /// The run id (`run-<ms>-<8 hex>`, as printed by `wave submit`).
    #[arg(long, value_name = "ID")]
    pub run_id: String,
    /// Project id (explicit-project repositories; default: the config's).
    #[arg(long)]
    pub project: Option<String>,
    /// Lane.
    #[arg(long, default_value = "main")]
    pub lane: String,
    /// Ad-hoc run id (accepted for compatibility).
    #[arg(long, hide = true, value_name = "ID")]
    pub adhoc_run: Option<String>,
}

/// `wave status` (and the run part of `wave wait`).
#[derive(Debug, Args)]
pub struct RunRefArgs {
    /// Which run.
    #[command(flatten)]
    pub run: RunSelector,
    /// Print the state as JSON (plus `daemon` health and, when derived, `derivedFrom`).
    #[arg(long)]
    pub json: bool,
}

/// `wave wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Which run.
    #[command(flatten)]
    pub run: RunRefArgs,
    /// Give up after this many seconds (exit 124); 0 reads once. At most 10 years.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=MAX_WAIT_SECONDS), value_name = "N")]
    pub timeout_seconds: u64,
}

/// `wave prepare-volumes`.
#[derive(Debug, Args)]
pub struct PrepareVolumesArgs {
    /// The owner to give them, numeric `UID:GID`.
    #[arg(long, value_name = "UID:GID")]
    pub owner: String,
    /// The mounted volumes.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
}

/// `wave runs` and `wave health`: a lane, and the output format.
#[derive(Debug, Args)]
pub struct LaneArgs {
    /// Project id (explicit-project repositories; default: the config's).
    #[arg(long)]
    pub project: Option<String>,
    /// Lane (default: the config's defaultLane).
    #[arg(long)]
    pub lane: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `wave attach`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Which run.
    #[command(flatten)]
    pub run: RunSelector,
    /// Follow this agent's log until the agent ends.
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// Print a text dashboard of the run.
    #[arg(long)]
    pub dashboard: bool,
}

/// `wave image …`.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Write a reproducible image of this wave binary (entrypoint `wave`, command `supervise`,
    /// user 65532, `/workspace` with `.tmp` and `.wave` as volumes) as an OCI image layout tar
    /// or a `docker load` archive; `--load` also loads it into the local Docker engine.
    /// The same inputs and SOURCE_DATE_EPOCH give byte-identical files.
    Build(Box<ImageBuildArgs>),
}

/// Archive format of `wave image build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImageFormat {
    /// OCI image layout tar (skopeo `oci-archive:`, umoci, containerd, podman).
    Oci,
    /// `docker load` archive (manifest.json).
    Docker,
}

/// `wave image build`.
#[derive(Debug, Args)]
pub struct ImageBuildArgs {
    /// Archive format of --output.
    #[arg(long, value_enum, default_value = "oci")]
    pub format: ImageFormat,
    /// Where to write the archive (written beside it under a temporary name, then renamed).
    #[arg(long, value_name = "FILE", required_unless_present = "load")]
    pub output: Option<PathBuf>,
    /// Image name and tag (default: <definition name>:<wave version>).
    #[arg(long, value_name = "NAME:TAG")]
    pub tag: Option<String>,
    /// Put the wave layers on top of this image (`docker save` archive or OCI layout tar).
    #[arg(long, value_name = "TAR")]
    pub base: Option<PathBuf>,
    /// The static wave binary to put in the image (default: this executable).
    #[arg(long, value_name = "PATH")]
    pub wave_binary: Option<PathBuf>,
    /// Image definition (default: the builtin images/supervisor.json).
    #[arg(long, value_name = "FILE")]
    pub definition: Option<PathBuf>,
    /// Leave out the static bash and busybox toolset (a binary-only image).
    #[arg(long)]
    pub no_toolset: bool,
    /// Load the image into the local Docker engine through its API (DOCKER_HOST or the
    /// default socket) and print the image id.
    #[arg(long)]
    pub load: bool,
    /// Deadline of the whole --load call, in seconds.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..), value_name = "S")]
    pub load_timeout_seconds: u64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `wave k8s …`.
#[derive(Debug, Subcommand)]
pub enum K8sCommand {
    /// Print one batch/v1 Job per selected wave (multi-document YAML; `--with-base` adds the
    /// workspace PersistentVolumeClaim and the ServiceAccount first). Waves are selected as
    /// `wave launch` selects them, from the lane's validated wave files.
    Render(Box<K8sRenderArgs>),
    /// Block until a wave is recorded completed in the lane's run-state.json (the init
    /// container of every Job but the first runs this for the previous wave). Exit 0 when
    /// completed; 1 when the wave's latest run is recorded failed; 124 when the timeout passes
    /// first (as `timeout(1)`).
    WaitWave(K8sWaitWaveArgs),
}

/// `wave k8s render`.
#[derive(Debug, Args)]
pub struct K8sRenderArgs {
    /// Project id (explicit-project repositories); passed on to `wave launch`.
    #[arg(long)]
    pub project: Option<String>,
    /// Lane to render.
    #[arg(long, default_value = "main")]
    pub lane: String,
    /// Render only this wave (same as --start-wave N --end-wave N).
    #[arg(long, value_name = "N", conflicts_with_all = ["start_wave", "end_wave"])]
    pub wave: Option<u32>,
    /// First wave of the range (as `wave launch`).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub start_wave: u32,
    /// Last wave of the range (default: the lane's last wave).
    #[arg(long, value_name = "N")]
    pub end_wave: Option<u32>,
    /// Container image of the pods.
    #[arg(long, default_value = wave_k8s::params::DEFAULT_IMAGE, value_name = "IMAGE")]
    pub image: String,
    /// PersistentVolumeClaim holding the workspace (mounted at /workspace).
    #[arg(long, default_value = wave_k8s::params::DEFAULT_PVC, value_name = "NAME")]
    pub pvc: String,
    /// ServiceAccount of the pods (its token is not mounted).
    #[arg(long, default_value = wave_k8s::params::DEFAULT_SERVICE_ACCOUNT, value_name = "NAME")]
    pub service_account: String,
    /// Namespace written into every object (default: none, kubectl's current namespace).
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Pods a Job may retry after counted failures (exit 32 lane lock, 43 recovery queued).
    #[arg(long, default_value_t = wave_k8s::params::DEFAULT_BACKOFF_LIMIT, value_name = "N")]
    pub backoff_limit: i32,
    /// Each wave's own run budget in minutes. activeDeadlineSeconds = the budgets of the
    /// earlier selected waves (the init container's wait counts against the deadline) + this.
    /// Default: per-agent timeout x stages (implementation fan-out + each closure agent) x 2
    /// attempts.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub timeout_minutes: Option<u32>,
    /// Per-agent timeout passed to `wave launch --timeout-minutes` (default: launch's 240).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub agent_timeout_minutes: Option<u32>,
    /// ttlSecondsAfterFinished: delete a finished Job (and its pods) after this long.
    #[arg(long, default_value_t = 86_400, value_parser = clap::value_parser!(i32).range(0..), value_name = "S")]
    pub ttl_seconds_after_finished: i32,
    /// The runtime's drain budget on SIGTERM; terminationGracePeriodSeconds = this + 15, at
    /// least 30.
    #[arg(long, default_value_t = wave_k8s::params::DEFAULT_DRAIN_TIMEOUT_SECONDS, value_name = "S")]
    pub drain_timeout_seconds: i64,
    /// CPU request of the wave container.
    #[arg(long, default_value = wave_k8s::params::DEFAULT_CPU_REQUEST, value_name = "QTY")]
    pub cpu_request: String,
    /// CPU limit (the runtime sizes agent concurrency from the pod's cgroup).
    #[arg(long, default_value = wave_k8s::params::DEFAULT_CPU_LIMIT, value_name = "QTY")]
    pub cpu_limit: String,
    /// Memory request of the wave container.
    #[arg(long, default_value = wave_k8s::params::DEFAULT_MEMORY_REQUEST, value_name = "QTY")]
    pub memory_request: String,
    /// Memory limit (read back through the cgroup too).
    #[arg(long, default_value = wave_k8s::params::DEFAULT_MEMORY_LIMIT, value_name = "QTY")]
    pub memory_limit: String,
    /// Also print the ServiceAccount and the workspace PersistentVolumeClaim, first.
    #[arg(long)]
    pub with_base: bool,
    /// Storage requested by the claim (with --with-base).
    #[arg(long, default_value = wave_k8s::base::DEFAULT_STORAGE, value_name = "QTY", requires = "with_base")]
    pub storage: String,
    /// storageClassName of the claim (with --with-base; default: the cluster's default class).
    #[arg(long, value_name = "NAME", requires = "with_base")]
    pub storage_class: Option<String>,
    /// Access mode of the claim (with --with-base): ReadWriteMany lets pods of later waves run
    /// on any node; ReadWriteOnce needs every pod on one node.
    #[arg(long, default_value = wave_k8s::base::DEFAULT_ACCESS_MODE, value_name = "MODE", requires = "with_base")]
    pub access_mode: String,
    /// Write the YAML to this file instead of stdout (atomically: all or nothing).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `wave k8s wait-wave`.
#[derive(Debug, Args)]
pub struct K8sWaitWaveArgs {
    /// The wave to wait for.
    #[arg(long, value_name = "N")]
    pub wave: u32,
    /// Lane.
    #[arg(long, default_value = "main")]
    pub lane: String,
    /// Project id (explicit-project repositories).
    #[arg(long)]
    pub project: Option<String>,
    /// Give up after this many seconds (exit 124); 0 reads once.
    #[arg(long, default_value_t = 3600, value_name = "S")]
    pub timeout_seconds: u64,
    /// A failure already recorded when the wait begins counts only after this many seconds
    /// pass with no newer run of the wave (a re-run writes `started` within seconds).
    #[arg(long, default_value_t = 120, value_name = "S")]
    pub failure_grace_seconds: u64,
}
