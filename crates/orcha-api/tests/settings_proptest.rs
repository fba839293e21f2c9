//! Property tests of settings validation: any value in any field of the Settings form (the JSON
//! the UI sends) is either saved — and the saved file loads again with the real parser — or
//! refused with an `ApiError` whose `field` names a field, and nothing panics.
//! `PROPTEST_CASES` makes a run longer (`scripts/fuzz.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orcha_api::actor::Actor;
use orcha_api::dto::SettingsValuesDto;
use orcha_core::config::Config;
use orcha_testkit::TestApp;
use proptest::prelude::*;
use serde_json::Value;

const FILE: &str = r#"# The operator's file.
[protocols.storj]
enabled = true
api_endpoint = "http://127.0.0.1:14002"

[[protocols.storj.nodes]]
name = "disk2"
api_endpoint = "http://127.0.0.1:14003"

[protocols.golem]
enabled = true
"#;

/// Every leaf of the form's JSON, as a JSON pointer.
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                leaves(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                leaves(v, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at),
    }
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::num::f64::ANY
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::from),
        "(ftp|http|https)://[a-z0-9.:@\\[\\]]{0,24}(/[a-z?=&]{0,10})?".prop_map(Value::from),
        "-?[0-9]{0,8}(\\.[0-9]{0,6})?".prop_map(Value::from),
        Just(Value::from(vec![Value::from("a"), Value::from(1)])),
    ]
}

fn runtime() -> &'static tokio::runtime::Runtime {
    // One runtime for every case: building one per case would dominate the run.
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(128)))]

    #[test]
    fn any_value_in_any_field_is_saved_or_refused_naming_a_field(
        pick in any::<prop::sample::Index>(),
        second in any::<prop::sample::Index>(),
        v in value(),
        w in value(),
        two in any::<bool>(),
    ) {
        let rt = runtime();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("config.toml");
            std::fs::write(&file, FILE).unwrap();
            let app = TestApp::builder().config(Config::load(&file).unwrap()).build();
            app.state.settings.use_file(file.clone());
            let shown = orcha_api::ops::settings(&app.state).await.unwrap();
            let mut json = serde_json::to_value(&shown.values).unwrap();
            let mut all = Vec::new();
            leaves(&json, String::new(), &mut all);
            let at = pick.get(&all).clone();
            *json.pointer_mut(&at).unwrap() = v;
            if two {
                let at2 = second.get(&all).clone();
                *json.pointer_mut(&at2).unwrap() = w;
            }
            // What the transport would refuse before the operation runs (a wrong JSON type).
            let Ok(req) = serde_json::from_value::<SettingsValuesDto>(json) else {
                return;
            };
            match orcha_api::ops::update_settings(&app.state, req, Actor::Api).await {
                Ok(_) => {
                    let text = std::fs::read_to_string(&file).unwrap();
                    if let Err(e) = Config::from_toml(&text, &file) {
                        panic!("a save wrote a file the parser refuses ({at}): {e}\n{text}");
                    }
                }
                Err(e) => {
                    let field = e.field.clone().unwrap_or_default();
                    assert!(!field.is_empty(), "{at}: refused without naming a field: {e:?}");
                }
            }
        });
    }
}

/// `PROPTEST_CASES` when set (the longer run of `scripts/fuzz.sh`), else `quick`.
fn cases(quick: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(quick)
}
