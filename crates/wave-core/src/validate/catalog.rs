//! The benchmark catalog (`docs/evals/benchmark-catalog.json`, `paths.benchmarkCatalogPath`)
//! and checking a wave's eval targets against it.
//!
//! Owns upstream v0.9.1's catalog rules (needed when the cont-EVAL agent is present): a JSON
//! object with a `families` object; each family id and benchmark id matches
//! `[a-z0-9][a-z0-9._-]*`; each family is an object with a non-empty `benchmarks` object; a
//! benchmark id appears in one family only; the optional descriptive fields (metrics, paper
//! references, SOTA baselines, scoring, local cases, string lists) are type-checked with
//! upstream's messages. Only what validation and the cont-EVAL prompt use is kept.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::js;
use crate::contract::{EvalSelection, EvalTarget};

/// One benchmark family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchmarkFamily {
    /// Family id.
    pub id: String,
    /// `title` (the id when empty).
    pub title: String,
    /// Benchmark ids in file order.
    pub benchmarks: Vec<String>,
}

/// A loaded benchmark catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchmarkCatalog {
    /// `version` (1 when absent).
    pub version: i64,
    /// The catalog path as messages name it.
    pub path: String,
    /// Families in file order.
    pub families: Vec<BenchmarkFamily>,
    /// Benchmark id → family id.
    pub benchmark_index: BTreeMap<String, String>,
}

impl BenchmarkCatalog {
    /// The family with this id.
    pub fn family(&self, id: &str) -> Option<&BenchmarkFamily> {
        self.families.iter().find(|f| f.id == id)
    }

    /// The benchmarks a target may use: the family's for a delegated target, the pinned list
    /// otherwise (upstream's `allowedBenchmarks`).
    pub fn allowed_benchmarks(&self, target: &EvalTarget) -> Vec<String> {
        match target.selection {
            EvalSelection::Delegated => target
                .benchmark_family
                .as_deref()
                .and_then(|f| self.family(f))
                .map(|f| f.benchmarks.clone())
                .unwrap_or_default(),
            EvalSelection::Pinned => target.benchmarks.clone(),
        }
    }

