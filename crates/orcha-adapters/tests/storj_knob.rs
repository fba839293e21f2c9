//! The Storj disk knob for real: a config.yaml in a temp dir, edited as text.

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::{clock, Recorded};
use orcha_adapters::storj::{StorjAdapter, StorjSettings, MIN_ALLOCATION_BYTES};
use orcha_core::{AdapterError, Knob, ManualClock, ProtocolAdapter, ResourceKind, ResourceVector};

mod common;

/// The head of a real storagenode config.yaml (defaults as written by `storagenode setup`).
const CONFIG_YAML: &str = "\
# how frequently bandwidth usage rollups are calculated
# bandwidth.interval: 1h0m0s

# server address of the api gateway and frontend app
console.address: 127.0.0.1:14002

# total allocated disk space in bytes
storage.allocated-disk-space: 4.00 TB

# path to store data in
storage.path: /app/config/storage

# address(es) to the satellite(s)
# storage.allocated-disk-space: 9.00 TB
storage2.trust.sources: https://www.storj.io/dcs-satellites
";

async fn node() -> String {
    let dashboard = Recorded("storj").fixture("api_sno.current.constructed.json");
    common::serve_one("/api/sno/", dashboard).await
}

fn adapter(base: &str, yaml: &std::path::Path) -> StorjAdapter {
    let mut s = StorjSettings::new(base, clock("2026-08-21T11:30:00Z"));
    s.timeout = Duration::from_secs(2);
    s.config_yaml = Some(yaml.to_owned());
    StorjAdapter::new("storj:disk1".parse().unwrap(), s).unwrap()
}

fn disk(bytes: u64) -> ResourceVector {
    ResourceVector {
        disk_bytes: bytes,
        ..Default::default()
    }
}

#[tokio::test]
async fn growing_the_allocation_edits_only_that_line_and_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("config.yaml");
    std::fs::write(&yaml, CONFIG_YAML).unwrap();
    let a = adapter(&node().await, &yaml);

    let applied = a.apply_allocation(&disk(5_500_000_000_000)).await.unwrap();
    assert_eq!(
        applied.read_back.get(&ResourceKind::Disk),
        Some(&5_500_000_000_000)
    );
    assert!(!applied.restarted, "Orcha does not restart the node itself");
    let text = std::fs::read_to_string(&yaml).unwrap();
    assert_eq!(
        text,
        CONFIG_YAML.replace(
            "storage.allocated-disk-space: 4.00 TB",
            "storage.allocated-disk-space: 5500.00 GB"
        )
    );
    assert!(
        text.contains("# storage.allocated-disk-space: 9.00 TB"),
        "the commented line stays as it was"
    );

    // Not a whole gigabyte: rounded down to the knob's step.
    let applied = a.apply_allocation(&disk(6_000_000_000_123)).await.unwrap();
    assert_eq!(
        applied.read_back.get(&ResourceKind::Disk),
        Some(&6_000_000_000_000)
    );
    assert!(std::fs::read_to_string(&yaml)
        .unwrap()
        .contains("\nstorage.allocated-disk-space: 6.00 TB\n"));
}

#[tokio::test]
async fn unsafe_allocations_are_refused_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("config.yaml");
    std::fs::write(&yaml, CONFIG_YAML).unwrap();
    let a = adapter(&node().await, &yaml);

    let e = a
        .apply_allocation(&disk(400_000_000_000))
        .await
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Unsupported { .. }) && e.to_string().contains("500 GB"),
        "{e}"
    );
    // The node uses 3 381 577 296 000 bytes: 3 TB would be below that.
    let e = a
        .apply_allocation(&disk(3_000_000_000_000))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("already uses 3381577296000 bytes"),
        "{e}"
    );
    let e = a
        .apply_allocation(&ResourceVector {
            cpu_millicores: 2000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Unsupported { .. }) && e.to_string().contains("no cpu knob"),
        "{e}"
    );
    let e = a
        .apply_allocation(&ResourceVector {
            bandwidth_bps: 1_000_000,
            disk_bytes: 5_000_000_000_000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no bandwidth knob"), "{e}");
    assert_eq!(std::fs::read_to_string(&yaml).unwrap(), CONFIG_YAML);

    let nothing = a
        .apply_allocation(&ResourceVector::default())
        .await
        .unwrap();
    assert!(nothing.read_back.is_empty());
}

#[tokio::test]
async fn a_missing_key_is_appended_and_crlf_files_stay_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("config.yaml");
    let windows = "# Windows installer config\r\nconsole.address: 127.0.0.1:14002\r\n";
    std::fs::write(&yaml, windows).unwrap();
    let a = adapter(&node().await, &yaml);
    let applied = a.apply_allocation(&disk(4_000_000_000_000)).await.unwrap();
    assert_eq!(
        applied.read_back.get(&ResourceKind::Disk),
        Some(&4_000_000_000_000)
    );
    assert_eq!(
        std::fs::read_to_string(&yaml).unwrap(),
        "# Windows installer config\r\nconsole.address: 127.0.0.1:14002\r\nstorage.allocated-disk-space: 4.00 TB\r\n"
    );
}

