//! Tests: result envelopes (shape against upstream output, role inference, validity), status
//! records and the prompt fingerprint.

use serde_json::{json, Value};

use super::envelope::{
    validate_envelope, EnvelopeContext, EnvelopeError, EnvelopeRole, ResultEnvelope,
};
use super::fingerprint::{canonical_json, prompt_fingerprint, FingerprintInput, SkillsFingerprint};
use super::status::StatusRecord;
use crate::markers::{build_summary, AgentSummary, DeliverableState, SummaryContext};
use crate::wave::ComponentTargets;

fn summary(agent: &str, log: &str, report: Option<&str>) -> AgentSummary {
    build_summary(
        log,
        report,
        SummaryContext {
            agent_id: Some(agent.to_owned()),
            prompt_hash: Some("ph".to_owned()),
            exit_code: Some(0),
            completed_at: Some("2030-01-02T03:04:05.006Z".to_owned()),
            deliverables: vec![DeliverableState {
                path: "src/a.md".to_owned(),
                exists: true,
                modified_at: Some("2030-01-02T03:04:00.000Z".to_owned()),
            }],
            log_path: format!(".tmp/main-wave-launcher/logs/wave-3-3-{agent}.log"),
            ..SummaryContext::default()
        },
    )
}

fn ctx(agent: &str) -> EnvelopeContext<'_> {
    EnvelopeContext {
        agent_id: agent,
        wave_number: 3,
        attempt: Some(2),
        exit_code: Some(0),
        fallback_completed_at: "2030-01-01T00:00:00.000Z",
    }
}

const PROOF: &str =
    "[wave-proof] completion=contract durability=none proof=unit state=met detail=built-it";
const DELTA: &str = "[wave-doc-delta] state=owned detail=notes";

#[test]
fn implementation_envelope_matches_upstream_shape() {
    let s = summary("A1", &format!("{PROOF}\n{DELTA}\n"), None);
    let envelope = ResultEnvelope::from_summary(&s, &ctx("A1"));
    // Shape of an envelope upstream v0.9.1 wrote for an implementation agent (values ours).
    let expected = json!({
        "schemaVersion": 2,
        "agentId": "A1",
        "waveNumber": 3,
        "attempt": 2,
        "completedAt": "2030-01-02T03:04:05.006Z",
        "exitCode": 0,
        "role": "implementation",
        "proof": {
            "state": "satisfied",
            "completion": "contract",
            "durability": "none",
            "proofLevel": "unit",
            "detail": "built-it"
        },
        "deliverables": [{"path": "src/a.md", "exists": true, "sha256": null}],
        "proofArtifacts": [],
        "gaps": [],
        "unresolvedBlockers": [],
        "riskNotes": [],
        "facts": [],
        "implementation": {
            "docDelta": {"state": "owned", "paths": [], "detail": "notes"},
            "components": []
        },
        "_synthesizedFromLegacy": true
    });
    let actual = envelope.to_value();
    assert_eq!(actual, expected);
    // Same key order as upstream's file.
    let keys: Vec<&String> = actual.as_object().unwrap().keys().collect();
    let want: Vec<&str> = expected
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, want);
    assert!(envelope.validate(Some("A1")).valid);
}

#[test]
fn cont_qa_envelope_matches_upstream_shape() {
    let log = "[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=pass detail=ok\n\
               [wave-verdict] pass detail=fine\n";
    let s = summary("A0", log, Some("# Review\n\nVerdict: PASS\n"));
    let envelope = ResultEnvelope::from_summary(&s, &ctx("A0"));
    let value = envelope.to_value();
    assert_eq!(value["role"], "cont-qa");
    // Upstream adds the implementation section to every synthesized envelope.
    assert_eq!(
        value["implementation"],
        json!({"docDelta": {"state": "none", "paths": [], "detail": null}, "components": []})
    );
    assert_eq!(
        value["proof"],
        json!({"state": "not_applicable", "completion": null, "durability": null, "proofLevel": null, "detail": null})
    );
    assert_eq!(value["contQa"]["verdict"]["verdict"], "pass");
    assert_eq!(
        value["contQa"]["gateClaims"],
        json!({"architecture": "pass", "integration": "pass", "durability": "pass", "live": "pass", "docs": "pass", "detail": "ok"})
    );
    assert!(envelope.validate(Some("A0")).valid);
}

