//! Unit tests for marker extraction, grammar and summaries.

use super::*;
use crate::contract::{Completion, DocImpact, Durability, ProofLevel};

const PROOF: &str = "[wave-proof] completion=integrated durability=durable proof=integration state=met detail=all good";
const DELTA: &str = "[wave-doc-delta] state=owned paths=docs/a.md,docs/b.md detail=updated";

fn signals(log: &str) -> ParsedSignals {
    parse_signals(log)
}

fn proof_of(log: &str) -> Option<ProofMarker> {
    signals(log).proof
}

#[test]
fn proof_marker_parses_all_fields() {
    let proof = proof_of(PROOF).expect("proof");
    assert_eq!(proof.completion, Completion::Integrated);
    assert_eq!(proof.durability, Durability::Durable);
    assert_eq!(proof.proof, ProofLevel::Integration);
    assert_eq!(proof.state, MetState::Met);
    assert_eq!(proof.detail, "all good");
    let gap =
        proof_of("[wave-proof] completion=contract durability=none proof=unit state=gap").unwrap();
    assert_eq!(gap.state, MetState::Gap);
    assert_eq!(gap.detail, "");
}

#[test]
fn grammar_is_case_insensitive_and_normalises_values() {
    let proof = proof_of(
        "[WAVE-PROOF] COMPLETION=LIVE Durability=Durable proof=LIVE state=MET DETAIL=Shouty",
    )
    .unwrap();
    assert_eq!(proof.completion, Completion::Live);
    assert_eq!(proof.state, MetState::Met);
    assert_eq!(proof.detail, "Shouty");
}

#[test]
fn reordered_fields_are_rejected_and_diagnosed() {
    let log = "[wave-proof] durability=durable completion=live proof=live state=met";
    let parsed = signals(log);
    assert!(parsed.proof.is_none());
    let bucket = &parsed.diagnostics.proof;
    assert_eq!((bucket.raw_count, bucket.accepted_count), (1, 0));
    assert_eq!(bucket.rejected_samples[0].line, log);
    assert!(bucket.all_rejected());
}

#[test]
fn whitespace_variants_follow_upstream_regexes() {
    // `\s+` between fields, `\s*` after the tag and before detail.
    assert!(
        proof_of("[wave-proof]completion=live  durability=none\tproof=unit state=met").is_some()
    );
    assert_eq!(
        proof_of("[wave-proof] completion=live durability=none proof=unit state=metdetail=x")
            .unwrap()
            .detail,
        "x"
    );
    // Trailing junk and unknown values fail.
    assert!(
        proof_of("[wave-proof] completion=live durability=none proof=unit state=met extra")
            .is_none()
    );
    assert!(
        proof_of("[wave-proof] completion=done durability=none proof=unit state=met").is_none()
    );
    assert!(proof_of("[wave-proof] completion=live durability=none proof=unit").is_none());
}

#[test]
fn list_prefixes_and_backticks_are_accepted() {
    for line in [
        format!("- {PROOF}"),
        format!("* {PROOF}"),
        format!("+ {PROOF}"),
        format!("1. {PROOF}"),
        format!("12.   {PROOF}"),
        format!("`{PROOF}`"),
        format!("- `{PROOF}`"),
        format!("   {PROOF}   "),
    ] {
        assert!(proof_of(&line).is_some(), "{line}");
    }
    // Only one prefix; a prefix needs whitespace after it.
    assert!(proof_of(&format!("- - {PROOF}")).is_none());
    assert!(proof_of(&format!("-{PROOF}")).is_none());
    assert!(proof_of(&format!("note: {PROOF}")).is_none());
    // Backtick form is case-sensitive upstream and must be one marker.
    assert!(proof_of(&format!("`{}`", PROOF.replace("[wave-", "[WAVE-"))).is_none());
    assert!(proof_of(&format!("`{PROOF}` and `x`")).is_none());
}

