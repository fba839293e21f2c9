//! The simulator's clock: real time, accelerated time or hand-stepped time, behind `Clock`.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use orcha_core::{Clock, ManualClock};
use serde::{Deserialize, Serialize};

/// How simulated time relates to wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase", deny_unknown_fields)]
pub enum TimeMode {
    /// Time moves only when a test (or the control API) steps it.
    Step,
    /// One simulated second per real second.
    Realtime,
    /// `speed` simulated seconds per real second (1440 = one simulated day per minute).
    Accelerated { speed: f64 },
    /// Starts in the past and runs at `speed` until it reaches the wall clock, then keeps the
    /// wall clock's time: the demo's history is made quickly, and its "now" is the real now.
    #[serde(rename = "catch-up")]
    CatchUp { speed: f64 },
}

#[derive(Debug)]
enum Inner {
    Manual(ManualClock),
    Scaled {
        start_sim: DateTime<Utc>,
        start_real: Instant,
        speed: f64,
    },
    /// `Scaled` until the simulated time meets `wall_start` plus the real time elapsed.
    CatchUp {
        start_sim: DateTime<Utc>,
        wall_start: DateTime<Utc>,
        start_real: Instant,
        speed: f64,
    },
}

/// `start` plus `real` seconds at `speed` (capped so time never overflows).
fn scaled(start: DateTime<Utc>, real: f64, speed: f64) -> DateTime<Utc> {
    start + Duration::milliseconds((real * speed * 1000.0).min(1e15) as i64)
}

/// A speed clamped to what neither freezes nor overflows time.
fn sane_speed(speed: f64) -> f64 {
    if speed.is_finite() {
        speed.clamp(1e-3, 1e7)
    } else {
        1.0
    }
}

/// The clock every surface of the simulator reads; the app can follow it through `Clock`.
#[derive(Debug)]
pub struct SimClock {
    inner: Inner,
    start: DateTime<Utc>,
}

/// Why a clock could not be stepped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the simulator runs in {0} time; only step mode can be stepped")]
pub struct NotSteppable(pub &'static str);

impl SimClock {
    pub fn new(start: DateTime<Utc>, mode: TimeMode) -> Self {
        let inner = match mode {
            TimeMode::Step => Inner::Manual(ManualClock::new(start)),
            TimeMode::Realtime => Inner::Scaled {
                start_sim: start,
                start_real: Instant::now(),
                speed: 1.0,
            },
            TimeMode::Accelerated { speed } => Inner::Scaled {
                start_sim: start,
                start_real: Instant::now(),
                // A non-positive or absurd speed would freeze or overflow time; clamp it.
                speed: sane_speed(speed),
            },
            TimeMode::CatchUp { speed } => Inner::CatchUp {
                start_sim: start,
                wall_start: Utc::now(),
                start_real: Instant::now(),
                speed: sane_speed(speed).max(1.0),
            },
        };
        SimClock { inner, start }
    }

    /// The simulated instant the run started at.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Simulated seconds per real second (0 in step mode).
    pub fn speed(&self) -> f64 {
        match &self.inner {
            Inner::Manual(_) => 0.0,
            Inner::Scaled { speed, .. } => *speed,
            Inner::CatchUp { speed, .. } if !self.caught_up() => *speed,
            Inner::CatchUp { .. } => 1.0,
        }
    }

    /// Whether a catch-up clock has reached the wall clock (always true for the other modes).
    pub fn caught_up(&self) -> bool {
        match &self.inner {
            Inner::CatchUp {
                start_sim,
                wall_start,
                start_real,
                speed,
            } => {
                let real = start_real.elapsed().as_secs_f64();
                scaled(*start_sim, real, *speed) >= scaled(*wall_start, real, 1.0)
            }
            _ => true,
        }
    }

    pub fn mode_name(&self) -> &'static str {
        match &self.inner {
            Inner::Manual(_) => "step",
            Inner::Scaled { speed, .. } if *speed == 1.0 => "realtime",
            Inner::Scaled { .. } => "accelerated",
            Inner::CatchUp { .. } if self.caught_up() => "realtime",
            Inner::CatchUp { .. } => "catching up",
        }
    }

    /// Moves a step-mode clock forward; other modes refuse.
    pub fn advance(&self, by: Duration) -> Result<(), NotSteppable> {
        match &self.inner {
            Inner::Manual(c) => {
                c.advance(by);
                Ok(())
            }
            Inner::Scaled { .. } | Inner::CatchUp { .. } => Err(NotSteppable(self.mode_name())),
        }
    }

    /// Converts a simulated duration into the real time it takes at this clock's speed.
    pub fn real_duration(&self, sim: Duration) -> Option<std::time::Duration> {
        match &self.inner {
            Inner::Manual(_) => None,
            Inner::Scaled { .. } | Inner::CatchUp { .. } => {
                let secs = sim.num_milliseconds() as f64 / 1000.0 / self.speed();
                std::time::Duration::try_from_secs_f64(secs.max(0.0)).ok()
            }
        }
    }
}

impl Clock for SimClock {
    fn speed(&self) -> f64 {
        SimClock::speed(self)
    }

    fn now(&self) -> DateTime<Utc> {
        match &self.inner {
            Inner::Manual(c) => c.now(),
            Inner::Scaled {
                start_sim,
                start_real,
                speed,
            } => scaled(*start_sim, start_real.elapsed().as_secs_f64(), *speed),
            Inner::CatchUp {
                start_sim,
                wall_start,
                start_real,
                speed,
            } => {
                let real = start_real.elapsed().as_secs_f64();
                scaled(*start_sim, real, *speed).min(scaled(*wall_start, real, 1.0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-08-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn step_clock_moves_only_when_stepped() {
        let c = SimClock::new(t0(), TimeMode::Step);
        assert_eq!(c.now(), t0());
        c.advance(Duration::minutes(90)).unwrap();
        assert_eq!(c.now(), t0() + Duration::minutes(90));
    }

    #[test]
    fn accelerated_clock_runs_a_day_per_minute() {
        let c = SimClock::new(t0(), TimeMode::Accelerated { speed: 1440.0 });
        std::thread::sleep(std::time::Duration::from_millis(250));
        let elapsed = c.now() - t0();
        // 0.25 real seconds at 1440x is 6 simulated minutes; allow scheduling slack.
        assert!(elapsed >= Duration::minutes(6), "{elapsed}");
        assert!(elapsed < Duration::minutes(60), "{elapsed}");
        assert!(c.advance(Duration::minutes(1)).is_err());
    }

    #[test]
    fn a_catch_up_clock_runs_fast_until_it_meets_the_wall_clock_then_keeps_it() {
        let wall = Utc::now();
        // An hour behind at 36 000x: caught up after 0.1 real seconds.
        let c = SimClock::new(
            wall - Duration::hours(1),
            TimeMode::CatchUp { speed: 36_000.0 },
        );
        assert!(!c.caught_up());
        assert_eq!(c.mode_name(), "catching up");
        assert_eq!(c.speed(), 36_000.0);
        assert!(c.now() < wall);
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(c.caught_up());
        assert_eq!((c.speed(), c.mode_name()), (1.0, "realtime"));
        let drift = (c.now() - Utc::now()).num_milliseconds().abs();
        assert!(drift < 1000, "{drift} ms from the wall clock");
        assert!(c.advance(Duration::minutes(1)).is_err());
    }
}
