//! One `batch/v1` Job per wave: the pod that runs `wave launch` for exactly that wave, the init
//! container that orders it after the previous wave, and the failure policy over wave's exit
//! codes.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{
    Job, JobSpec, PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement,
    PodFailurePolicyOnPodConditionsPattern, PodFailurePolicyRule,
};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, EnvVar, PersistentVolumeClaimVolumeSource,
    PodSecurityContext, PodSpec, PodTemplateSpec, ResourceRequirements, SeccompProfile,
    SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::params::{job_name, JobParams, RUN_AS_ID, WORKSPACE};
use crate::K8sError;

/// Name of the container running `wave launch`.
pub const MAIN_CONTAINER: &str = "wave";
/// Name of the init container running `wave k8s wait-wave`.
pub const WAIT_CONTAINER: &str = "wait-previous-wave";
/// Launcher exit codes that end the Job at once (`FailJob`): 1 (the wave failed) and 42 (it
/// failed on cont-QA only). Retrying would repeat a decided outcome.
pub const EXIT_FAIL_JOB: [i32; 2] = [1, 42];
/// Launcher exit codes counted against `backoffLimit` (`Count`, so a new pod retries): 32
/// (another launcher held the lane lock) and 43 (a recovery was queued).
pub const EXIT_COUNT: [i32; 2] = [32, 43];
/// `wave k8s wait-wave` exit codes that end the Job (`FailJob`): 1 (the previous wave was
/// recorded failed) and 124 (its wait budget ran out).
pub const EXIT_WAIT_FAIL_JOB: [i32; 2] = [1, 124];
/// The pod condition of a pod evicted, preempted or drained off its node.
pub const DISRUPTION_CONDITION: &str = "DisruptionTarget";

/// The wave-specific part of one Job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaveJob {
    /// The wave the pod launches.
    pub wave: u32,
    /// The wave that must be recorded completed first (the previous selected wave); `None`
    /// for the first selected wave, which gets no init container.
    pub previous_wave: Option<u32>,
    /// The wave's own budget in seconds (its share of `activeDeadlineSeconds`).
    pub run_seconds: i64,
    /// How long the init container may wait for the previous wave, in seconds (its
    /// `--timeout-seconds`); counts against `activeDeadlineSeconds` too.
    pub wait_seconds: i64,
}

impl WaveJob {
    /// `activeDeadlineSeconds`: the wait for earlier waves plus the wave's own budget (the
    /// Job's clock starts when it is created, not when its wave starts).
    pub fn active_deadline_seconds(&self) -> i64 {
        self.wait_seconds.saturating_add(self.run_seconds)
    }
}

/// The labels of every object of a wave: `app.kubernetes.io/name=wave`, `wave.lane`,
/// `wave.project` and, for Jobs, `wave.wave`.
pub fn labels(params: &JobParams, wave: Option<u32>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), "wave".to_string()),
        ("wave.lane".to_string(), params.lane.clone()),
        ("wave.project".to_string(), params.project.clone()),
    ]);
    if let Some(wave) = wave {
        labels.insert("wave.wave".into(), wave.to_string());
    }
    labels
}

/// `wave launch` for exactly `wave`, as the container's command (PID 1, no shell).
pub fn launch_command(params: &JobParams, wave: u32) -> Vec<String> {
    let mut cmd: Vec<String> = vec![
        "wave".into(),
        "launch".into(),
        "--start-wave".into(),
        wave.to_string(),
        "--end-wave".into(),
        wave.to_string(),
        "--lane".into(),
        params.lane.clone(),
    ];
    if let Some(project) = &params.project_flag {
        cmd.extend(["--project".into(), project.clone()]);
    }
    cmd.extend(["--agent-launch-stagger-ms".into(), "0".into()]);
    // The runtime's drain (SIGTERM from the kubelet) fits inside the pod's grace period.
    cmd.extend([
        "--drain-timeout".into(),
        params.drain_timeout_seconds.to_string(),
    ]);
    cmd.extend(params.extra_launch_args.iter().cloned());
    cmd
}

/// `wave k8s wait-wave` for the previous wave, as the init container's command.
pub fn wait_command(params: &JobParams, previous: u32, timeout_seconds: i64) -> Vec<String> {
    let mut cmd: Vec<String> = vec![
        "wave".into(),
        "k8s".into(),
        "wait-wave".into(),
        "--wave".into(),
        previous.to_string(),
        "--lane".into(),
        params.lane.clone(),
    ];
    if let Some(project) = &params.project_flag {
        cmd.extend(["--project".into(), project.clone()]);
    }
    cmd.extend([
        "--timeout-seconds".into(),
        timeout_seconds.max(0).to_string(),
    ]);
    cmd
}

fn quantities(cpu: &str, memory: &str) -> BTreeMap<String, Quantity> {
    BTreeMap::from([
        ("cpu".to_string(), Quantity(cpu.to_string())),
        ("memory".to_string(), Quantity(memory.to_string())),
    ])
}

/// The restricted profile's container part.
fn container_security() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: None,
        }),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS_ID),
        run_as_group: Some(RUN_AS_ID),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            localhost_profile: None,
        }),
        ..SecurityContext::default()
    }
}