#[test]
fn fences_count_only_when_marker_only() {
    let ok = format!("```\n{PROOF}\n\n{DELTA}\n```\n");
    let parsed = signals(&ok);
    assert!(parsed.proof.is_some() && parsed.doc_delta.is_some());

    let prose = format!("```text\nHere is my proof:\n{PROOF}\n```\n");
    assert!(proof_of(&prose).is_none());

    // A fence still open at the end is read leniently.
    let open = format!("```\nsome prose\n{PROOF}\n");
    assert!(proof_of(&open).is_some());

    // Lines after a closed prose fence count again.
    let after = format!("```\nprose\n```\n{PROOF}\n");
    assert!(proof_of(&after).is_some());
}

#[test]
fn window_cut_inside_a_fence_flips_fence_parity() {
    // The opening fence lies outside the window: the closing fence opens a new (unterminated,
    // lenient) fence, so a prose fence's marker becomes visible — upstream behaviour.
    let tail = format!("prose\n{PROOF}\n```\nmore prose\n");
    let log = format!("```\n{}{tail}", "x".repeat(LOG_WINDOW));
    assert!(proof_of(&log).is_some());
}

#[test]
fn json_lines_text_and_aggregated_output_are_scanned() {
    let text =
        serde_json::json!({"type": "item", "item": {"text": format!("done\n{PROOF}")}}).to_string();
    assert!(proof_of(&text).is_some());
    let agg = serde_json::json!({"msg": {"aggregated_output": PROOF}}).to_string();
    assert!(proof_of(&agg).is_some());
    let arr = serde_json::json!([{"content": [{"text": format!("- {PROOF}")}]}]).to_string();
    assert!(proof_of(&arr).is_some());
    // Doubly embedded: a JSON line inside a text string.
    let inner = serde_json::json!({"text": PROOF}).to_string();
    let outer = serde_json::json!({"text": inner}).to_string();
    assert!(proof_of(&outer).is_some());
    // Other keys are not scanned; malformed JSON is ignored.
    let other = serde_json::json!({"content": PROOF}).to_string();
    assert!(proof_of(&other).is_none());
    assert!(proof_of(&format!("{{\"text\": \"{PROOF}\"")).is_none());
    // Fence rules apply inside the embedded text.
    let fenced = serde_json::json!({"text": format!("```\nprose\n{PROOF}\n```")}).to_string();
    assert!(proof_of(&fenced).is_none());
}

#[test]
fn last_accepted_occurrence_wins() {
    let log = format!(
        "{PROOF}\n[wave-proof] completion=contract durability=none proof=unit state=gap detail=second\n[wave-proof] broken\n"
    );
    let parsed = signals(&log);
    assert_eq!(parsed.proof.unwrap().detail, "second");
    assert_eq!(parsed.diagnostics.proof.raw_count, 3);
    assert_eq!(parsed.diagnostics.proof.accepted_count, 2);
}

#[test]
fn window_is_the_last_60000_utf16_units() {
    let filler = "y".repeat(LOG_WINDOW);
    let outside = format!("{PROOF}\n{filler}");
    assert!(proof_of(&outside).is_none());
    // Exactly fits at the end of the window.
    let line = format!("{PROOF}\n");
    let pad = "z".repeat(LOG_WINDOW - line.len() - 1);
    let inside = format!("{filler}\n{pad}\n{line}");
    assert_eq!(tail_utf16(&inside, LOG_WINDOW).len(), LOG_WINDOW);
    assert!(proof_of(&inside).is_some());
    // Cutting the first character of the marker line hides it.
    let cut = format!("{filler}{line}{}", "z".repeat(LOG_WINDOW - line.len() + 1));
    assert!(proof_of(&cut).is_none());
}