#[test]
fn verdict_only_cont_qa_has_no_gate_claims() {
    let s = summary("A0", "[wave-verdict] concerns detail=hmm\n", None);
    let value = ResultEnvelope::from_summary(&s, &ctx("A0")).to_value();
    assert_eq!(value["role"], "cont-qa");
    assert!(value["contQa"].get("gateClaims").is_none());
}

#[test]
fn role_inference_order() {
    let integ =
        "[wave-integration] state=ready-for-doc-closure claims=0 conflicts=0 blockers=0 detail=x";
    let closure = "[wave-doc-closure] state=no-change detail=x";
    let gate = "[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=pass detail=x";
    let security = "[wave-security] state=clear findings=0 approvals=0 detail=x";
    let cases = [
        (
            format!("{integ}\n{closure}\n{gate}"),
            EnvelopeRole::Integration,
            "integration",
        ),
        (
            format!("{closure}\n{gate}"),
            EnvelopeRole::Documentation,
            "documentation",
        ),
        (
            format!("{security}\n{gate}"),
            EnvelopeRole::Security,
            "security",
        ),
        (gate.to_owned(), EnvelopeRole::ContQa, "contQa"),
        (
            PROOF.to_owned(),
            EnvelopeRole::Implementation,
            "implementation",
        ),
        (
            String::new(),
            EnvelopeRole::Implementation,
            "implementation",
        ),
    ];
    for (log, role, section) in cases {
        let s = summary("AX", &log, None);
        assert_eq!(EnvelopeRole::infer(&s), role, "log: {log}");
        let envelope = ResultEnvelope::from_summary(&s, &ctx("AX"));
        let value = envelope.to_value();
        assert_eq!(value["role"], role.as_str());
        assert!(value[section].is_object(), "{section} missing for {log}");
        assert!(envelope.validate(Some("AX")).valid);
    }
}

#[test]
fn documentation_section_prefers_doc_delta_quirk() {
    let log = format!("[wave-doc-closure] state=closed detail=c\n{DELTA}\n");
    let value = ResultEnvelope::from_summary(&summary("A9", &log, None), &ctx("A9")).to_value();
    assert_eq!(value["role"], "documentation");
    assert_eq!(value["documentation"]["docClosure"]["state"], "owned");
    let value = ResultEnvelope::from_summary(
        &summary("A9", "[wave-doc-closure] state=closed detail=c\n", None),
        &ctx("A9"),
    )
    .to_value();
    assert_eq!(value["documentation"]["docClosure"]["state"], "closed");
}

#[test]
fn proof_gap_is_partial() {
    let log =
        "[wave-proof] completion=contract durability=none proof=unit state=gap detail=missing";
    let value = ResultEnvelope::from_summary(&summary("A1", log, None), &ctx("A1")).to_value();
    assert_eq!(value["proof"]["state"], "partial");
}

#[test]
fn validity_rule() {
    let s = summary("A1", PROOF, None);
    let good = ResultEnvelope::from_summary(&s, &ctx("A1")).to_value();
    assert!(validate_envelope(&good, Some("A1")).valid);
    assert!(validate_envelope(&good, None).valid);

    let other = validate_envelope(&good, Some("A2"));
    assert!(!other.valid);
    assert!(matches!(
        other.errors[0],
        EnvelopeError::AgentIdMismatch { .. }
    ));

    let mut v1 = good.clone();
    v1["schemaVersion"] = json!(1);
    assert!(matches!(
        validate_envelope(&v1, Some("A1")).errors[..],
        [EnvelopeError::UnsupportedSchemaVersion { .. }]
    ));

    let mut no_section = good.clone();
    no_section.as_object_mut().unwrap().remove("implementation");
    assert_eq!(
        validate_envelope(&no_section, Some("A1")).errors,
        vec![EnvelopeError::MissingRoleSection {
            section: "implementation"
        }]
    );

    let mut no_proof = good.clone();
    no_proof.as_object_mut().unwrap().remove("proof");
    assert!(validate_envelope(&no_proof, Some("A1"))
        .errors
        .contains(&EnvelopeError::MissingProof));

    let mut wrong_role = good.clone();
    wrong_role["role"] = json!("cont-qa");
    assert_eq!(
        validate_envelope(&wrong_role, Some("A1")).errors,
        vec![EnvelopeError::MissingRoleSection { section: "contQa" }]
    );

    assert!(!validate_envelope(&json!([1]), None).valid);
    assert!(!validate_envelope(&json!({}), None).valid);
}

