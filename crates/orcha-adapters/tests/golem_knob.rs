//! The Golem knobs for real: a fake ya-provider executable editing a real hardware.json and
//! presets.json, the JSON-file fallback without the CLI, and the running-activities guard.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::StatusCode;
use common::{clock, fake_bin, raw, Recorded};
use orcha_adapters::golem::{GolemAdapter, GolemSettings};
use orcha_core::secret::Sensitive;
use orcha_core::{AdapterError, Money, ProtocolAdapter, ResourceKind, ResourceVector, Token};
use serde_json::Value;

mod common;

const GOLEM: Recorded = Recorded("golem");
const GIB: u64 = 1 << 30;
const IDLE: &str = "data: {\"ts\":\"2024-08-21T10:42:00Z\",\"activities\":[]}\n\n";

/// yagna answering `_monitor` with `events` (auth is not the point here).
async fn yagna(events: &'static str) -> String {
    let monitor = raw(StatusCode::OK, "text/event-stream", events);
    common::serve_one("/activity-api/v1/_monitor", monitor).await
}

fn data_dir() -> tempfile::TempDir {
    GOLEM.copies(&["hardware.json", "presets.json"])
}

fn adapter(base: &str, cli: PathBuf, dir: &Path, allow_interrupt: bool) -> GolemAdapter {
    let k = Some(Sensitive::new("k".to_owned()));
    let mut s = GolemSettings::new(base, k, clock("2024-08-21T11:00:00Z"));
    s.timeout = Duration::from_secs(10);
    s.ya_provider = cli;
    s.data_dir = Some(dir.to_owned());
    s.allow_interrupt = allow_interrupt;
    GolemAdapter::new("golem:main".parse().unwrap(), s).unwrap()
}

fn calls(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn hardware(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("hardware.json")).unwrap()).unwrap()
}

fn check_expected(name: &str, got: Value) {
    let want = GOLEM.expected(name);
    let (g, w) = (got.to_string(), want.to_string());
    // Numbers: the expectations write 1.0 where the code produces 1.0; compare parsed values.
    assert_eq!(
        serde_json::from_str::<Value>(&g).unwrap(),
        serde_json::from_str::<Value>(&w).unwrap(),
        "{name}"
    );
}

fn want(cpu: u64, mem: u64, disk: u64) -> ResourceVector {
    ResourceVector {
        cpu_millicores: cpu,
        mem_bytes: mem,
        disk_bytes: disk,
        bandwidth_bps: 0,
    }
}

#[tokio::test]
async fn the_recorded_cli_outputs_and_files_match_their_expectations() {
    let base = yagna(IDLE).await;
    // Recorded CLI outputs, replayed by the fake.
    let dir = data_dir();
    std::fs::write(dir.path().join("replay-from"), GOLEM.dir()).unwrap();
    let a = adapter(&base, fake_bin("ya-provider"), dir.path(), false);
    check_expected(
        "ya-provider_profile_list+active.json",
        serde_json::to_value(a.profile().await.unwrap()).unwrap(),
    );
    check_expected(
        "ya-provider_preset_list+active.json",
        serde_json::to_value(a.presets().await.unwrap()).unwrap(),
    );
    // The REAL data-dir files, read directly when the CLI is absent.
    let dir = data_dir();
    let a = adapter(&base, "/nonexistent/ya-provider".into(), dir.path(), false);
    let mut p = serde_json::to_value(a.profile().await.unwrap()).unwrap();
    assert_eq!(
        p["source"],
        dir.path().join("hardware.json").display().to_string()
    );
    p["source"] = "hardware.json".into();
    check_expected("hardware.json", p);
    check_expected(
        "presets.json",
        serde_json::to_value(a.presets().await.unwrap()).unwrap(),
    );
}

