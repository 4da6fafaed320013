//! Snapshot-style tests of the rendered Job: the serialised object's important fields.

use serde_json::{json, Value};

use super::*;
use crate::yaml::{to_yaml_documents, Document};

fn params() -> JobParams {
    let mut p = JobParams::new("main", "default");
    p.ttl_seconds_after_finished = Some(3600);
    p
}

fn render(p: &JobParams, wave: WaveJob) -> Value {
    serde_json::to_value(wave_job(p, &wave).expect("render")).expect("to json")
}

fn first() -> WaveJob {
    WaveJob {
        wave: 0,
        previous_wave: None,
        run_seconds: 1200,
        wait_seconds: 0,
    }
}

fn second() -> WaveJob {
    WaveJob {
        wave: 1,
        previous_wave: Some(0),
        run_seconds: 1200,
        wait_seconds: 1200,
    }
}

#[test]
fn job_identity_labels_and_deadlines() {
    let job = render(&params(), first());
    assert_eq!(job["apiVersion"], "batch/v1");
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["metadata"]["name"], "wave-main-wave-0");
    let labels = json!({
        "app.kubernetes.io/name": "wave",
        "wave.lane": "main",
        "wave.project": "default",
        "wave.wave": "0",
    });
    assert_eq!(job["metadata"]["labels"], labels);
    assert_eq!(job["spec"]["template"]["metadata"]["labels"], labels);
    let spec = &job["spec"];
    assert_eq!(spec["backoffLimit"], 2);
    assert_eq!(spec["completions"], 1);
    assert_eq!(spec["parallelism"], 1);
    assert_eq!(spec["activeDeadlineSeconds"], 1200);
    assert_eq!(spec["ttlSecondsAfterFinished"], 3600);
    // The second wave's deadline also covers its wait for the first.
    assert_eq!(
        render(&params(), second())["spec"]["activeDeadlineSeconds"],
        2400
    );
}

