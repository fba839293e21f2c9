//! yagna's invoices and payments kept between polls, so that a poll reads only what can change.
//!
//! A busy provider issues an invoice per agreement, many a day, and reading the whole list every
//! poll grows without bound (and, after months, past the response size cap). An invoice changes
//! only until it is settled, rejected, failed or cancelled, so each poll re-reads from the oldest
//! invoice still open (or the newest one, when none is) and keeps the rest; payments never
//! change, so they are read after the newest one seen. The sums are always taken over the whole
//! ledger, so they equal a full read's.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use orcha_core::{AdapterError, Money, MoneyError};

use super::model::PlatformTotals;
use super::normalize::{glm, split_platform};
use super::pays_mainnet_glm;

/// How far before the window's first invoice or payment a read starts. yagna filters with
/// "later than"; starting a little earlier re-reads the boundary item instead of missing one
/// that shares its time at a coarser resolution. Items are merged by id, so nothing counts twice.
pub(super) const OVERLAP: Duration = Duration::seconds(1);

/// One invoice of this node, as the ledger keeps it.
#[derive(Clone, Debug)]
pub(super) struct Invoice {
    pub platform: String,
    pub amount: Money,
    pub status: String,
    pub due: Option<DateTime<Utc>>,
    pub at: Option<DateTime<Utc>>,
}

impl Invoice {
    /// Still able to change: not yet settled, rejected, failed or cancelled.
    fn open(&self) -> bool {
        matches!(self.status.as_str(), "ISSUED" | "RECEIVED" | "ACCEPTED")
    }
}

/// One payment this node received on a mainnet GLM platform.
#[derive(Clone, Debug)]
pub(super) struct Payment {
    pub key: String,
    pub amount: Money,
    pub at: DateTime<Utc>,
}

/// Payments received: their sum, count and the newest one's time.
pub(super) struct PaidOut {
    pub total: Money,
    pub count: usize,
    pub last: Option<DateTime<Utc>>,
}

/// What the closed invoices of one platform add up to; they never change again.
#[derive(Default)]
struct Closed {
    settled: Option<Money>,
    unpaid: usize,
}

/// What one adapter has read of yagna's payment API.
#[derive(Default)]
pub(super) struct Ledger {
    /// The identity the ledger belongs to; another app key (another node) starts it afresh.
    identity: Option<String>,
    /// Invoices that can still change, by id.
    open: HashMap<String, Invoice>,
    /// Invoices settled, rejected, failed or cancelled: their ids (a re-read must not count them
    /// twice) and their sums per platform, so a poll does not add up the whole history again.
    closed_ids: HashSet<String>,
    closed: BTreeMap<String, Closed>,
    /// The newest invoice time in the list, this node's or not.
    newest_invoice: Option<DateTime<Utc>>,
    /// An invoice of this node came without a time: a window could skip it, so read everything.
    untimed: bool,
    payment_keys: HashSet<String>,
    paid: Option<(Money, usize)>,
    /// The newest payment time read, to this node or not: the next read starts there.
    newest_payment: Option<DateTime<Utc>>,
    /// The newest payment this node received.
    last_payment: Option<DateTime<Utc>>,
}

impl Ledger {
    /// Starts afresh when the node's identity is not the one the ledger was read for.
    pub fn belong_to(&mut self, identity: &str) {
        if self
            .identity
            .as_deref()
            .is_none_or(|i| !i.eq_ignore_ascii_case(identity))
        {
            *self = Ledger {
                identity: Some(identity.to_owned()),
                ..Ledger::default()
            };
        }
    }

    /// Where the next invoice read starts: `None` reads the whole list.
    pub fn invoice_window(&self) -> Option<DateTime<Utc>> {
        if self.untimed {
            return None;
        }
        let oldest_open = self.open.values().filter_map(|i| i.at).min();
        let from = match (oldest_open, self.newest_invoice) {
            (Some(open), Some(newest)) => Some(open.min(newest)),
            (open, newest) => open.or(newest),
        }?;
        Some(from - OVERLAP)
    }

