//! The Context7 bundle index (`docs/context7/bundles.json`, `paths.context7BundleIndexPath`)
//! and bundle selection for an agent.
//!
//! Owns upstream v0.9.1's index rules (launcher §1.7): the file must exist and be a JSON object
//! with a `bundles` object; every bundle is an object whose `libraries` entries each name a
//! `libraryId` or `libraryName`; `defaultBundle` (default `none`) must be defined; a `none`
//! bundle must exist; every `laneDefaults` entry must name a defined bundle. Error texts are
//! upstream's. No network: fetching library docs is not part of this port.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::js;
use crate::wave::Context7Config;

/// A library of a Context7 bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context7Library {
    /// `libraryId` (null when empty).
    pub library_id: Option<String>,
    /// `libraryName` (null when empty).
    pub library_name: Option<String>,
    /// `queryHint`, compacted to ≤ 220 characters (null when empty).
    pub query_hint: Option<String>,
}

/// A Context7 bundle definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context7Bundle {
    /// `description`, compacted to ≤ 220 characters.
    pub description: String,
    /// The bundle's libraries.
    pub libraries: Vec<Context7Library>,
}

/// A validated bundle index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context7BundleIndex {
    /// `version` (1 when absent or not a number).
    pub version: i64,
    /// `defaultBundle` (`none` when absent).
    pub default_bundle: String,
    /// `laneDefaults`: lower-cased lane → bundle id (entries with an empty id dropped).
    pub lane_defaults: BTreeMap<String, String>,
    /// Bundles by id.
    pub bundles: BTreeMap<String, Context7Bundle>,
}

/// Why the bundle index cannot be used (upstream's message text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Context7IndexError {
    /// The file is missing, not JSON, or not a JSON object.
    #[error("Context7 bundle index is missing or invalid: {path}")]
    MissingOrInvalid {
        /// The index path, repo-relative.
        path: String,
    },
    /// `bundles` is absent or not an object.
    #[error("Context7 bundle index must define a \"bundles\" object.")]
    NoBundlesObject,
    /// A bundle is not an object.
    #[error("Context7 bundle \"{bundle}\" must be an object.")]
    BundleNotObject {
        /// Bundle id.
        bundle: String,
    },
    /// A `libraries` entry is not an object.
    #[error("Context7 bundle \"{bundle}\" has a malformed library entry.")]
    MalformedLibrary {
        /// Bundle id.
        bundle: String,
    },
    /// A library names neither `libraryId` nor `libraryName`.
    #[error(
        "Context7 bundle \"{bundle}\" must define either \"libraryId\" or \"libraryName\" for each library."
    )]
    LibraryWithoutName {
        /// Bundle id.
        bundle: String,
    },
    /// `defaultBundle` names no bundle.
    #[error("Context7 default bundle \"{bundle}\" is not defined.")]
    UnknownDefaultBundle {
        /// The default bundle id.
        bundle: String,
    },
    /// There is no `none` bundle.
    #[error("Context7 bundle index must define a \"none\" bundle.")]
    NoNoneBundle,
    /// A `laneDefaults` entry names no bundle.
    #[error("Context7 lane default \"{lane}\" references unknown bundle \"{bundle}\".")]
    UnknownLaneDefault {
        /// Lane (lower-cased).
        lane: String,
        /// The bundle id.
        bundle: String,
    },
}

/// An agent's Context7 bundle id names no bundle of the index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unknown Context7 bundle \"{bundle}\" for agent {agent_id}.")]
pub struct UnknownContext7Bundle {
    /// The bundle id.
    pub bundle: String,
    /// Agent id.
    pub agent_id: String,
}

