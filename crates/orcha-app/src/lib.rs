//! Assembles a running Orcha for both front doors: `orcha serve` and the desktop app.
//!
//! `startup` turns config into a running `AppState` (store, adapters, ML engine), `demo` runs the
//! simulator in-process, and `metrics_listener` serves `/metrics`. Nothing here knows about the
//! REST API or Tauri, so the desktop app links neither the server nor its CLI.

pub mod db_key;
pub mod demo;
pub mod loop_bench;
pub mod metrics_listener;
pub mod startup;