    /// Upstream's `validateEvalTargets`: the first target that names an unknown family or
    /// benchmark, or pins a benchmark of another family, is an error.
    pub fn check_eval_targets(&self, targets: &[EvalTarget]) -> Result<(), CatalogError> {
        for target in targets {
            if target.selection == EvalSelection::Delegated {
                let family = target.benchmark_family.clone().unwrap_or_default();
                if self.family(&family).is_none() {
                    return Err(CatalogError::new(format!(
                        "Eval target \"{}\" references unknown benchmark family \"{family}\" from {}",
                        target.id, self.path
                    )));
                }
                continue;
            }
            for benchmark in &target.benchmarks {
                let Some(family) = self.benchmark_index.get(benchmark) else {
                    return Err(CatalogError::new(format!(
                        "Eval target \"{}\" references unknown benchmark \"{benchmark}\" from {}",
                        target.id, self.path
                    )));
                };
                if let Some(declared) = &target.benchmark_family {
                    if declared != family {
                        return Err(CatalogError::new(format!(
                            "Eval target \"{}\" pins benchmark \"{benchmark}\" from family \"{family}\", not declared family \"{declared}\"",
                            target.id
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A catalog load or eval-target error, with upstream's message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CatalogError {
    /// The message.
    pub message: String,
}

impl CatalogError {
    fn new(message: String) -> Self {
        CatalogError { message }
    }
}

type R<T> = Result<T, CatalogError>;

fn err<T>(message: String) -> R<T> {
    Err(CatalogError::new(message))
}

fn id(value: Option<&Value>, label: &str) -> R<String> {
    let text = match value {
        None | Some(Value::Null) => String::new(),
        other => js::display(other).trim().to_lowercase(),
    };
    if js::is_id(&text) {
        Ok(text)
    } else {
        err(format!("{label} must match /^[a-z0-9][a-z0-9._-]*$/"))
    }
}

fn id_text(text: &str, label: &str) -> R<String> {
    id(Some(&Value::String(text.to_string())), label)
}

fn string_list(value: Option<&Value>, label: &str) -> R<Vec<String>> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items
            .iter()
            .map(|v| {
                if v.is_null() {
                    String::new()
                } else {
                    js::display(Some(v)).trim().to_string()
                }
            })
            .filter(|s| !s.is_empty())
            .collect()),
        Some(_) => err(format!("{label} must be an array")),
    }
}

fn optional_object<'a>(value: Option<&'a Value>, label: &str) -> R<Option<&'a Map<String, Value>>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => err(format!("{label} must be an object")),
    }
}

fn text(map: &Map<String, Value>, key: &str) -> String {
    match map.get(key) {
        None | Some(Value::Null) => String::new(),
        other => js::display(other).trim().to_string(),
    }
}

fn metric(value: Option<&Value>, label: &str) -> R<()> {
    let Some(map) = optional_object(value, label)? else {
        return Ok(());
    };
    id(map.get("id"), &format!("{label}.id"))?;
    let direction = text(map, "direction");
    const DIRECTIONS: [&str; 4] = ["higher-is-better", "lower-is-better", "target", "rubric"];
    if !direction.is_empty() && !DIRECTIONS.contains(&direction.as_str()) {
        return err(format!(
            "{label}.direction must be one of: {}",
            DIRECTIONS.join(", ")
        ));
    }
    Ok(())
}

fn array<'a>(value: Option<&'a Value>, label: &str) -> R<&'a [Value]> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => err(format!("{label} must be an array")),
    }
}

fn year(map: &Map<String, Value>, label: &str) -> R<()> {
    let raw = text(map, "year");
    if raw.is_empty() {
        return Ok(());
    }
    match js::parse_int(Some(&Value::String(raw))) {
        Some(y) if (1900..=9999).contains(&y) => Ok(()),
        _ => err(format!("{label}.year must be a valid year")),
    }
}

fn papers(value: Option<&Value>, label: &str) -> R<()> {
    for (index, entry) in array(value, label)?.iter().enumerate() {
        let label = format!("{label}[{index}]");
        let Some(map) = entry.as_object() else {
            return err(format!("{label} must be an object"));
        };
        let title = text(map, "title");
        if title.is_empty() {
            return err(format!("{label}.title is required"));
        }
        if !text(map, "id").is_empty() {
            id(map.get("id"), &format!("{label}.id"))?;
        } else {
            let loose: String = title
                .to_lowercase()
                .split(|c: char| {
                    !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
                })
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            let loose = loose.trim_matches('-').to_string();
            let collapsed = loose
                .split('-')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            if collapsed.is_empty() {
                return err(format!(
                    "{label}.title must contain at least one alphanumeric character"
                ));
            }
            id_text(&collapsed, &format!("{label}.title"))?;
        }
        year(map, &label)?;
    }
    Ok(())
}

fn sota(value: Option<&Value>, label: &str) -> R<()> {
    let Some(map) = optional_object(value, label)? else {
        return Ok(());
    };
    for key in ["source", "paper", "metric"] {
        if text(map, key).is_empty() {
            return err(format!("{label}.{key} is required"));
        }
    }
    match map.get("value") {
        None | Some(Value::Null) | Some(Value::Number(_)) => {}
        Some(Value::String(s)) if s.trim().is_empty() => {
            return err(format!("{label}.value must not be empty when provided"))
        }
        Some(Value::String(_)) => {}
        Some(_) => {
            return err(format!(
                "{label}.value must be a number or string when present"
            ))
        }
    }
    year(map, label)
}