#[tokio::test]
async fn the_capability_reports_the_floor_and_the_restart_cost() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("config.yaml");
    std::fs::write(&yaml, CONFIG_YAML).unwrap();
    let a = adapter(&node().await, &yaml);
    let caps = a.capabilities();
    assert_eq!(caps.len(), 1);
    assert_eq!(
        caps[0].min, MIN_ALLOCATION_BYTES,
        "before a poll only the 500 GB floor is known"
    );
    a.connect().await.unwrap();
    let cap = &a.capabilities()[0];
    assert_eq!(cap.resource, ResourceKind::Disk);
    assert_eq!(
        cap.knob,
        Knob::ProtocolSetting("storage.allocated-disk-space".to_owned())
    );
    assert_eq!(
        cap.min, 3_382_000_000_000,
        "used space rounded up to the 1 GB step"
    );
    assert_eq!(cap.step, 1_000_000_000);
    assert!(cap.restart_required);
    assert!(!cap.restart_cost.downtime.is_zero());
    assert!(cap
        .restart_cost
        .reputation_risk
        .as_deref()
        .unwrap_or("")
        .contains("online score"));
    assert!(!cap.restart_cost.loses_jobs);
}

#[tokio::test]
async fn without_a_config_file_the_knob_is_unsupported() {
    let base = node().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let a = StorjAdapter::new(
        "storj:disk2".parse().unwrap(),
        StorjSettings::new(&base, clock),
    )
    .unwrap();
    assert!(a.capabilities().is_empty());
    let e = a
        .apply_allocation(&disk(1_000_000_000_000))
        .await
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Unsupported { .. }) && e.to_string().contains("config_yaml"),
        "{e}"
    );
}

#[tokio::test]
async fn the_maximum_is_free_space_where_the_node_stores_plus_what_it_holds() {
    use orcha_adapters::storj::{machine_disk_max, storage_path};
    // Hand-worked: 1 234.567890123 GB free + 600 GB held = 1 834.567890123 GB, whole GB down.
    assert_eq!(
        machine_disk_max(1_234_567_890_123, 600_000_000_000, 1_000_000_000),
        1_834_000_000_000
    );
    assert_eq!(machine_disk_max(999_999_999, 0, 1_000_000_000), 0);

    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("config.yaml");
    // A Docker node's `/app/config/storage` is not on this machine: `storage` beside the
    // config is, once it exists; an existing configured path wins.
    assert_eq!(storage_path(&yaml, CONFIG_YAML), dir.path());
    std::fs::create_dir(dir.path().join("storage")).unwrap();
    assert_eq!(storage_path(&yaml, CONFIG_YAML), dir.path().join("storage"));
    let own = tempfile::tempdir().unwrap();
    let text = format!("storage.path: \"{}\" # pieces\n", own.path().display());
    assert_eq!(storage_path(&yaml, &text), own.path());

    std::fs::write(&yaml, CONFIG_YAML).unwrap();
    let a = adapter(&node().await, &yaml);
    a.connect().await.unwrap();
    let free = orcha_usage::bounds::free_bytes(&dir.path().join("storage")).unwrap();
    let cap = &a.capabilities()[0];
    // The node holds 3 381.x GB (the minimum is that rounded up to the 1 GB step, see above).
    assert_eq!(cap.min, 3_382_000_000_000);
    let expected = machine_disk_max(free, 3_382_000_000_000, 1_000_000_000);
    // One step for the rounding of what it holds, one for other builds writing meanwhile.
    assert!(
        cap.max.abs_diff(expected) <= 2_000_000_000,
        "max {} vs free {free} + 3 382 GB held",
        cap.max
    );
    assert_ne!(cap.max, 18_446_744_073_000_000_000);
    assert!(cap.max >= cap.min);

    // A node on another (the demo's simulated) machine: the granted 4000 GiB, whole GB down.
    let mut s = StorjSettings::new(&node().await, clock("2026-08-21T11:30:00Z"));
    s.config_yaml = Some(yaml.clone());
    s.disk_max = Some(4000 << 30);
    let granted = StorjAdapter::new("storj:disk1".parse().unwrap(), s).unwrap();
    assert_eq!(granted.capabilities()[0].max, 4_294_000_000_000);
}
