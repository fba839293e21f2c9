//! The loop benchmark as a test: two simulated days of the Golem-surge scenario through the real
//! orchestrator, the real ML engine and the simulator's real knobs must never earn less than
//! holding still, must use the engine, must capture a real share of what the oracle gains, and
//! can never beat the perfect-foresight oracle.
//! Needs `ml-engine/.venv` (scripts/test.sh installs it before the Rust tests).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

#[test]
fn two_days_of_the_loop_never_lose_against_holding_still() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    assert!(
        root.join("ml-engine/.venv/bin/orcha-ml").exists(),
        "the ML engine is not installed: run `bash ml-engine/scripts/install.sh` (scripts/test.sh does)"
    );
    let scenario = root.join("crates/orcha-sim/scenarios/golem_surge.toml");
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_orcha"))
        .current_dir(&root)
        .env_remove("ML_API_URL")
        .env_remove("DATABASE_URL")
        .env_remove("CONFIG_PATH")
        .env("XDG_DATA_HOME", data.path())
        .env("RUST_LOG", "warn")
        .args(["bench", "loop", "--days", "2", "--json", "--scenario"])
        .arg(&scenario)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().expect("a JSON line");
    let r: serde_json::Value = serde_json::from_str(last).unwrap();
    let num = |k: &str| r[k].as_f64().unwrap_or_else(|| panic!("{k} in {r}"));
    assert_eq!(r["scenario"], "golem_surge", "{r}");
    assert_eq!(num("cycles"), 48.0, "one cycle per simulated hour: {r}");
    // The real engine planned (nearly) every cycle; the fallback alone would not count.
    assert_eq!(r["ml_used"], true, "{r}");
    assert!(num("ml_cycles") >= 40.0, "{r}");
    let (achieved, hold, oracle) = (num("achieved_usd"), num("hold_usd"), num("oracle_usd"));
    assert!(hold > 0.0, "{r}");
    assert!(
        achieved >= 0.99 * hold,
        "the loop lost money against holding still: {r}"
    );
    assert!(
        oracle + 1e-9 >= achieved,
        "nothing beats perfect foresight: {r}"
    );
    assert!(
        oracle > hold,
        "the surge is worth moving for, or the scenario tests nothing: {r}"
    );
    // Golem rents every thread it offers from the first hours: the fitted belief must see that
    // and move threads to it (Streamr keeps its floor), earning a real share of the room.
    assert!(num("changes_applied") >= 1.0, "{r}");
    assert!(
        (achieved - hold) >= 0.3 * (oracle - hold),
        "the loop captured under 30 % of what the oracle gains: {r}"
    );
}