#[test]
fn window_with_multibyte_boundary_is_safe() {
    for filler in ["é", "€", "\u{1F600}"] {
        let log = format!("{}\n{PROOF}\n", filler.repeat(LOG_WINDOW));
        assert!(proof_of(&log).is_some(), "{filler}");
        let summary = build_summary(&log, None, SummaryContext::default());
        assert!(summary.proof.is_some());
    }
}

#[test]
fn doc_delta_paths_are_lazy_up_to_detail() {
    let parsed = signals(DELTA).doc_delta.unwrap();
    assert_eq!(parsed.state, DocImpact::Owned);
    assert_eq!(parsed.paths, vec!["docs/a.md", "docs/b.md"]);
    assert_eq!(parsed.detail, "updated");
    let spaced =
        signals("[wave-doc-delta] state=shared-plan paths=a.md, b c.md  detail=x detail=y")
            .doc_delta
            .unwrap();
    assert_eq!(spaced.paths, vec!["a.md", "b c.md"]);
    assert_eq!(spaced.detail, "x detail=y");
    let bare = signals("[wave-doc-delta] state=none").doc_delta.unwrap();
    assert!(bare.paths.is_empty());
    let detail_only = signals("[wave-doc-delta] state=none detail=nothing paths=x")
        .doc_delta
        .unwrap();
    assert_eq!(detail_only.detail, "nothing paths=x");
    assert!(signals("[wave-doc-delta] state=owned junk")
        .doc_delta
        .is_none());
    assert!(signals("[wave-doc-delta] paths=a state=owned")
        .doc_delta
        .is_none());
}

#[test]
fn doc_closure_parses() {
    let closure = signals("[wave-doc-closure] state=no-change")
        .doc_closure
        .unwrap();
    assert_eq!(closure.state, DocClosureState::NoChange);
    let delta = signals("[wave-doc-closure] state=delta paths=README.md detail=open")
        .doc_closure
        .unwrap();
    assert_eq!(
        (delta.state, delta.paths.len(), delta.detail.as_str()),
        (DocClosureState::Delta, 1, "open")
    );
    assert!(signals("[wave-doc-closure] state=done")
        .doc_closure
        .is_none());
}

#[test]
fn integration_security_design_gate_gap_parse() {
    let p = signals(
        "[wave-integration] state=needs-more-work claims=2 conflicts=1 blockers=0 detail=fix\n\
         [wave-security] state=concerns findings=1 approvals=0\n\
         [wave-design] state=ready-for-implementation decisions=3 assumptions=2 open_questions=0 detail=ok\n\
         [wave-gate] architecture=pass integration=pass durability=concerns live=pass docs=blocked detail=d\n\
         [wave-gap] kind=ops detail=no runbook\n\
         [wave-gap] kind=docs",
    );
    let integration = p.integration.unwrap();
    assert_eq!(integration.state, IntegrationState::NeedsMoreWork);
    assert_eq!(
        (
            integration.claims,
            integration.conflicts,
            integration.blockers
        ),
        (2, 1, 0)
    );
    let security = p.security.unwrap();
    assert_eq!(
        (security.state, security.findings),
        (SecurityState::Concerns, 1)
    );
    let design = p.design.unwrap();
    assert_eq!(
        (design.state, design.decisions, design.open_questions),
        (DesignState::ReadyForImplementation, 3, 0)
    );
    let gate = p.gate.unwrap();
    assert_eq!(gate.durability, GateValue::Concerns);
    assert_eq!(gate.docs, GateValue::Blocked);
    assert_eq!(p.gaps.len(), 2);
    assert_eq!(p.gaps[0].kind, GapKind::Ops);
    assert_eq!(p.gaps[0].detail, "no runbook");
    // Reordered / missing fields.
    assert!(
        signals("[wave-security] findings=0 state=clear approvals=0")
            .security
            .is_none()
    );
    assert!(
        signals("[wave-integration] state=needs-more-work claims=x conflicts=1 blockers=0")
            .integration
            .is_none()
    );
    assert!(
        signals("[wave-gate] architecture=pass integration=pass durability=pass live=pass")
            .gate
            .is_none()
    );
    assert!(signals("[wave-gap] kind=other").gaps.is_empty());
}