/// The workspace claim on `/workspace`, and again by `subPath` on `.tmp/` and `.wave/`; an
/// `emptyDir` on `/tmp`.
fn volume_mounts() -> Vec<VolumeMount> {
    let mount = |name: &str, path: String, sub_path: Option<&str>| VolumeMount {
        name: name.into(),
        mount_path: path,
        sub_path: sub_path.map(Into::into),
        ..VolumeMount::default()
    };
    vec![
        mount("workspace", WORKSPACE.into(), None),
        mount("workspace", format!("{WORKSPACE}/.tmp"), Some(".tmp")),
        mount("workspace", format!("{WORKSPACE}/.wave"), Some(".wave")),
        mount("tmp", "/tmp".into(), None),
    ]
}

fn env() -> Vec<EnvVar> {
    let var = |name: &str, value: &str| EnvVar {
        name: name.into(),
        value: Some(value.into()),
        value_from: None,
    };
    // The root filesystem is read-only: tools that want a writable $HOME get the emptyDir.
    vec![var("WAVE_REPO_ROOT", WORKSPACE), var("HOME", "/tmp")]
}

fn container(params: &JobParams, name: &str, command: Vec<String>) -> Container {
    Container {
        name: name.into(),
        image: Some(params.image.clone()),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(command),
        working_dir: Some(WORKSPACE.into()),
        env: Some(env()),
        volume_mounts: Some(volume_mounts()),
        security_context: Some(container_security()),
        ..Container::default()
    }
}

fn exit_rule(action: &str, container: &str, codes: &[i32]) -> PodFailurePolicyRule {
    let mut values = codes.to_vec();
    values.sort_unstable();
    PodFailurePolicyRule {
        action: action.into(),
        on_exit_codes: Some(PodFailurePolicyOnExitCodesRequirement {
            container_name: Some(container.into()),
            operator: "In".into(),
            values,
        }),
        on_pod_conditions: None,
    }
}

/// The failure policy, first matching rule wins: a disrupted pod (evicted, preempted, node
/// drained; the drained launcher exits 143) is ignored and replaced; exits 1 and 42 fail the
/// Job; 32 and 43 count towards `backoffLimit`; with an init container, its exits 1 and 124
/// fail the Job. Anything else counts (Kubernetes' default).
pub fn pod_failure_policy(with_wait: bool) -> PodFailurePolicy {
    let mut rules = vec![PodFailurePolicyRule {
        action: "Ignore".into(),
        on_exit_codes: None,
        on_pod_conditions: Some(vec![PodFailurePolicyOnPodConditionsPattern {
            type_: DISRUPTION_CONDITION.into(),
            status: "True".into(),
        }]),
    }];
    if with_wait {
        rules.push(exit_rule("FailJob", WAIT_CONTAINER, &EXIT_WAIT_FAIL_JOB));
    }
    rules.push(exit_rule("FailJob", MAIN_CONTAINER, &EXIT_FAIL_JOB));
    rules.push(exit_rule("Count", MAIN_CONTAINER, &EXIT_COUNT));
    PodFailurePolicy { rules }
}

/// The Job for `wave`.
pub fn wave_job(params: &JobParams, wave: &WaveJob) -> Result<Job, K8sError> {
    params.validate()?;
    if wave.run_seconds < 1 {
        return Err(K8sError::Invalid {
            flag: "--timeout-minutes".into(),
            message: format!(
                "wave {} has a budget of {} s; expected at least 1",
                wave.wave, wave.run_seconds
            ),
        });
    }
    let name = job_name(&params.lane, wave.wave)?;
    let labels = labels(params, Some(wave.wave));

    let mut main = container(params, MAIN_CONTAINER, launch_command(params, wave.wave));
    main.resources = Some(ResourceRequirements {
        requests: Some(quantities(
            &params.resources.cpu_request,
            &params.resources.memory_request,
        )),
        limits: Some(quantities(
            &params.resources.cpu_limit,
            &params.resources.memory_limit,
        )),
        claims: None,
    });
    let init = wave.previous_wave.map(|previous| {
        let mut wait = container(
            params,
            WAIT_CONTAINER,
            wait_command(params, previous, wave.wait_seconds),
        );
        wait.resources = Some(ResourceRequirements {
            requests: Some(quantities("10m", "32Mi")),
            limits: Some(quantities("100m", "64Mi")),
            claims: None,
        });
        vec![wait]
    });

    let pod = PodSpec {
        restart_policy: Some("Never".into()),
        service_account_name: Some(params.service_account.clone()),
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        termination_grace_period_seconds: Some(params.grace_period_seconds()),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(RUN_AS_ID),
            run_as_group: Some(RUN_AS_ID),
            fs_group: Some(RUN_AS_ID),
            fs_group_change_policy: Some("OnRootMismatch".into()),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                localhost_profile: None,
            }),
            ..PodSecurityContext::default()
        }),
        init_containers: init,
        containers: vec![main],
        volumes: Some(vec![
            Volume {
                name: "workspace".into(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: params.pvc.clone(),
                    read_only: None,
                }),
                ..Volume::default()
            },
            Volume {
                name: "tmp".into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            },
        ]),
        ..PodSpec::default()
    };

    Ok(Job {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: params.namespace.clone(),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            backoff_limit: Some(params.backoff_limit),
            completions: Some(1),
            parallelism: Some(1),
            active_deadline_seconds: Some(wave.active_deadline_seconds()),
            ttl_seconds_after_finished: params.ttl_seconds_after_finished,
            pod_failure_policy: Some(pod_failure_policy(wave.previous_wave.is_some())),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            ..JobSpec::default()
        }),
        status: None,
    })
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;
