//! Tests of the benchmark catalog loader and eval-target checks.

use super::*;

const PATH: &str = "docs/evals/benchmark-catalog.json";

fn message(text: &str) -> String {
    parse_benchmark_catalog(Some(text), PATH)
        .unwrap_err()
        .to_string()
}

fn family(body: &str) -> String {
    message(&format!(r#"{{"families":{{"fam":{body}}}}}"#))
}

fn bench(body: &str) -> String {
    family(&format!(r#"{{"benchmarks":{{"b1":{body}}}}}"#))
}

const CATALOG: &str = r#"{"version":1,"families":{
  "service-quality":{"title":"Service quality","benchmarks":{"latency":{},"errors":{"localCases":["case-a"]}}},
  "docs":{"benchmarks":{"links":{"title":"Links"}}}}}"#;

fn target(
    id: &str,
    selection: EvalSelection,
    family: Option<&str>,
    benchmarks: &[&str],
) -> EvalTarget {
    EvalTarget {
        id: id.into(),
        selection,
        benchmark_family: family.map(Into::into),
        benchmarks: benchmarks.iter().map(|b| b.to_string()).collect(),
        objective: "o".into(),
        threshold: "t".into(),
    }
}

#[test]
fn parses_families_and_allowed_benchmarks() {
    let catalog = parse_benchmark_catalog(Some(CATALOG), PATH).unwrap();
    assert_eq!(catalog.families.len(), 2);
    assert_eq!(catalog.family("docs").unwrap().title, "docs");
    assert_eq!(catalog.benchmark_index["errors"], "service-quality");
    let delegated = target("t", EvalSelection::Delegated, Some("service-quality"), &[]);
    assert_eq!(
        catalog.allowed_benchmarks(&delegated),
        ["latency", "errors"]
    );
    let pinned = target("t", EvalSelection::Pinned, None, &["links"]);
    assert_eq!(catalog.allowed_benchmarks(&pinned), ["links"]);
    assert_eq!(catalog.check_eval_targets(&[delegated, pinned]), Ok(()));
}

#[test]
fn eval_target_errors() {
    let catalog = parse_benchmark_catalog(Some(CATALOG), PATH).unwrap();
    let check = |t: EvalTarget| catalog.check_eval_targets(&[t]).unwrap_err().to_string();
    assert_eq!(
        check(target("t", EvalSelection::Delegated, Some("nope"), &[])),
        format!("Eval target \"t\" references unknown benchmark family \"nope\" from {PATH}")
    );
    assert_eq!(
        check(target("t", EvalSelection::Pinned, None, &["nope"])),
        format!("Eval target \"t\" references unknown benchmark \"nope\" from {PATH}")
    );
    assert_eq!(
        check(target("t", EvalSelection::Pinned, Some("docs"), &["latency"])),
        "Eval target \"t\" pins benchmark \"latency\" from family \"service-quality\", not declared family \"docs\""
    );
}

#[test]
fn structural_errors() {
    assert_eq!(
        parse_benchmark_catalog(None, PATH).unwrap_err().to_string(),
        format!("Benchmark catalog is missing or invalid: {PATH}")
    );
    assert_eq!(
        message("nope"),
        format!("Benchmark catalog is missing or invalid: {PATH}")
    );
    assert_eq!(
        message(r#"{"families":[]}"#),
        format!("Benchmark catalog must define a \"families\" object in {PATH}")
    );
    assert_eq!(
        message(r#"{"families":{"Bad Id":{}}}"#),
        "families.Bad Id must match /^[a-z0-9][a-z0-9._-]*$/"
    );
    assert_eq!(
        family("3"),
        format!("Benchmark family \"fam\" must be an object in {PATH}")
    );
    assert_eq!(
        family(r#"{"benchmarks":{}}"#),
        "Benchmark family \"fam\" must define a non-empty benchmarks object"
    );
    assert_eq!(
        message(r#"{"families":{"a":{"benchmarks":{"x":{}}},"b":{"benchmarks":{"x":{}}}}}"#),
        "Benchmark id \"x\" appears in multiple families"
    );
    assert_eq!(
        family(r#"{"benchmarks":{"_x":{}}}"#),
        "families.fam.benchmarks._x must match /^[a-z0-9][a-z0-9._-]*$/"
    );
}

#[test]
fn descriptive_field_errors() {
    assert_eq!(
        family(r#"{"benchmarks":{"b":{}},"primaryMetric":3}"#),
        "families.fam.primaryMetric must be an object"
    );
    assert_eq!(
        family(r#"{"benchmarks":{"b":{}},"primaryMetric":{"id":"m","direction":"up"}}"#),
        "families.fam.primaryMetric.direction must be one of: higher-is-better, lower-is-better, target, rubric"
    );
    assert_eq!(
        family(r#"{"benchmarks":{"b":{}},"secondaryMetrics":{}}"#),
        "families.fam.secondaryMetrics must be an array"
    );
    assert_eq!(
        family(r#"{"benchmarks":{"b":{}},"secondaryMetrics":[{"id":"!"}]}"#),
        "families.fam.secondaryMetrics[0].id must match /^[a-z0-9][a-z0-9._-]*$/"
    );
    assert_eq!(
        family(r#"{"benchmarks":{"b":{}},"paperReferences":[{}]}"#),
        "families.fam.paperReferences[0].title is required"
    );
    assert_eq!(
        family(r#"{"benchmarks":{"b":{}},"paperReferences":[{"title":"!!"}]}"#),
        "families.fam.paperReferences[0].title must contain at least one alphanumeric character"
    );
    assert_eq!(
        family(r#"{"benchmarks":{"b":{}},"paperReferences":[{"title":"A B","year":"12"}]}"#),
        "families.fam.paperReferences[0].year must be a valid year"
    );
    assert_eq!(
        family(r#"{"benchmarks":{"b":{}},"sotaBaseline":{"source":"s","paper":"p"}}"#),
        "families.fam.sotaBaseline.metric is required"
    );
    assert_eq!(
        family(
            r#"{"benchmarks":{"b":{}},"sotaBaseline":{"source":"s","paper":"p","metric":"m","value":true}}"#
        ),
        "families.fam.sotaBaseline.value must be a number or string when present"
    );
    assert_eq!(
        family(
            r#"{"benchmarks":{"b":{}},"sotaBaseline":{"source":"s","paper":"p","metric":"m","value":" "}}"#
        ),
        "families.fam.sotaBaseline.value must not be empty when provided"
    );
    assert_eq!(
        family(r#"{"benchmarks":{"b":{}},"localCases":["Bad!"]}"#),
        "families.fam.localCases[0] must match /^[a-z0-9][a-z0-9._-]*$/"
    );
    assert_eq!(
        bench(r#"{"failureModes":"x"}"#),
        "families.fam.benchmarks.b1.failureModes must be an array"
    );
    assert_eq!(
        bench(r#"{"scoring":[]}"#),
        "families.fam.benchmarks.b1.scoring must be an object"
    );
    assert_eq!(
        bench(r#"{"localCases":"x"}"#),
        "families.fam.benchmarks.b1.localCases must be an array"
    );
}