#[test]
fn eval_marker_ids_are_lower_cased_and_backtrack_like_the_regex() {
    let e = signals("[wave-eval] state=satisfied targets=2 benchmarks=1 regressions=0 target_ids=Latency,ACCURACY benchmark_ids=Bench-A detail=fine")
        .eval
        .unwrap();
    assert_eq!(e.target_ids, vec!["latency", "accuracy"]);
    assert_eq!(e.benchmark_ids, vec!["bench-a"]);
    assert_eq!(e.detail, "fine");
    let bare = signals("[wave-eval] state=blocked targets=0 benchmarks=0 regressions=3")
        .eval
        .unwrap();
    assert_eq!((bare.state, bare.regressions), (EvalState::Blocked, 3));
    assert!(bare.target_ids.is_empty());
    // Greedy token then backtrack to the last `detail=` inside it.
    let glued = signals("[wave-eval] state=satisfied targets=1 benchmarks=0 regressions=0 target_ids=a,bdetail=foo bar")
        .eval
        .unwrap();
    assert_eq!(glued.target_ids, vec!["a", "b"]);
    assert_eq!(glued.detail, "foo bar");
    // benchmark_ids before target_ids is out of order.
    assert!(signals("[wave-eval] state=satisfied targets=1 benchmarks=1 regressions=0 benchmark_ids=b target_ids=a").eval.is_none());
}

#[test]
fn components_keep_last_per_id_in_first_seen_order() {
    let p = signals(
        "[wave-component] component=alpha level=repo-landed state=gap\n\
         [wave-component] component=Beta level=pilot-live state=met\n\
         [wave-component] component=alpha level=baseline-proved state=met detail=done\n\
         [wave-component] level=x component=gamma state=met",
    );
    assert_eq!(p.components.len(), 2);
    assert_eq!(p.components[0].component_id, "alpha");
    assert_eq!(p.components[0].level, "baseline-proved");
    assert_eq!(p.components[0].detail, "done");
    assert_eq!(p.components[1].component_id, "beta");
    let d = &p.diagnostics.component;
    assert_eq!((d.counts.raw_count, d.counts.accepted_count), (4, 3));
    assert_eq!(d.seen_component_ids, vec!["alpha", "beta", "gamma"]);
    assert_eq!(
        d.counts.rejected_samples[0].component_id.as_deref(),
        Some("gamma")
    );
}

#[test]
fn rejected_samples_are_capped() {
    let log = "[wave-gate] nope\n".repeat(5);
    let p = signals(&log);
    assert_eq!(p.diagnostics.gate.raw_count, 5);
    assert_eq!(p.diagnostics.gate.rejected_samples.len(), 3);
}

#[test]
fn candidate_tag_rules() {
    assert!(parse_candidate_kind("[wave-proof] x").is_some());
    assert!(parse_candidate_kind("[wave-proof=x").is_some());
    assert!(parse_candidate_kind("[wave-proof").is_some());
    assert!(parse_candidate_kind("[wave-proof_x]").is_none());
    assert!(parse_candidate_kind("[wave-] x").is_none());
    // Unknown tags are candidates with no diagnosed kind.
    let phase = extract::parse_candidate("[wave-phase] coding").unwrap();
    assert_eq!(phase.kind, None);
    // `[deploy-status]` is not a `[wave-` candidate.
    assert!(extract::parse_candidate("[deploy-status] service=a state=healthy").is_none());
}

fn parse_candidate_kind(line: &str) -> Option<Candidate> {
    extract::parse_candidate(line)
}

