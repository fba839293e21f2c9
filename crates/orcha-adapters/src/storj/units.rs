//! Plausibility bounds shared by the Storj adapter's modules (a leaf: it imports nothing).

/// No single node stores an exabyte; a larger byte count is a broken payload, not data.
pub(super) const ABSURD_BYTES: u64 = 1_000_000_000_000_000_000;
/// Ten million dollars in micro-USD: more than any node earns in one period.
pub(super) const ABSURD_MICRO_USD: i64 = 10_000_000_000_000;
/// Ten million dollars in cents.
pub(super) const ABSURD_CENTS: f64 = 1_000_000_000.0;