    /// Where the next payment read starts: `None` reads from the beginning.
    pub fn payment_window(&self) -> Option<DateTime<Utc>> {
        self.newest_payment.map(|t| t - OVERLAP)
    }

    /// Takes in a read: this node's invoices by id, and the newest time of any invoice read.
    pub fn merge_invoices(
        &mut self,
        mine: Vec<(String, Invoice)>,
        newest: Option<DateTime<Utc>>,
    ) -> Result<(), MoneyError> {
        self.newest_invoice = self.newest_invoice.max(newest);
        for (id, invoice) in mine {
            self.untimed |= invoice.at.is_none();
            if self.closed_ids.contains(&id) {
                continue;
            }
            if invoice.open() {
                self.open.insert(id, invoice);
                continue;
            }
            self.open.remove(&id);
            let sums = self.closed.entry(invoice.platform.clone()).or_default();
            if invoice.status == "SETTLED" {
                let before = sums.settled.unwrap_or_else(|| glm(0));
                sums.settled = Some(before.checked_add(&invoice.amount)?);
            } else {
                sums.unpaid += 1;
            }
            self.closed_ids.insert(id);
        }
        Ok(())
    }

    /// Takes in a read of payments (this node's mainnet GLM ones) and the newest time of any.
    pub fn merge_payments(
        &mut self,
        mine: Vec<Payment>,
        newest: Option<DateTime<Utc>>,
    ) -> Result<(), MoneyError> {
        self.newest_payment = self.newest_payment.max(newest);
        let (mut total, mut count) = self.paid.take().unwrap_or((glm(0), 0));
        let mut last = None;
        for p in mine {
            if self.payment_keys.insert(p.key) {
                total = total.checked_add(&p.amount)?;
                count += 1;
                last = last.max(Some(p.at));
            }
        }
        self.paid = Some((total, count));
        self.last_payment = self.last_payment.max(last);
        Ok(())
    }

    pub fn paid_out(&self) -> PaidOut {
        let (total, count) = self.paid.unwrap_or((glm(0), 0));
        PaidOut {
            total,
            count,
            last: self.last_payment,
        }
    }

    /// Pending, accepted and settled per platform, and how many open invoices are past due.
    pub fn totals(&self, now: DateTime<Utc>) -> Result<(Vec<PlatformTotals>, usize), MoneyError> {
        let empty = |platform: &str| {
            let (driver, network, token) = split_platform(platform);
            PlatformTotals {
                platform: platform.to_owned(),
                counts_as_earnings: pays_mainnet_glm(platform),
                driver,
                network,
                token,
                pending: glm(0),
                accepted: glm(0),
                settled: glm(0),
                unpaid_invoices: 0,
            }
        };
        let mut platforms: BTreeMap<&str, PlatformTotals> = BTreeMap::new();
        for (platform, sums) in &self.closed {
            let totals = platforms.entry(platform).or_insert_with(|| empty(platform));
            totals.settled = sums.settled.unwrap_or_else(|| glm(0));
            totals.unpaid_invoices = sums.unpaid;
        }
        let mut overdue = 0;
        for inv in self.open.values() {
            let totals = platforms
                .entry(&inv.platform)
                .or_insert_with(|| empty(&inv.platform));
            let slot = if inv.status == "ACCEPTED" {
                &mut totals.accepted
            } else {
                &mut totals.pending
            };
            *slot = slot.checked_add(&inv.amount)?;
            if inv.due.is_some_and(|d| d < now) {
                overdue += 1;
            }
        }
        Ok((platforms.into_values().collect(), overdue))
    }
}

/// Whether an invoice status is one yagna documents; anything else is malformed.
pub(super) fn known_status(status: &str) -> bool {
    matches!(
        status,
        "ISSUED" | "RECEIVED" | "ACCEPTED" | "SETTLED" | "REJECTED" | "FAILED" | "CANCELLED"
    )
}

/// Turns a money error into the adapter's, naming the endpoint.
pub(super) fn overflow(endpoint: &str, e: MoneyError) -> AdapterError {
    AdapterError::Malformed {
        endpoint: endpoint.to_owned(),
        what: format!("the amounts do not add up: {e}"),
    }
}
