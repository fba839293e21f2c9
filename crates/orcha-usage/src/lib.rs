//! What each DePIN node really uses from the operating system, the machine's real limits, and
//! finding the nodes that run on this machine.
//!
//! - [`NodeMeter`] measures one node every poll: CPU and disk I/O from counter deltas, memory,
//!   used space of its storage path, and network from its own namespace, container or `tc` class.
//! - [`bounds`] gives a capability's real maximum on this machine.
//! - [`detect`] proposes the nodes it finds; it never reads a secret unless asked, never saves.

pub mod bounds;
pub mod cgroup;
pub mod detect;
pub mod docker;
pub mod error;
pub mod meter;
pub mod procs;
pub mod target;
pub mod tc;

pub use bounds::{machine_max, with_real_max, BoundInputs, MachineLimits};
pub use detect::{detect, DetectOptions, Detection, Evidence, Proposal};
pub use error::UsageError;
pub use meter::{meter_for_pid, Measured, MeterSpec, NodeMeter, Source, UsageReading};
pub use target::{default_names, NameMatch, ProcessSelector, UsageTarget};
pub use tc::TcClass;
