//! The application layer: the orchestrator loop and one async function per API operation.
//!
//! Both front doors — the Tauri commands in `src-tauri` and the REST routes in `orcha-server` —
//! are one-line wrappers over `ops`; events reach both as `dto::Event`.

pub mod actor;
pub mod alerts;
pub mod backups;
pub mod bound_secrets;
pub mod budget;
pub mod cycle;
pub mod dto;
pub mod earnings_series;
pub mod error;
pub mod export;
pub mod fallback;
pub mod fleet_metrics;
pub mod keyring;
pub mod metrics;
pub mod ml;
pub mod notifications;
pub mod operations;
pub mod ops;
pub mod orchestrator;
pub mod payouts;
pub mod policy;
pub mod poll;
pub mod price_book;
pub mod price_history;
pub mod prices;
pub mod redact;
pub mod settings_file;
pub mod sidecar;
pub mod state;
pub mod supervisor;
pub mod timeout;
pub mod usage;

pub use actor::Actor;
pub use dto::{ApiError, ErrorCode};
pub use state::{AppState, NodeRuntime};