#[test]
fn verdict_precedence_and_normalisation() {
    let report = "# Review\nVerdict: BLOCKED - tests fail\n";
    let log = "[wave-verdict] pass detail=looks fine";
    let s = build_summary(log, Some(report), SummaryContext::default());
    let v = s.verdict.unwrap();
    assert_eq!(v.verdict, Verdict::Blocked);
    assert_eq!(v.detail, "tests fail");
    // No report verdict → log verdict.
    let s = build_summary(log, Some("no verdict here"), SummaryContext::default());
    assert_eq!(s.verdict.unwrap().verdict, Verdict::Pass);
    // Last wins within a source; hold/fail map.
    let s = build_summary(
        "[wave-verdict] pass\n[wave-verdict] HOLD detail=wait",
        None,
        SummaryContext::default(),
    );
    assert_eq!(s.verdict.clone().unwrap().verdict, Verdict::Concerns);
    assert_eq!(s.verdict.unwrap().detail, "wait");
    let r = parse_report_verdict("Verdict: PASS\n\nbody\n\nVerdict: fail: broken").unwrap();
    assert_eq!(r.verdict, Verdict::Blocked);
    assert_eq!(r.detail, "broken");
    assert_eq!(
        parse_report_verdict("Verdict: HOLD").unwrap().verdict,
        Verdict::Concerns
    );
}

#[test]
fn report_verdict_quirks_match_upstream_regex() {
    // Indented lines and longer words do not count.
    assert!(parse_report_verdict("  Verdict: PASS").is_none());
    assert!(parse_report_verdict("Verdict: PASSED").is_none());
    // The detail may come from the next line, which then is not read as a verdict.
    let r = parse_report_verdict("Verdict: PASS\nVerdict: BLOCKED").unwrap();
    assert_eq!(r.verdict, Verdict::Pass);
    assert_eq!(r.detail, "Verdict: BLOCKED");
    let r = parse_report_verdict("Verdict:\nconcerns").unwrap();
    assert_eq!(r.verdict, Verdict::Concerns);
    let r = parse_report_verdict("verdict: pass — detail=ok").unwrap();
    assert_eq!(r.detail, "— detail=ok");
    let r = parse_report_verdict("Verdict: pass: detail=ok").unwrap();
    assert_eq!(r.detail, "ok");
}

#[test]
fn log_verdict_comes_only_from_marker_lines() {
    let s = build_summary(
        "```\nprose\n[wave-verdict] blocked\n```\n",
        None,
        SummaryContext::default(),
    );
    assert!(s.verdict.is_none());
    let s = build_summary("- `[wave-verdict] fail`", None, SummaryContext::default());
    assert_eq!(s.verdict.unwrap().verdict, Verdict::Blocked);
    assert!(
        build_summary("[wave-verdict] passing", None, SummaryContext::default())
            .verdict
            .is_none()
    );
}

#[test]
fn termination_detection() {
    let t = detect_termination(
        "x\nError: Reached max turns (40)\nlater timed out",
        false,
        None,
        None,
    );
    assert_eq!(t.reason, Some(TerminationReason::MaxTurns));
    assert_eq!(t.hint, "Reached max turns (40)");
    assert_eq!(t.observed_turn_limit, Some(40));
    let t = detect_termination("reached max turns (12)", true, None, None);
    assert!(t.hint.starts_with("reached max turns (12)."));
    let t = detect_termination("request Timed Out after 30s. retrying", false, None, None);
    assert_eq!(t.reason, Some(TerminationReason::Timeout));
    assert_eq!(t.hint, "Timed Out after 30s");
    let t = detect_termination("timed out", false, None, None);
    assert_eq!(t.hint, "timed out");
    let t = detect_termination("", false, Some("  killed  "), Some(1));
    assert_eq!(
        (t.reason, t.hint.as_str()),
        (Some(TerminationReason::StatusDetail), "killed")
    );
    let t = detect_termination("", false, None, Some(3));
    assert_eq!(
        (t.reason, t.hint.as_str()),
        (Some(TerminationReason::ExitCode), "Exit code 3.")
    );
    assert_eq!(
        detect_termination("", false, None, Some(0)),
        Termination::default()
    );
    assert_eq!(
        detect_termination("Reached max turns (x)", false, None, None).reason,
        None
    );
}

