//! Unit and property tests for the id newtypes.

use std::path::{Component, Path};

use proptest::prelude::*;

use super::*;

/// True when `text` joined onto a directory names a direct child of it.
fn is_single_normal_component(text: &str) -> bool {
    let mut components = Path::new(text).components();
    matches!(
        (components.next(), components.next()),
        (Some(Component::Normal(name)), None) if name == text
    ) && !text.contains('\0')
        && !text.contains('/')
        && text != "."
        && text != ".."
}

#[test]
fn project_and_lane_accept_upstream_grammar() {
    for ok in ["default", "main", "a", "0", "release-2", "x_y", "9lane"] {
        assert_eq!(
            ok.parse::<ProjectId>().map(|p| p.to_string()),
            Ok(ok.to_string())
        );
        assert_eq!(
            ok.parse::<LaneId>().map(|p| p.to_string()),
            Ok(ok.to_string())
        );
    }
    for bad in [
        "", "Main", "-a", "_a", "a/b", "..", ".", "a.b", "a b", "a\0b", "é",
    ] {
        assert!(bad.parse::<ProjectId>().is_err(), "{bad:?}");
        assert!(bad.parse::<LaneId>().is_err(), "{bad:?}");
    }
}

#[test]
fn normalize_matches_upstream_sanitiser() {
    assert_eq!(
        LaneId::normalize(" Main Lane ").unwrap().as_str(),
        "main-lane"
    );
    assert_eq!(LaneId::normalize("a--b//c").unwrap().as_str(), "a-b-c");
    assert_eq!(LaneId::normalize("../etc").unwrap().as_str(), "etc");
    assert_eq!(
        ProjectId::normalize("My_Proj!").unwrap().as_str(),
        "my_proj"
    );
    assert_eq!(
        AdhocRunId::normalize("Run 1.2").unwrap().as_str(),
        "run-1.2"
    );
    // Upstream rejects a leading underscore after sanitising, and empty results.
    assert!(matches!(
        LaneId::normalize("_x"),
        Err(IdError::Invalid { .. })
    ));
    assert!(matches!(
        LaneId::normalize(" // "),
        Err(IdError::Empty { .. })
    ));
    assert!(AdhocRunId::normalize("..").is_err());
}

#[test]
fn errors_name_the_kind_and_expectation() {
    let err = "Main".parse::<LaneId>().unwrap_err();
    assert_eq!(err.kind(), IdKind::Lane);
    let msg = err.to_string();
    assert!(
        msg.starts_with("lane \"Main\" is invalid; expected lower-case"),
        "{msg}"
    );
    let msg = "".parse::<RunId>().unwrap_err().to_string();
    assert_eq!(
        msg,
        "run id is empty; expected run-<milliseconds>-<8 lower-case hex digits>"
    );
    let long = "a".repeat(MAX_NAME_ID_LEN + 1);
    assert!(matches!(
        long.parse::<ProjectId>(),
        Err(IdError::TooLong { len: 129, .. })
    ));
}

#[test]
fn wave_number_parses_decimal_with_leading_zeros() {
    assert_eq!("01".parse::<WaveNumber>(), Ok(WaveNumber(1)));
    assert_eq!("0".parse::<WaveNumber>(), Ok(WaveNumber(0)));
    assert_eq!("4294967295".parse::<WaveNumber>(), Ok(WaveNumber(u32::MAX)));
    for bad in ["", "-1", "+1", " 1", "1a", "4294967296", "0x1"] {
        assert!(bad.parse::<WaveNumber>().is_err(), "{bad:?}");
    }
    assert_eq!(WaveNumber(7).to_string(), "7");
    assert_eq!(serde_json::to_string(&WaveNumber(3)).unwrap(), "3");
    assert_eq!(
        serde_json::from_str::<WaveNumber>("3").unwrap(),
        WaveNumber(3)
    );
    assert!(serde_json::from_str::<WaveNumber>("null").is_err());
    assert!(serde_json::from_str::<WaveNumber>("-1").is_err());
}

#[test]
fn agent_id_trims_and_allows_spaces() {
    assert_eq!(" A 7 ".parse::<AgentId>().unwrap().as_str(), "A 7");
    for bad in [
        "", "  ", "a\nb", "a\rb", "a\0b", "a/b", "a\\b", "a:b", ".", "..", "\u{2028}",
    ] {
        assert!(bad.parse::<AgentId>().is_err(), "{bad:?}");
    }
    assert!("..a".parse::<AgentId>().is_ok());
}

#[test]
fn slug_follows_upstream_slugify() {
    let slug =
        |wave: u32, id: &str| AgentSlug::new(WaveNumber(wave), &id.parse().unwrap()).to_string();
    assert_eq!(slug(0, "A1"), "0-a1");
    assert_eq!(slug(12, "E0"), "12-e0");
    assert_eq!(slug(3, "A 7 (docs)"), "3-a-7-docs");
    assert_eq!(slug(3, "ß-Ünïcode"), "3-n-code");
    assert_eq!(slug(1, "Ä!!"), "1");
    // Truncated to 48 characters; the cut may leave a trailing dash.
    let long = format!("{}-{}", "a".repeat(45), "b".repeat(10));
    let s = slug(1, &long);
    assert_eq!(s.len(), 48);
    assert_eq!(s, format!("1-{}-", "a".repeat(45)));
    assert_eq!(
        AgentSlug::resident_orchestrator(WaveNumber(4)).as_str(),
        "4-resident-orchestrator"
    );
    assert!("4-resident-orchestrator".parse::<AgentSlug>().is_ok());
    assert!("-a".parse::<AgentSlug>().is_err());
    assert!("A1".parse::<AgentSlug>().is_err());
}

