//! Units and plausibility bounds shared by the Golem adapter's modules (a leaf: it imports nothing).

pub(super) const GIB: u64 = 1 << 30;
pub(super) const MIB: u64 = 1 << 20;
/// GLM's total supply is 1 billion; any single figure above it is a broken payload.
pub(super) const ABSURD_GLM: i128 = 1_000_000_000 * 10i128.pow(18);
