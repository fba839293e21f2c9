//! The protocol-knob backend over the real Golem adapter and a fake ya-provider editing a real
//! hardware.json: it reads the active profile, writes through `profile update`, reads it back,
//! and restores the old values (what a rollback does).

// Test helpers outside #[test] functions unwrap too: a failure there is a broken test setup.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{clock, fake_bin, raw, Recorded};
use orcha_adapters::golem::{GolemAdapter, GolemSettings};
use orcha_core::secret::Sensitive;
use orcha_core::ResourceKind;
use orcha_enforce::knob::KnobBackend;
use orcha_enforce::{EnforceError, EnforcementBackend, Limits};

#[path = "../../orcha-adapters/tests/common/mod.rs"]
mod common;

/// yagna answering `_monitor` with `events` (auth is not the point here).
async fn yagna(events: &'static str) -> String {
    let monitor = raw(StatusCode::OK, "text/event-stream", events);
    common::serve_one("/activity-api/v1/_monitor", monitor).await
}

fn golem(base: &str, dir: &std::path::Path) -> Arc<GolemAdapter> {
    let k = Some(Sensitive::new("k".to_owned()));
    let mut s = GolemSettings::new(base, k, clock("2024-08-21T11:00:00Z"));
    s.timeout = Duration::from_secs(10);
    s.ya_provider = fake_bin("ya-provider");
    s.data_dir = Some(dir.to_owned());
    Arc::new(GolemAdapter::new("golem:main".parse().unwrap(), s).unwrap())
}

#[tokio::test]
async fn golem_profile_is_read_written_read_back_and_restored() {
    let dir = Recorded("golem").copies(&["hardware.json", "presets.json"]);
    let idle = "data: {\"ts\":\"2024-08-21T10:42:00Z\",\"activities\":[]}\n\n";
    let backend = KnobBackend::new(golem(&yagna(idle).await, dir.path()));
    let before = backend.read().await.unwrap();
    assert!(before.contains_key(&ResourceKind::Cpu), "{before:?}");
    let cores = before[&ResourceKind::Cpu];

    let wanted = Limits::from([(ResourceKind::Cpu, 1000)]);
    let read = backend.apply(&wanted).await.unwrap();
    assert_eq!(read, wanted);
    assert_eq!(backend.read().await.unwrap()[&ResourceKind::Cpu], 1000);

    let restore = Limits::from([(ResourceKind::Cpu, cores)]);
    assert_eq!(backend.apply(&restore).await.unwrap(), restore);

    // A resource the knob cannot be set to "nothing" is refused, never forced.
    let err = backend
        .apply(&Limits::from([(ResourceKind::Cpu, 0)]))
        .await
        .unwrap_err();
    assert!(matches!(err, EnforceError::Unsupported { .. }), "{err}");
}

#[tokio::test]
async fn running_activities_are_a_refusal() {
    let dir = Recorded("golem").copies(&["hardware.json", "presets.json"]);
    let busy = "data: {\"ts\":\"2024-08-21T10:41:00Z\",\"activities\":[{\"id\":\"a\",\"state\":\"Ready\",\"usage\":{}}]}\n\n";
    let backend = KnobBackend::new(golem(&yagna(busy).await, dir.path()));
    let err = backend
        .apply(&Limits::from([(ResourceKind::Cpu, 1000)]))
        .await
        .unwrap_err();
    assert!(matches!(err, EnforceError::Refused { .. }), "{err}");
}