#[test]
fn summary_json_uses_upstream_field_names() {
    let context = SummaryContext {
        agent_id: Some("A1".into()),
        prompt_hash: Some("abc".into()),
        exit_code: Some(0),
        completed_at: Some("2025-01-01T00:00:00.000Z".into()),
        deliverables: vec![DeliverableState {
            path: "src/a.rs".into(),
            exists: true,
            modified_at: None,
        }],
        log_path: ".tmp/main-wave-launcher/logs/wave-0-a1.log".into(),
        ..SummaryContext::default()
    };
    let log =
        format!("{PROOF}\n{DELTA}\n[wave-component] component=core level=repo-landed state=met\n");
    let summary = build_summary(&log, None, context);
    let json = serde_json::to_value(&summary).unwrap();
    for key in [
        "agentId",
        "promptHash",
        "exitCode",
        "completedAt",
        "proof",
        "docDelta",
        "docClosure",
        "integration",
        "eval",
        "security",
        "design",
        "gate",
        "components",
        "gaps",
        "deliverables",
        "proofArtifacts",
        "verdict",
        "structuredSignalDiagnostics",
        "terminationReason",
        "terminationHint",
        "terminationObservedTurnLimit",
        "logPath",
        "reportPath",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["proof"]["completion"], "integrated");
    assert_eq!(json["docDelta"]["state"], "owned");
    assert_eq!(json["components"][0]["componentId"], "core");
    assert_eq!(
        json["structuredSignalDiagnostics"]["docDelta"]["acceptedCount"],
        1
    );
    assert_eq!(
        json["structuredSignalDiagnostics"]["component"]["seenComponentIds"][0],
        "core"
    );
    assert_eq!(
        json["deliverables"][0]["modifiedAt"],
        serde_json::Value::Null
    );
    let back: AgentSummary = serde_json::from_value(json).unwrap();
    assert_eq!(back, summary);
}

#[test]
fn parse_marker_single_lines() {
    assert!(matches!(parse_marker(PROOF), Some(Marker::Proof(_))));
    assert!(matches!(
        parse_marker("[wave-verdict] concerns"),
        Some(Marker::Verdict(_))
    ));
    assert!(parse_marker("[wave-unknown] x=1").is_none());
    assert!(parse_marker("").is_none());
    assert!(MarkerKind::Proof.accepts(PROOF));
    assert!(!MarkerKind::DocDelta.accepts(PROOF));
}

#[test]
fn dashboard_signals_use_raw_lines() {
    let log = "[wave-phase] coding\n[deploy-status] service=api state=healthy detail=ok\n\
               [infra-status] kind=dns target=a.example/x state=conformant\n[wave-phase] Validating\n\
               - [deploy-status] service=web state=failed\n[deploy-status] state=healthy service=x";
    let s = parse_dashboard_signals(log);
    assert_eq!(s.phase.as_deref(), Some("validating"));
    let d = s.deployment.unwrap();
    assert_eq!(
        (d.service.as_str(), d.state, d.detail.as_str()),
        ("api", DeployState::Healthy, "ok")
    );
    let i = s.infra.unwrap();
    assert_eq!(
        (i.kind.as_str(), i.target.as_str(), i.state.as_str()),
        ("dns", "a.example/x", "conformant")
    );
    assert!(dashboard::parse_deploy("[deploy-status] service=a state=rolled-back").is_none());
    assert!(dashboard::parse_phase("[wave-phase] 9lives").is_none());
    let far = format!(
        "[wave-phase] early\n{}",
        "q".repeat(dashboard::DASHBOARD_WINDOW)
    );
    assert_eq!(parse_dashboard_signals(&far).phase, None);
}