fn local_cases(value: Option<&Value>, label: &str) -> R<()> {
    for (index, entry) in string_list(value, label)?.iter().enumerate() {
        id_text(entry, &format!("{label}[{index}]"))?;
    }
    Ok(())
}

/// Loads the catalog from its text (`None` when the file does not exist); `path` is the
/// repo-relative catalog path used in messages.
pub fn parse_benchmark_catalog(
    text_in: Option<&str>,
    path: &str,
) -> Result<BenchmarkCatalog, CatalogError> {
    let payload: Option<Value> = text_in.and_then(|t| serde_json::from_str(t).ok());
    let Some(payload) = payload.as_ref().and_then(Value::as_object) else {
        return err(format!("Benchmark catalog is missing or invalid: {path}"));
    };
    let Some(raw_families) = js::object(payload.get("families")) else {
        return err(format!(
            "Benchmark catalog must define a \"families\" object in {path}"
        ));
    };
    let mut families = Vec::new();
    let mut benchmark_index = BTreeMap::new();
    for (family_key, raw_family) in js::entries(raw_families) {
        let family_id = id_text(family_key, &format!("families.{family_key}"))?;
        let Some(raw_family) = raw_family.as_object() else {
            return err(format!(
                "Benchmark family \"{family_id}\" must be an object in {path}"
            ));
        };
        let raw_benchmarks = js::object(raw_family.get("benchmarks")).filter(|m| !m.is_empty());
        let Some(raw_benchmarks) = raw_benchmarks else {
            return err(format!(
                "Benchmark family \"{family_id}\" must define a non-empty benchmarks object"
            ));
        };
        let fam = format!("families.{family_id}");
        metric(
            raw_family.get("primaryMetric"),
            &format!("{fam}.primaryMetric"),
        )?;
        let secondary = format!("{fam}.secondaryMetrics");
        for (index, entry) in array(raw_family.get("secondaryMetrics"), &secondary)?
            .iter()
            .enumerate()
        {
            metric(Some(entry), &format!("{secondary}[{index}]"))?;
        }
        papers(
            raw_family.get("paperReferences"),
            &format!("{fam}.paperReferences"),
        )?;
        sota(
            raw_family.get("sotaBaseline"),
            &format!("{fam}.sotaBaseline"),
        )?;
        let mut benchmarks = Vec::new();
        for (benchmark_key, raw_benchmark) in js::entries(raw_benchmarks) {
            let benchmark_id =
                id_text(benchmark_key, &format!("{fam}.benchmarks.{benchmark_key}"))?;
            if benchmark_index.contains_key(&benchmark_id) {
                return err(format!(
                    "Benchmark id \"{benchmark_id}\" appears in multiple families"
                ));
            }
            let empty = Map::new();
            let b = raw_benchmark.as_object().unwrap_or(&empty);
            let label = format!("{fam}.benchmarks.{benchmark_id}");
            local_cases(b.get("localCases"), &format!("{label}.localCases"))?;
            string_list(b.get("failureModes"), &format!("{label}.failureModes"))?;
            string_list(b.get("signals"), &format!("{label}.signals"))?;
            optional_object(b.get("scoring"), &format!("{label}.scoring"))?;
            papers(
                b.get("paperReferences"),
                &format!("{label}.paperReferences"),
            )?;
            sota(b.get("sotaBaseline"), &format!("{label}.sotaBaseline"))?;
            benchmark_index.insert(benchmark_id.clone(), family_id.clone());
            benchmarks.push(benchmark_id);
        }
        local_cases(raw_family.get("localCases"), &format!("{fam}.localCases"))?;
        let title = text(raw_family, "title");
        families.push(BenchmarkFamily {
            title: if title.is_empty() {
                family_id.clone()
            } else {
                title
            },
            id: family_id,
            benchmarks,
        });
    }
    Ok(BenchmarkCatalog {
        version: js::version(payload.get("version")),
        path: path.to_string(),
        families,
        benchmark_index,
    })
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