#[test]
fn envelope_round_trips_through_text() {
    let s = summary("A1", &format!("{PROOF}\n{DELTA}"), None);
    let envelope = ResultEnvelope::from_summary(&s, &ctx("A1"));
    let parsed = ResultEnvelope::parse(&envelope.to_json_pretty()).unwrap();
    assert_eq!(parsed, envelope);
    assert!(ResultEnvelope::parse("nope").is_err());
}

#[test]
fn status_record_shape_and_lenient_read() {
    // Shape of an upstream status file (values ours).
    let text = r#"{
  "code": 0,
  "promptHash": "abc",
  "orchestratorId": "main-orch-1",
  "attempt": 1,
  "completedAt": "2030-01-01T00:00:00.000Z"
}
"#;
    let record = StatusRecord::parse(text).unwrap();
    assert_eq!(record.code, 0);
    assert_eq!(record.attempt, Some(1));
    assert_eq!(record.to_json_pretty(), text);

    assert_eq!(StatusRecord::parse("0\n"), Some(StatusRecord::legacy(0)));
    assert_eq!(StatusRecord::parse("143"), Some(StatusRecord::legacy(143)));
    assert_eq!(StatusRecord::parse(""), None);
    assert_eq!(StatusRecord::parse("   \n"), None);
    assert_eq!(StatusRecord::parse("garbage"), None);
    assert_eq!(StatusRecord::parse(r#"{"code":"x"}"#), None);
    assert_eq!(StatusRecord::parse(r#"{"promptHash":"a"}"#), None);
    assert_eq!(
        StatusRecord::parse(r#"{"code":"2"}"#).map(|r| r.code),
        Some(2)
    );
    assert_eq!(
        StatusRecord::parse(r#"{"code":1,"promptHash":5}"#)
            .unwrap()
            .prompt_hash,
        None
    );
}

fn fingerprint_of(
    prompt: &str,
    targets: &ComponentTargets,
    skills: Option<&SkillsFingerprint>,
) -> String {
    let deliverables = vec!["src/a.md".to_owned()];
    let components = vec!["c1".to_owned(), "c2".to_owned()];
    prompt_fingerprint(&FingerprintInput {
        prompt,
        context7_selection_hash: "sel",
        exit_contract: None,
        deliverables: &deliverables,
        proof_artifacts: &[],
        components: &components,
        component_targets: targets,
        executor_resolved: None,
        skills_resolved: skills,
    })
}

#[test]
fn fingerprint_is_stable_and_sensitive() {
    let targets = ComponentTargets(vec![
        ("c1".to_owned(), Some("repo-landed".to_owned())),
        ("c2".to_owned(), None),
    ]);
    let reordered = ComponentTargets(vec![
        ("c2".to_owned(), None),
        ("c1".to_owned(), Some("repo-landed".to_owned())),
    ]);
    let a = fingerprint_of("Do the thing.", &targets, None);
    assert_eq!(a.len(), 64);
    assert!(a
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(a, fingerprint_of("Do the thing.", &targets, None));
    // Map key order does not matter.
    assert_eq!(a, fingerprint_of("Do the thing.", &reordered, None));
    // The prompt, targets and skills do.
    assert_ne!(a, fingerprint_of("Do the other thing.", &targets, None));
    let changed = ComponentTargets(vec![("c1".to_owned(), Some("pilot-live".to_owned()))]);
    assert_ne!(a, fingerprint_of("Do the thing.", &changed, None));
    let skills = SkillsFingerprint {
        ids: vec!["s1".to_owned()],
        ..SkillsFingerprint::default()
    };
    assert_ne!(a, fingerprint_of("Do the thing.", &targets, Some(&skills)));
}

#[test]
fn canonical_json_sorts_keys_recursively() {
    let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[{"q":1,"p":2}],"x":null}}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[{"p":2,"q":1}]},"b":1}"#).unwrap();
    assert_eq!(canonical_json(&a), canonical_json(&b));
    assert_eq!(
        canonical_json(&a),
        r#"{"a":{"x":null,"y":[{"p":2,"q":1}]},"b":1}"#
    );
}
