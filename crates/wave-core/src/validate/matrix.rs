//! The component cutover matrix (`<plansDir>/component-cutover-matrix.json`,
//! `paths.componentCutoverMatrixJsonPath`).
//!
//! Owns upstream v0.9.1's matrix shape and its load errors: a JSON object with a non-empty
//! `levels` array (the matrix's own ladder, free-form strings) and a `components` object; each
//! component is an object with a `currentLevel` from `levels` and optional `promotions`
//! (`[{wave, target}]`, wave a non-negative integer, target from `levels`), `title`,
//! `canonicalDocs`, `proofSurfaces`. Error texts are upstream's.

use serde::Serialize;
use serde_json::Value;

use super::js;

/// One `promotions` entry of a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixPromotion {
    /// The wave that promotes the component.
    pub wave: u64,
    /// The level it reaches (one of the matrix `levels`).
    pub target: String,
}

/// One component of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatrixComponent {
    /// Component id.
    pub id: String,
    /// `title` (the id when empty).
    pub title: String,
    /// `canonicalDocs` (non-empty strings).
    pub canonical_docs: Vec<String>,
    /// `currentLevel` (one of the matrix `levels`).
    pub current_level: String,
    /// Per-wave promotions in file order.
    pub promotions: Vec<MatrixPromotion>,
    /// `proofSurfaces` (non-empty strings).
    pub proof_surfaces: Vec<String>,
}

/// A loaded component cutover matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentMatrix {
    /// `version` (1 when absent).
    pub version: i64,
    /// The level ladder, lowest first.
    pub levels: Vec<String>,
    /// Components in `Object.entries` order.
    pub components: Vec<MatrixComponent>,
    /// The JSON path, as messages name it.
    pub json_path: String,
}

impl ComponentMatrix {
    /// The component with this id.
    pub fn component(&self, id: &str) -> Option<&MatrixComponent> {
        self.components.iter().find(|c| c.id == id)
    }

    /// Position of `level` in the ladder (`None` when it is not a matrix level).
    pub fn level_order(&self, level: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == level)
    }
}

/// Why the matrix cannot be loaded (upstream's message text; `file` is the repo-relative path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatrixError {
    /// Missing, not JSON, or not an object.
    #[error("Component cutover matrix is missing or invalid: {file}")]
    MissingOrInvalid {
        /// Matrix path.
        file: String,
    },
    /// `levels` absent or empty.
    #[error("Component cutover matrix must define a non-empty \"levels\" array in {file}")]
    NoLevels {
        /// Matrix path.
        file: String,
    },
    /// `components` absent or not an object.
    #[error("Component cutover matrix must define a \"components\" object in {file}")]
    NoComponents {
        /// Matrix path.
        file: String,
    },
    /// A component key is not a component id.
    #[error("Invalid component id \"{raw}\" in component cutover matrix ({file})")]
    InvalidComponentId {
        /// The key as written.
        raw: String,
        /// Matrix path.
        file: String,
    },
    /// A component is not an object.
    #[error("Component \"{component}\" must be an object in {file}")]
    ComponentNotObject {
        /// Component id.
        component: String,
        /// Matrix path.
        file: String,
    },
    /// `currentLevel` is not a matrix level.
    #[error("Component \"{component}\" has invalid currentLevel \"{value}\" in {file}")]
    InvalidCurrentLevel {
        /// Component id.
        component: String,
        /// The value as JavaScript prints it.
        value: String,
        /// Matrix path.
        file: String,
    },
    /// A promotion is not an object.
    #[error("Component \"{component}\" has malformed promotion[{index}] in {file}")]
    MalformedPromotion {
        /// Component id.
        component: String,
        /// Index in `promotions`.
        index: usize,
        /// Matrix path.
        file: String,
    },
    /// A promotion's wave is not a non-negative integer.
    #[error("Component \"{component}\" has invalid promotion wave \"{value}\" in {file}")]
    InvalidPromotionWave {
        /// Component id.
        component: String,
        /// The value as JavaScript prints it.
        value: String,
        /// Matrix path.
        file: String,
    },
    /// A promotion's target is not a matrix level.
    #[error("Component \"{component}\" has invalid promotion target \"{value}\" in {file}")]
    InvalidPromotionTarget {
        /// Component id.
        component: String,
        /// The value as JavaScript prints it.
        value: String,
        /// Matrix path.
        file: String,
    },
}

