//! The demo a newcomer sees first keeps wall-clock time: its simulated world starts two days in
//! the past, runs through them quickly (so there is history at once), and then its "now" is the
//! real now, so "polled 5 s ago" beside live values is true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use orcha_app::demo::{self, DemoOptions};
use orcha_core::config::Config;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_starts_in_the_past_and_catches_up_with_the_wall_clock() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo::start(
        &Config::default(),
        dir.path(),
        None,
        &DemoOptions::default(),
    )
    .await
    .unwrap();
    let sim_clock = d.sim.clock();
    let behind = Utc::now() - d.clock.now();
    assert!(
        behind > Duration::hours(40) && behind <= Duration::days(2),
        "the world starts two days back: {behind}"
    );
    assert_eq!(sim_clock.mode_name(), "catching up");
    assert!(sim_clock.speed() > 1.0, "history is made quickly");
    // Never ahead of the real now, whatever the speed.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(d.clock.now() <= Utc::now() + Duration::seconds(1));
    d.sim.shutdown().await;
}
