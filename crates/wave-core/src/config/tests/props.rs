//! Property tests: no input makes the loader or the resolver panic.

use serde_json::{json, Value};

use super::super::*;

fn no_dirs(_: &str) -> bool {
    false
}

proptest::proptest! {
    #[test]
    fn loading_arbitrary_json_never_panics(value in arb_json()) {
        if let Ok(cfg) = Config::from_value(&value) {
            for lane in [None, Some("main"), Some("x y")] {
                let _ = cfg.resolve_lane(None, lane, &no_dirs);
            }
        }
        let _ = Config::from_json_text(&value.to_string());
    }

    #[test]
    fn loading_arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = Config::from_json_text(&text);
    }
}

fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let keys = prop_oneof![
        Just("roles".to_string()),
        Just("validation".to_string()),
        Just("executors".to_string()),
        Just("lanes".to_string()),
        Just("main".to_string()),
        Just("projects".to_string()),
        Just("paths".to_string()),
        Just("codex".to_string()),
        Just("claude".to_string()),
        Just("profiles".to_string()),
        Just("skills".to_string()),
        Just("runtimePolicy".to_string()),
        Just("sandbox".to_string()),
        Just("docsDir".to_string()),
        Just("budget".to_string()),
        Just("byRole".to_string()),
        Just("default".to_string()),
        Just("sharedPlanDocs".to_string()),
        "[a-zA-Z.]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z./ -]{0,10}".prop_map(Value::String),
        Just(json!("codex")),
        Just(json!("..")),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((keys.clone(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}