#[test]
fn run_id_format_and_strict_parse() {
    let id = RunId::from_parts(1_795_465_381_487, 0x711a_29a1);
    assert_eq!(id.to_string(), "run-1795465381487-711a29a1");
    assert_eq!("run-1795465381487-711a29a1".parse::<RunId>(), Ok(id));
    assert_eq!(RunId::from_parts(5, 0xab).to_string(), "run-5-000000ab");
    for bad in [
        "run-1795465381487-711A29A1",
        "run-1795465381487-711a29a",
        "run-1795465381487-711a29a1a",
        "run-01-711a29a1",
        "run--711a29a1",
        "run-1-2-711a29a1",
        "run-99999999999999999999-711a29a1",
        "Run-1-711a29a1",
        "run-1-../../x",
    ] {
        assert!(bad.parse::<RunId>().is_err(), "{bad:?}");
    }
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, "\"run-1795465381487-711a29a1\"");
    assert_eq!(serde_json::from_str::<RunId>(&json).unwrap(), id);
}

#[test]
fn adhoc_run_id_from_parts_matches_upstream_format() {
    let id = AdhocRunId::from_parts("20260101120000", [0xa1, 0x02, 0xff]).unwrap();
    assert_eq!(id.as_str(), "adhoc-20260101120000-a102ff");
    assert!(AdhocRunId::from_parts("2026/01", [0, 0, 0]).is_err());
}

#[test]
fn serde_validates_on_the_way_in() {
    assert_eq!(serde_json::to_string(&LaneId::main()).unwrap(), "\"main\"");
    assert!(serde_json::from_str::<LaneId>("\"../x\"").is_err());
    assert!(serde_json::from_str::<ProjectId>("\"\"").is_err());
    let err = serde_json::from_str::<AgentId>("\"a/b\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("agent id \"a/b\" is invalid"), "{err}");
}

proptest! {
    #[test]
    fn accepted_name_ids_are_single_safe_components(text in "\\PC{0,40}|[a-z0-9._/-]{0,12}") {
        if let Ok(id) = text.parse::<ProjectId>() {
            prop_assert!(is_single_normal_component(id.as_str()));
            prop_assert_eq!(id.to_string().parse::<ProjectId>(), Ok(id));
        }
        if let Ok(id) = text.parse::<LaneId>() {
            prop_assert!(is_single_normal_component(id.as_str()));
            prop_assert_eq!(id.to_string().parse::<LaneId>(), Ok(id));
        }
        if let Ok(id) = text.parse::<AdhocRunId>() {
            prop_assert!(is_single_normal_component(id.as_str()));
            prop_assert_eq!(id.to_string().parse::<AdhocRunId>(), Ok(id));
        }
        if let Ok(id) = text.parse::<AgentId>() {
            prop_assert!(is_single_normal_component(id.as_str()));
            prop_assert_eq!(id.to_string().parse::<AgentId>(), Ok(id));
        }
        if let Ok(id) = text.parse::<AgentSlug>() {
            prop_assert!(is_single_normal_component(id.as_str()));
            prop_assert_eq!(id.to_string().parse::<AgentSlug>(), Ok(id));
        }
    }

    #[test]
    fn normalized_ids_always_validate(text in "\\PC{0,40}") {
        let normalized = [
            LaneId::normalize(&text).map(String::from),
            ProjectId::normalize(&text).map(String::from),
            AdhocRunId::normalize(&text).map(String::from),
        ];
        for id in normalized.into_iter().flatten() {
            prop_assert!(is_single_normal_component(&id));
        }
    }

    #[test]
    fn slugs_are_safe_and_reparse(wave in any::<u32>(), text in "\\PC{1,80}") {
        if let Ok(agent) = text.parse::<AgentId>() {
            let slug = AgentSlug::new(WaveNumber(wave), &agent);
            prop_assert!(slug.as_str().len() <= MAX_SLUG_LEN);
            prop_assert!(is_single_normal_component(slug.as_str()));
            prop_assert_eq!(slug.to_string().parse::<AgentSlug>(), Ok(slug));
        }
    }

    #[test]
    fn run_ids_round_trip(millis in any::<u64>(), random in any::<u32>()) {
        let id = RunId::from_parts(millis, random);
        prop_assert!(is_single_normal_component(&id.to_string()));
        prop_assert_eq!(id.to_string().parse::<RunId>(), Ok(id));
    }

    #[test]
    fn wave_numbers_round_trip(n in any::<u32>(), zeros in 0usize..4) {
        let w = WaveNumber(n);
        prop_assert_eq!(w.to_string().parse::<WaveNumber>(), Ok(w));
        prop_assert_eq!(format!("{}{}", "0".repeat(zeros), n).parse::<WaveNumber>(), Ok(w));
    }
}