#[test]
fn pod_runs_launch_as_pid_1_with_the_workspace_claim() {
    let job = render(&params(), first());
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["serviceAccountName"], "wave");
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(pod["terminationGracePeriodSeconds"], 30);
    assert!(
        pod.get("initContainers").is_none(),
        "first wave waits for nothing"
    );
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    assert_eq!(c["name"], "wave");
    assert_eq!(c["image"], "wave:latest");
    assert_eq!(
        c["command"],
        json!([
            "wave",
            "launch",
            "--start-wave",
            "0",
            "--end-wave",
            "0",
            "--lane",
            "main",
            "--agent-launch-stagger-ms",
            "0",
            "--drain-timeout",
            "8"
        ])
    );
    assert!(c.get("args").is_none());
    assert_eq!(c["workingDir"], "/workspace");
    assert_eq!(
        c["env"],
        json!([{"name": "WAVE_REPO_ROOT", "value": "/workspace"}, {"name": "HOME", "value": "/tmp"}])
    );
    assert_eq!(
        c["volumeMounts"],
        json!([
            {"name": "workspace", "mountPath": "/workspace"},
            {"name": "workspace", "mountPath": "/workspace/.tmp", "subPath": ".tmp"},
            {"name": "workspace", "mountPath": "/workspace/.wave", "subPath": ".wave"},
            {"name": "tmp", "mountPath": "/tmp"},
        ])
    );
    assert_eq!(
        pod["volumes"],
        json!([
            {"name": "workspace", "persistentVolumeClaim": {"claimName": "wave-workspace"}},
            {"name": "tmp", "emptyDir": {}},
        ])
    );
    assert_eq!(
        c["resources"],
        json!({"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}})
    );
}

#[test]
fn restricted_security_profile() {
    let job = render(&params(), second());
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(
        pod["securityContext"],
        json!({
            "fsGroup": 65532,
            "fsGroupChangePolicy": "OnRootMismatch",
            "runAsGroup": 65532,
            "runAsNonRoot": true,
            "runAsUser": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        })
    );
    let restricted = json!({
        "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": true,
        "runAsGroup": 65532,
        "runAsNonRoot": true,
        "runAsUser": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    });
    assert_eq!(pod["containers"][0]["securityContext"], restricted);
    assert_eq!(pod["initContainers"][0]["securityContext"], restricted);
}

#[test]
fn later_waves_wait_for_the_previous_one_in_an_init_container() {
    let mut p = params();
    p.project_flag = Some("alpha".into());
    p.project = "alpha".into();
    let job = render(&p, second());
    let pod = &job["spec"]["template"]["spec"];
    let init = pod["initContainers"].as_array().unwrap();
    assert_eq!(init.len(), 1);
    assert_eq!(init[0]["name"], "wait-previous-wave");
    assert_eq!(init[0]["image"], "wave:latest");
    assert_eq!(
        init[0]["command"],
        json!([
            "wave",
            "k8s",
            "wait-wave",
            "--wave",
            "0",
            "--lane",
            "main",
            "--project",
            "alpha",
            "--timeout-seconds",
            "1200"
        ])
    );
    assert_eq!(
        init[0]["volumeMounts"],
        pod["containers"][0]["volumeMounts"]
    );
    assert_eq!(job["metadata"]["name"], "wave-main-wave-1");
    assert_eq!(job["metadata"]["labels"]["wave.project"], "alpha");
    let cmd = pod["containers"][0]["command"].as_array().unwrap();
    assert!(cmd
        .windows(2)
        .any(|w| w[0] == "--project" && w[1] == "alpha"));
}

#[test]
fn failure_policy_maps_wave_exit_codes() {
    let first_policy = render(&params(), first())["spec"]["podFailurePolicy"].clone();
    assert_eq!(
        first_policy,
        json!({"rules": [
            {"action": "Ignore",
             "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
            {"action": "FailJob",
             "onExitCodes": {"containerName": "wave", "operator": "In", "values": [1, 42]}},
            {"action": "Count",
             "onExitCodes": {"containerName": "wave", "operator": "In", "values": [32, 43]}},
        ]})
    );
    let later = render(&params(), second())["spec"]["podFailurePolicy"]["rules"].clone();
    assert_eq!(later.as_array().unwrap().len(), 4);
    assert_eq!(
        later[1],
        json!({"action": "FailJob", "onExitCodes":
            {"containerName": "wait-previous-wave", "operator": "In", "values": [1, 124]}})
    );
}

#[test]
fn flags_flow_into_the_job() {
    let mut p = params();
    p.image = "registry.example/wave:1.2".into();
    p.pvc = "ws".into();
    p.service_account = "runner".into();
    p.namespace = Some("agents".into());
    p.backoff_limit = 0;
    p.drain_timeout_seconds = 40;
    p.resources.cpu_limit = "1500m".into();
    p.extra_launch_args = vec!["--timeout-minutes".into(), "15".into()];
    let job = render(&p, first());
    assert_eq!(job["metadata"]["namespace"], "agents");
    assert_eq!(job["spec"]["backoffLimit"], 0);
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["terminationGracePeriodSeconds"], 55);
    assert_eq!(pod["serviceAccountName"], "runner");
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "ws"
    );
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "registry.example/wave:1.2");
    assert_eq!(c["resources"]["limits"]["cpu"], "1500m");
    let cmd: Vec<&str> = c["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(&cmd[cmd.len() - 2..], ["--timeout-minutes", "15"]);
}

#[test]
fn bad_parameters_are_one_line_errors_naming_the_flag() {
    let mut p = params();
    p.pvc = "Work Space".into();
    let err = wave_job(&p, &first()).unwrap_err().to_string();
    assert!(
        err.starts_with("--pvc: \"Work Space\" is not a valid Kubernetes name"),
        "{err}"
    );
    let mut p = params();
    p.resources.memory_limit = "8GB".into();
    let err = wave_job(&p, &first()).unwrap_err().to_string();
    assert!(err.starts_with("--memory-limit:"), "{err}");
    let mut p = params();
    p.lane = "x".repeat(60);
    let err = wave_job(&p, &first()).unwrap_err().to_string();
    assert!(err.contains("Job name"), "{err}");
    assert!(!err.contains('\n'));
}

#[test]
fn yaml_stream_has_one_document_per_object() {
    let jobs = [first(), second()]
        .iter()
        .map(|w| Document::Job(Box::new(wave_job(&params(), w).unwrap())))
        .collect::<Vec<_>>();
    let text = to_yaml_documents(&jobs).unwrap();
    assert_eq!(text.matches("---\n").count(), 2);
    assert!(
        text.starts_with("---\napiVersion: batch/v1\nkind: Job\n"),
        "{text}"
    );
    let docs: Vec<Value> = text
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| serde_yaml_ng::from_str(d).unwrap())
        .collect();
    assert_eq!(docs[1]["metadata"]["name"], "wave-main-wave-1");
}
