//! Parsing, defaults and error-message tests of the configuration.

use std::path::Path;
use std::time::Duration;

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Path::new("/etc/orcha/config.toml"))
}

#[test]
fn prices_section_is_checked() {
    let c = parse("[prices]\nfiat = \"eur\"\nfixed_mode = \"override\"\nfixed = { glm = \"0.25\", usd = \"0.92\" }\ngrass_fiat_per_point = \"0.0001\"\n").unwrap();
    assert_eq!(c.prices.fiat, "eur");
    assert_eq!(c.prices.fixed["usd"], "0.92");
    assert_eq!(c.prices.refresh_minutes, 15);
    for (text, needle) in [
        ("[prices]\nsource = \"binance\"\n", "prices.source"),
        ("[prices]\nfiat = \"EUR\"\n", "prices.fiat"),
        ("[prices]\nfixed = { doge = \"1\" }\n", "prices.fixed.doge"),
        ("[prices]\nfixed = { glm = \"0\" }\n", "positive"),
        (
            "[prices]\nfixed = { points = \"0.1\" }\n",
            "grass_fiat_per_point",
        ),
        ("[prices]\nstale_minutes = 5\n", "stale_minutes"),
        ("[prices]\nfixed_mode = \"always\"\n", "fixed_mode"),
        ("[prices]\nbase_url = \"ftp://x\"\n", "base_url"),
    ] {
        let e = parse(text).unwrap_err().to_string();
        assert!(e.contains(needle), "{text}: {e}");
    }
    let e = parse("[prices]\nrefresh_minute = 5\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("prices.refresh_minute"), "{e}");
    let e = parse("[prices]\napi_key = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("keyring") || e.contains("orcha secret"), "{e}");
}

#[test]
fn committed_defaults_equal_the_built_in_defaults() {
    let parsed = parse(DEFAULT_TOML).expect("config/default.toml must parse");
    assert_eq!(
        parsed,
        Config::default(),
        "config/default.toml and Default impls disagree"
    );
}

#[test]
fn user_file_overrides_only_what_it_sets() {
    let c = parse("[orchestrator]\napi_port = 9000\n[protocols.storj]\nenabled = true\n").unwrap();
    assert_eq!(c.orchestrator.api_port, 9000);
    assert_eq!(c.orchestrator.optimization_interval, 900);
    assert_eq!(c.protocols.storj.api_endpoint, "http://127.0.0.1:14002");
    let nodes = c.nodes();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].id.to_string(), "storj:main");
    assert_eq!(nodes[0].poll_interval, Duration::from_secs(60));
}

#[test]
fn several_nodes_of_one_protocol() {
    let c = parse(
        "[protocols.storj]\nenabled = true\nname = \"disk1\"\n[[protocols.storj.nodes]]\nname = \"disk2\"\napi_endpoint = \"http://127.0.0.1:14003\"\n",
    )
    .unwrap();
    let ids: Vec<String> = c.nodes().iter().map(|n| n.id.to_string()).collect();
    assert_eq!(ids, ["storj:disk1", "storj:disk2"]);
    let dup = parse("[protocols.storj]\nname = \"a\"\n[[protocols.storj.nodes]]\nname = \"a\"\napi_endpoint = \"http://x\"\n");
    assert!(dup.unwrap_err().to_string().contains("used twice"));
}

#[test]
fn unknown_key_names_key_file_and_line() {
    let err = parse("[orchestrator]\napi_port = 1\n\noptimisation_interval = 5\n").unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "one line: {msg}");
    assert!(msg.contains("/etc/orcha/config.toml line 4"), "{msg}");
    assert!(msg.contains("orchestrator.optimisation_interval"), "{msg}");
    assert!(msg.contains("unknown field"), "{msg}");
}

#[test]
fn wrong_type_names_key_and_line() {
    let err =
        parse("# comment\n[orchestrator]\noptimization_interval = \"fifteen\"\n").unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "one line: {msg}");
    assert!(msg.contains("line 3"), "{msg}");
    assert!(msg.contains("orchestrator.optimization_interval"), "{msg}");
    assert!(msg.contains("invalid type"), "{msg}");
}

#[test]
fn credentials_in_the_file_are_refused_without_echoing_them() {
    let err = parse("[protocols.golem]\napp_key = \"abc123secret\"\n").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("credential"), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
    assert!(
        !msg.contains("abc123secret"),
        "the value must not be echoed: {msg}"
    );
}

#[test]
fn semantic_errors_are_named() {
    assert!(parse("[orchestrator]\npoll_interval = 0\n")
        .unwrap_err()
        .to_string()
        .contains("orchestrator.poll_interval"));
    assert!(parse("[orchestrator]\nbind = \"everywhere\"\n")
        .unwrap_err()
        .to_string()
        .contains("orchestrator.bind"));
    assert!(
        parse("[protocols.golem]\napi_endpoint = \"localhost:7465\"\n")
            .unwrap_err()
            .to_string()
            .contains("http://")
    );
    assert!(
        parse("[protocols.grass]\nenabled = true\npoll_interval = 10\n")
            .unwrap_err()
            .to_string()
            .contains("300")
    );
}

#[test]
fn allocation_keys_are_checked() {
    let c = parse("[allocation]\nfiat_per_token = { glm = \"0.25\" }\n[allocation.nodes.\"golem:main\"]\nruns_as = \"docker\"\ncontainer = \"golem\"\n").unwrap();
    assert_eq!(c.allocation.nodes["golem:main"].runs_as, RunsAs::Docker);
    assert_eq!(c.allocation.fiat_per_token["glm"], "0.25");
    let e = parse("[allocation.nodes.\"golem:main\"]\nruns_as = \"native\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("cgroup"), "{e}");
    let e = parse("[allocation]\nmargin_usd = \"1e3\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("allocation.margin_usd"), "{e}");
    let e = parse("[allocation.nodes.\"nope\"]\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("allocation.nodes.nope"), "{e}");
}

#[test]
fn environment_overrides() {
    let mut c = Config::default();
    c.apply_env(|k| match k {
        "DATABASE_URL" => Some("sqlite:///tmp/x.db".to_owned()),
        "ML_API_URL" => Some("http://127.0.0.1:9".to_owned()),
        _ => None,
    });
    assert_eq!(c.storage.database, "/tmp/x.db");
    assert_eq!(c.ml.url, "http://127.0.0.1:9");
}