#[tokio::test]
async fn the_profile_is_changed_through_the_cli_and_read_back() {
    let base = yagna(IDLE).await;
    let dir = data_dir();
    let a = adapter(&base, fake_bin("ya-provider"), dir.path(), false);
    // Small sizes: the disk maximum is this machine's free space, which a shared build box
    // may have little of.
    let applied = a
        .apply_allocation(&want(2000, 3 * GIB / 2, 3 * GIB))
        .await
        .unwrap();
    assert_eq!(applied.read_back.get(&ResourceKind::Cpu), Some(&2000));
    assert_eq!(
        applied.read_back.get(&ResourceKind::Memory),
        Some(&(3 * GIB / 2))
    );
    assert_eq!(applied.read_back.get(&ResourceKind::Disk), Some(&(3 * GIB)));
    assert!(!applied.restarted);
    let update: Vec<String> = [
        "profile",
        "update",
        "--name",
        "default",
        "--cpu-threads",
        "2",
        "--mem-gib",
        "1.5",
        "--storage-gib",
        "3",
    ]
    .map(String::from)
    .to_vec();
    assert!(
        calls(dir.path()).contains(&update),
        "{:?}",
        calls(dir.path())
    );
    let hw = hardware(dir.path());
    assert_eq!(hw["profiles"]["default"]["cpu_threads"], 2);
    assert_eq!(hw["profiles"]["default"]["mem_gib"], 1.5);
    assert_eq!(hw["profiles"]["default"]["storage_gib"], 3.0);

    // Only what is asked for is passed on.
    let applied = a.apply_allocation(&want(0, 0, 4 * GIB)).await.unwrap();
    assert_eq!(applied.read_back.len(), 1);
    let last_update = calls(dir.path())
        .into_iter()
        .rfind(|c| c[1] == "update")
        .unwrap();
    assert_eq!(
        last_update,
        [
            "profile",
            "update",
            "--name",
            "default",
            "--storage-gib",
            "4"
        ]
    );
}

#[tokio::test]
async fn running_activities_block_changes_unless_interrupting_is_allowed() {
    let running = "data: {\"ts\":\"2024-08-21T10:41:00Z\",\"activities\":[{\"id\":\"a\",\"state\":\"Ready\",\"usage\":{}}]}\n\n";
    let base = yagna(running).await;
    let dir = data_dir();
    let a = adapter(&base, fake_bin("ya-provider"), dir.path(), false);
    let e = a.apply_allocation(&want(2000, 0, 0)).await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Unsupported { .. })
            && e.to_string().contains("1 activities are running"),
        "{e}"
    );
    assert!(
        calls(dir.path()).iter().all(|c| c[1] != "update"),
        "nothing was written"
    );
    assert_eq!(
        hardware(dir.path())["profiles"]["default"]["cpu_threads"],
        1
    );

    let a = adapter(&base, fake_bin("ya-provider"), dir.path(), true);
    let applied = a.apply_allocation(&want(2000, 0, 0)).await.unwrap();
    assert_eq!(applied.read_back.get(&ResourceKind::Cpu), Some(&2000));
}

#[tokio::test]
async fn without_the_cli_hardware_json_is_edited_directly() {
    let base = yagna(IDLE).await;
    let dir = data_dir();
    let a = adapter(&base, "/nonexistent/ya-provider".into(), dir.path(), false);
    let applied = a
        .apply_allocation(&want(1000, 2 * GIB, 5 * GIB))
        .await
        .unwrap();
    assert_eq!(
        applied.read_back.get(&ResourceKind::Memory),
        Some(&(2 * GIB))
    );
    let hw = hardware(dir.path());
    assert_eq!(hw["active"], "default");
    assert_eq!(
        hw["profiles"]["default"],
        serde_json::json!({"cpu_threads": 1, "mem_gib": 2, "storage_gib": 5})
    );
}