/// Upstream's `cleanText` for Context7 values: trim; remove one pair of wrapping quotes.
fn clean(value: Option<&Value>) -> String {
    let text = js::text_or_empty(value);
    let wrapped = text.len() >= 2
        && ((text.starts_with('"') && text.ends_with('"'))
            || (text.starts_with('\'') && text.ends_with('\'')));
    if wrapped {
        text[1..text.len() - 1].trim().to_string()
    } else {
        text
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

impl Context7BundleIndex {
    /// Parses the index. `text` is the file content (`None` when the file does not exist);
    /// `path` names the file in messages.
    pub fn parse(text: Option<&str>, path: &str) -> Result<Self, Context7IndexError> {
        let payload: Option<Value> = text.and_then(|t| serde_json::from_str(t).ok());
        let Some(payload) = payload.as_ref().and_then(Value::as_object) else {
            return Err(Context7IndexError::MissingOrInvalid { path: path.into() });
        };
        let raw_bundles =
            js::object(payload.get("bundles")).ok_or(Context7IndexError::NoBundlesObject)?;
        let mut bundles = BTreeMap::new();
        for (id, raw) in js::entries(raw_bundles) {
            let raw = raw
                .as_object()
                .ok_or_else(|| Context7IndexError::BundleNotObject { bundle: id.clone() })?;
            let mut libraries = Vec::new();
            if let Some(items) = raw.get("libraries").and_then(Value::as_array) {
                for item in items {
                    let item =
                        item.as_object()
                            .ok_or_else(|| Context7IndexError::MalformedLibrary {
                                bundle: id.clone(),
                            })?;
                    let library_id = non_empty(clean(item.get("libraryId")));
                    let library_name = non_empty(clean(item.get("libraryName")));
                    if library_id.is_none() && library_name.is_none() {
                        return Err(Context7IndexError::LibraryWithoutName { bundle: id.clone() });
                    }
                    libraries.push(Context7Library {
                        library_id,
                        library_name,
                        query_hint: non_empty(js::compact_single_line(
                            &clean(item.get("queryHint")),
                            220,
                        )),
                    });
                }
            }
            let description = js::compact_single_line(&clean(raw.get("description")), 220);
            bundles.insert(
                id.clone(),
                Context7Bundle {
                    description,
                    libraries,
                },
            );
        }
        let default_bundle =
            non_empty(clean(payload.get("defaultBundle"))).unwrap_or_else(|| "none".into());
        if !bundles.contains_key(&default_bundle) {
            return Err(Context7IndexError::UnknownDefaultBundle {
                bundle: default_bundle,
            });
        }
        if !bundles.contains_key("none") {
            return Err(Context7IndexError::NoNoneBundle);
        }
        let mut lane_defaults = BTreeMap::new();
        let mut ordered = Vec::new();
        if let Some(raw) = js::object(payload.get("laneDefaults")) {
            for (lane, bundle) in js::entries(raw) {
                let bundle = clean(Some(bundle));
                if bundle.is_empty() {
                    continue;
                }
                let lane = lane.trim().to_lowercase();
                ordered.push((lane.clone(), bundle.clone()));
                lane_defaults.insert(lane, bundle);
            }
        }
        for (lane, bundle) in ordered {
            if !bundles.contains_key(&bundle) {
                return Err(Context7IndexError::UnknownLaneDefault { lane, bundle });
            }
        }
        Ok(Context7BundleIndex {
            version: js::version(payload.get("version")),
            default_bundle,
            lane_defaults,
            bundles,
        })
    }

    /// The bundle an agent uses: its own `### Context7` bundle, else the wave's defaults, else
    /// the lane default, else `defaultBundle`; an id the index does not define is an error.
    pub fn select_bundle(
        &self,
        lane: &str,
        wave_defaults: Option<&Context7Config>,
        agent_config: Option<&Context7Config>,
        agent_id: &str,
    ) -> Result<&str, UnknownContext7Bundle> {
        fn configured(config: Option<&Context7Config>) -> Option<&str> {
            config
                .and_then(|c| c.bundle.as_deref())
                .map(str::trim)
                .filter(|b| !b.is_empty())
        }
        let lane_key = lane.trim().to_lowercase();
        let bundle = configured(agent_config)
            .or_else(|| configured(wave_defaults))
            .or_else(|| self.lane_defaults.get(&lane_key).map(String::as_str))
            .unwrap_or(self.default_bundle.as_str());
        match self.bundles.get_key_value(bundle) {
            Some((id, _)) => Ok(id.as_str()),
            None => Err(UnknownContext7Bundle {
                bundle: bundle.to_string(),
                agent_id: agent_id.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "docs/context7/bundles.json";

    fn parse(text: &str) -> Result<Context7BundleIndex, Context7IndexError> {
        Context7BundleIndex::parse(Some(text), PATH)
    }

    fn message(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn parses_a_valid_index() {
        let index = parse(
            r#"{"version":2,"defaultBundle":"'core'","laneDefaults":{" Main ":"none","x":""},
                "bundles":{"none":{"libraries":[]},
                           "core":{"description":" Core\n libs ","libraries":[
                               {"libraryId":"/org/lib","queryHint":"  hooks  "},
                               {"libraryName":"serde"}]}}}"#,
        )
        .unwrap();
        assert_eq!(index.version, 2);
        assert_eq!(index.default_bundle, "core");
        assert_eq!(
            index.lane_defaults.get("main").map(String::as_str),
            Some("none")
        );
        assert!(!index.lane_defaults.contains_key("x"));
        let core = &index.bundles["core"];
        assert_eq!(core.description, "Core libs");
        assert_eq!(core.libraries[0].library_id.as_deref(), Some("/org/lib"));
        assert_eq!(core.libraries[0].query_hint.as_deref(), Some("hooks"));
        assert_eq!(core.libraries[1].library_name.as_deref(), Some("serde"));
    }

    #[test]
    fn every_error_message() {
        assert_eq!(
            Context7BundleIndex::parse(None, PATH)
                .unwrap_err()
                .to_string(),
            "Context7 bundle index is missing or invalid: docs/context7/bundles.json"
        );
        assert_eq!(
            message("not json"),
            "Context7 bundle index is missing or invalid: docs/context7/bundles.json"
        );
        assert_eq!(
            message("[]"),
            "Context7 bundle index is missing or invalid: docs/context7/bundles.json"
        );
        assert_eq!(
            message(r#"{"bundles":[]}"#),
            "Context7 bundle index must define a \"bundles\" object."
        );
        assert_eq!(
            message(r#"{"bundles":{"none":3}}"#),
            "Context7 bundle \"none\" must be an object."
        );
        assert_eq!(
            message(r#"{"bundles":{"a":{"libraries":["x"]}}}"#),
            "Context7 bundle \"a\" has a malformed library entry."
        );
        assert_eq!(
            message(r#"{"bundles":{"a":{"libraries":[{"libraryId":" "}]}}}"#),
            "Context7 bundle \"a\" must define either \"libraryId\" or \"libraryName\" for each library."
        );
        assert_eq!(
            message(r#"{"bundles":{"none":{}},"defaultBundle":"core"}"#),
            "Context7 default bundle \"core\" is not defined."
        );
        assert_eq!(
            message(r#"{"bundles":{"core":{}},"defaultBundle":"core"}"#),
            "Context7 bundle index must define a \"none\" bundle."
        );
        // Without a defaultBundle the default is `none`, so that message comes first.
        assert_eq!(
            message(r#"{"bundles":{"core":{}}}"#),
            "Context7 default bundle \"none\" is not defined."
        );
        assert_eq!(
            message(r#"{"bundles":{"none":{}},"laneDefaults":{"Main":"core"}}"#),
            "Context7 lane default \"main\" references unknown bundle \"core\"."
        );
    }

    #[test]
    fn selects_bundles_in_upstream_order() {
        let index =
            parse(r#"{"bundles":{"none":{},"core":{},"lane":{}},"laneDefaults":{"main":"lane"}}"#)
                .unwrap();
        let config = |bundle: &str| Context7Config {
            bundle: Some(bundle.into()),
            query: None,
        };
        assert_eq!(index.select_bundle("main", None, None, "A1"), Ok("lane"));
        assert_eq!(index.select_bundle("other", None, None, "A1"), Ok("none"));
        assert_eq!(
            index.select_bundle("main", Some(&config("core")), None, "A1"),
            Ok("core")
        );
        assert_eq!(
            index
                .select_bundle("main", Some(&config("core")), Some(&config("nope")), "A1")
                .unwrap_err()
                .to_string(),
            "Unknown Context7 bundle \"nope\" for agent A1."
        );
    }
}