fn string_array(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|v| js::text_or_empty(Some(v)))
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Loads the matrix from its text (`None` when the file does not exist); `file` is the
/// repo-relative path used in messages and kept as [`ComponentMatrix::json_path`].
pub fn parse_component_matrix(
    text: Option<&str>,
    file: &str,
) -> Result<ComponentMatrix, MatrixError> {
    let f = || file.to_string();
    let payload: Option<Value> = text.and_then(|t| serde_json::from_str(t).ok());
    let Some(payload) = payload.as_ref().and_then(Value::as_object) else {
        return Err(MatrixError::MissingOrInvalid { file: f() });
    };
    let levels = string_array(payload.get("levels"));
    if levels.is_empty() {
        return Err(MatrixError::NoLevels { file: f() });
    }
    let raw_components =
        js::object(payload.get("components")).ok_or(MatrixError::NoComponents { file: f() })?;
    let mut components = Vec::new();
    for (raw_id, raw) in js::entries(raw_components) {
        let id = raw_id.trim().to_string();
        if !js::is_id(&id) {
            return Err(MatrixError::InvalidComponentId {
                raw: raw_id.clone(),
                file: f(),
            });
        }
        let Some(raw) = raw.as_object() else {
            return Err(MatrixError::ComponentNotObject {
                component: id,
                file: f(),
            });
        };
        let current_level = js::text_or_empty(raw.get("currentLevel"));
        if !levels.contains(&current_level) {
            return Err(MatrixError::InvalidCurrentLevel {
                component: id,
                value: js::display(raw.get("currentLevel")),
                file: f(),
            });
        }
        let mut promotions = Vec::new();
        if let Some(items) = raw.get("promotions").and_then(Value::as_array) {
            for (index, item) in items.iter().enumerate() {
                let Some(item) = item.as_object() else {
                    return Err(MatrixError::MalformedPromotion {
                        component: id,
                        index,
                        file: f(),
                    });
                };
                let wave = js::parse_int(item.get("wave"))
                    .and_then(|w| u64::try_from(w).ok())
                    .ok_or_else(|| MatrixError::InvalidPromotionWave {
                        component: id.clone(),
                        value: js::display(item.get("wave")),
                        file: f(),
                    })?;
                let target = js::text_or_empty(item.get("target"));
                if !levels.contains(&target) {
                    return Err(MatrixError::InvalidPromotionTarget {
                        component: id,
                        value: js::display(item.get("target")),
                        file: f(),
                    });
                }
                promotions.push(MatrixPromotion { wave, target });
            }
        }
        let title = js::text_or_empty(raw.get("title"));
        components.push(MatrixComponent {
            title: if title.is_empty() { id.clone() } else { title },
            canonical_docs: string_array(raw.get("canonicalDocs")),
            current_level,
            promotions,
            proof_surfaces: string_array(raw.get("proofSurfaces")),
            id,
        });
    }
    Ok(ComponentMatrix {
        version: js::version(payload.get("version")),
        levels,
        components,
        json_path: f(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "docs/plans/component-cutover-matrix.json";

    fn message(text: &str) -> String {
        parse_component_matrix(Some(text), FILE)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn parses_upstream_shape() {
        let matrix = parse_component_matrix(
            Some(
                r#"{"version":1,"levels":["inventoried","repo-landed","pilot-live"],
                "components":{"api.core":{"title":"API","currentLevel":"inventoried",
                  "canonicalDocs":["docs/api.md",""],"proofSurfaces":["tests"],
                  "promotions":[{"wave":"1","target":"repo-landed"},{"wave":2,"target":"pilot-live"}]}}}"#,
            ),
            FILE,
        )
        .unwrap();
        let api = matrix.component("api.core").unwrap();
        assert_eq!(api.title, "API");
        assert_eq!(api.canonical_docs, ["docs/api.md"]);
        assert_eq!(
            api.promotions[0],
            MatrixPromotion {
                wave: 1,
                target: "repo-landed".into()
            }
        );
        assert_eq!(matrix.level_order("pilot-live"), Some(2));
        assert_eq!(matrix.json_path, FILE);
    }

    #[test]
    fn every_error_message() {
        let f = FILE;
        assert_eq!(
            parse_component_matrix(None, f).unwrap_err().to_string(),
            format!("Component cutover matrix is missing or invalid: {f}")
        );
        assert_eq!(
            message("[1]"),
            format!("Component cutover matrix is missing or invalid: {f}")
        );
        assert_eq!(
            message(r#"{"levels":[" "]}"#),
            format!("Component cutover matrix must define a non-empty \"levels\" array in {f}")
        );
        assert_eq!(
            message(r#"{"levels":["a"],"components":[]}"#),
            format!("Component cutover matrix must define a \"components\" object in {f}")
        );
        assert_eq!(
            message(r#"{"levels":["a"],"components":{"Bad":{}}}"#),
            format!("Invalid component id \"Bad\" in component cutover matrix ({f})")
        );
        assert_eq!(
            message(r#"{"levels":["a"],"components":{"c":[]}}"#),
            format!("Component \"c\" must be an object in {f}")
        );
        assert_eq!(
            message(r#"{"levels":["a"],"components":{"c":{}}}"#),
            format!("Component \"c\" has invalid currentLevel \"undefined\" in {f}")
        );
        assert_eq!(
            message(r#"{"levels":["a"],"components":{"c":{"currentLevel":"a","promotions":[1]}}}"#),
            format!("Component \"c\" has malformed promotion[0] in {f}")
        );
        assert_eq!(
            message(
                r#"{"levels":["a"],"components":{"c":{"currentLevel":"a","promotions":[{"wave":-1,"target":"a"}]}}}"#
            ),
            format!("Component \"c\" has invalid promotion wave \"-1\" in {f}")
        );
        assert_eq!(
            message(
                r#"{"levels":["a"],"components":{"c":{"currentLevel":"a","promotions":[{"wave":0,"target":"b"}]}}}"#
            ),
            format!("Component \"c\" has invalid promotion target \"b\" in {f}")
        );
    }
}