#[tokio::test]
async fn refusals_and_cli_failures_are_reported() {
    let base = yagna(IDLE).await;
    let dir = data_dir();
    let a = adapter(&base, fake_bin("ya-provider"), dir.path(), false);
    let e = a
        .apply_allocation(&ResourceVector {
            bandwidth_bps: 5,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no bandwidth knob"), "{e}");
    let e = a.apply_allocation(&want(500, 0, 0)).await.unwrap_err();
    assert!(
        e.to_string().contains("cpu = 500 millicores is outside"),
        "{e}"
    );
    std::fs::write(dir.path().join("fail-with"), "profile default not found").unwrap();
    let e = a.apply_allocation(&want(1000, 0, 0)).await.unwrap_err();
    assert!(
        matches!(e, AdapterError::Unsupported { .. })
            && e.to_string().contains("profile default not found"),
        "{e}"
    );
}

#[tokio::test]
async fn preset_prices_are_changed_and_read_back() {
    let base = yagna(IDLE).await;
    let glm = |s: &str| Money::parse_decimal(s, Token::Glm, 18).unwrap();
    for cli in [Some(fake_bin("ya-provider")), None] {
        let dir = data_dir();
        let exe = cli
            .clone()
            .unwrap_or_else(|| "/nonexistent/ya-provider".into());
        let a = adapter(&base, exe, dir.path(), false);
        let after = a
            .update_preset_prices(&["vm", "wasm"], &glm("0.03"), &glm("0.006"), &glm("0"))
            .await
            .unwrap();
        assert_eq!(after.len(), 2);
        for p in &after {
            // 0.03 GLM/h is written as 0.000008333333333333333333 GLM/s; ya-provider keeps an f64
            // (8.333333333333334e-06), and 8.333333333333334e-06 × 3600 = 0.0300000000000000024,
            // which reads back as 0.030000000000000002 GLM/h.
            assert_eq!(
                p.cpu_per_hour.to_decimal_string(),
                "0.030000000000000002",
                "{p:?}"
            );
            assert_eq!(p.start_price.amount, 0);
        }
        if cli.is_some() {
            let update = calls(dir.path())
                .into_iter()
                .find(|c| c[1] == "update")
                .unwrap();
            assert_eq!(
                update,
                [
                    "preset",
                    "update",
                    "--no-interactive",
                    "--name",
                    "vm",
                    "--name",
                    "wasm",
                    "--pricing",
                    "linear",
                    "--price",
                    "CPU=0.000008333333333333333333",
                    "--price",
                    "Duration=0.000001666666666666666667",
                    "--price",
                    "Init price=0"
                ]
            );
        }
        let untouched = a
            .presets()
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.name == "test-counters")
            .unwrap();
        assert_eq!(
            untouched.cpu_per_hour.to_decimal_string(),
            "0.360000000000000000"
        );
    }
}

#[tokio::test]
async fn the_profile_maxima_are_the_machines() {
    use orcha_adapters::golem::ProfileMax;
    // Hand-worked: 8 threads; 16 000 MiB + 123 bytes of RAM; 500 GiB + 7 bytes free.
    let m = ProfileMax::from_machine(Some((8, 16_000 * 1_048_576 + 123)), Some(500 * GIB + 7));
    assert_eq!(m.cpu_millicores, Some(8_000));
    assert_eq!(m.mem_bytes, Some(16_777_216_000));
    assert_eq!(m.storage_bytes, Some(536_870_912_000));
    let none = ProfileMax::from_machine(None, None);
    assert_eq!((none.cpu_millicores, none.storage_bytes), (None, None));

    let dir = data_dir();
    let a = adapter(
        &yagna(IDLE).await,
        "/nonexistent/ya-provider".into(),
        dir.path(),
        false,
    );
    let caps = a.capabilities();
    let max = |k: ResourceKind| caps.iter().find(|c| c.resource == k).unwrap().max;
    let machine = orcha_usage::MachineLimits::read().unwrap();
    assert_eq!(
        max(ResourceKind::Cpu),
        u64::from(machine.logical_cpus) * 1000
    );
    assert_eq!(
        max(ResourceKind::Memory),
        machine.mem_total_bytes - machine.mem_total_bytes % (1 << 20)
    );
    let free = orcha_usage::bounds::free_bytes(dir.path()).unwrap();
    let disk = max(ResourceKind::Disk);
    assert!(disk.abs_diff(free - free % GIB) <= GIB, "{disk} vs {free}");
    assert_ne!(disk, 18_446_744_072_635_809_792);
    // What the active profile gives the node now is never taken away by the maximum alone.
    let held = free + 5 * GIB;
    let m = ProfileMax::read(Some(dir.path()), Some(held));
    assert!(
        m.storage_bytes.unwrap().abs_diff(held - held % GIB) <= GIB,
        "{:?}",
        m.storage_bytes
    );
}
