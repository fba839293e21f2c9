//! Prometheus metrics: one registry, fixed names, bounded labels (`protocol`, `node`, `resource`
//! and small closed enums), never a secret or free-form string.

use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Every metric Orcha exports. Created once per process (or per test) and passed around.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub poll_duration: HistogramVec,
    pub poll_errors: IntCounterVec,
    pub polls: IntCounterVec,
    pub node_health: IntGaugeVec,
    pub node_resource: GaugeVec,
    pub node_earnings: GaugeVec,
    pub samples_written: IntCounterVec,
    pub cycle_step_duration: HistogramVec,
    pub cycles: IntCounterVec,
    pub decisions: IntCounterVec,
    pub ml_up: IntGauge,
    pub automation_paused: IntGauge,
    pub api_request_duration: HistogramVec,
    pub node_allocation: GaugeVec,
    pub applies: IntCounterVec,
    pub rollbacks: IntCounter,
    pub ml_request_duration: HistogramVec,
    pub forecast_error: GaugeVec,
    pub alerts_opened: IntCounterVec,
    pub alerts_cleared: IntCounterVec,
    pub alerts_open: IntGauge,
    pub alert_notifications: IntCounterVec,
    pub task_restarts: IntCounterVec,
    pub machine_info: IntGaugeVec,
    pub node_earnings_fiat: GaugeVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn must<T>(r: prometheus::Result<T>) -> T {
    // Metric definitions are constants; a failure here is a programming error caught by tests.
    r.unwrap_or_else(|e| panic!("invalid metric definition: {e}"))
}

impl Metrics {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let node = &["protocol", "node"];
        let poll_duration = must(HistogramVec::new(
            HistogramOpts::new(
                "orcha_adapter_poll_duration_seconds",
                "Duration of one poll of a node (all reads).",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            node,
        ));
        let poll_errors = must(IntCounterVec::new(
            Opts::new(
                "orcha_adapter_poll_errors_total",
                "Failed reads of a node, by adapter error kind.",
            ),
            &["protocol", "node", "kind"],
        ));
        let polls = must(IntCounterVec::new(
            Opts::new("orcha_adapter_polls_total", "Polls of a node."),
            node,
        ));
        let node_health = must(IntGaugeVec::new(
            Opts::new(
                "orcha_node_health_state",
                "Health of a node: 0 unknown, 1 healthy, 2 degraded, 3 unreachable.",
            ),
            node,
        ));
        let node_resource = must(GaugeVec::new(
            Opts::new(
                "orcha_node_resource_usage",
                "Measured resource use of a node, in the metric's base unit.",
            ),
            &["protocol", "node", "resource"],
        ));
        let node_earnings = must(GaugeVec::new(
            Opts::new(
                "orcha_node_earnings",
                "Latest earnings figure of a node in whole tokens (display only; exact values are in the API).",
            ),
            &["protocol", "node", "kind", "token"],
        ));
        let samples_written = must(IntCounterVec::new(
            Opts::new(
                "orcha_samples_written_total",
                "Resource samples committed to the database.",
            ),
            node,
        ));
        let cycle_step_duration = must(HistogramVec::new(
            HistogramOpts::new(
                "orcha_cycle_step_duration_seconds",
                "Duration of each optimization cycle step.",
            )
            .buckets(vec![0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0]),
            &["step"],
        ));
        let cycles = must(IntCounterVec::new(
            Opts::new("orcha_cycles_total", "Optimization cycles run."),
            &["trigger"],
        ));
        let decisions = must(IntCounterVec::new(
            Opts::new("orcha_decisions_total", "Cycle decisions, by verdict."),
            &["verdict"],
        ));
        let ml_up = must(IntGauge::new(
            "orcha_ml_engine_up",
            "1 when the ML engine answered its last health check.",
        ));
        let automation_paused = must(IntGauge::new(
            "orcha_automation_paused",
            "1 when the operator has paused automation.",
        ));
        let api_request_duration = must(HistogramVec::new(
            HistogramOpts::new(
                "orcha_api_request_duration_seconds",
                "Latency of REST API requests by route.",
            ),
            &["route"],
        ));
        let node_allocation = must(GaugeVec::new(
            Opts::new(
                "orcha_node_allocation",
                "Resources currently allocated to a node (read back from its knobs), in base units.",
            ),
            &["protocol", "node", "resource"],
        ));
        let applies = must(IntCounterVec::new(
            Opts::new(
                "orcha_applies_total",
                "Allocation applies, by result (ok or failed).",
            ),
            &["result"],
        ));
        let rollbacks = must(IntCounter::new(
            "orcha_rollbacks_total",
            "Allocation applies that were rolled back.",
        ));
        let ml_request_duration = must(HistogramVec::new(
            HistogramOpts::new(
                "orcha_ml_request_duration_seconds",
                "Latency of ML engine requests by endpoint.",
            )
            .buckets(vec![
                0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 30.0,
            ]),
            &["endpoint"],
        ));
        // Stays absent until forecasts are stored and can be compared with what was realized.
        let forecast_error = must(GaugeVec::new(
            Opts::new(
                "orcha_forecast_error_ratio",
                "Relative error of the last forecast: |realized - p50| / p50.",
            ),
            node,
        ));
        let alerts_opened = must(IntCounterVec::new(
            Opts::new(
                "orcha_alerts_opened_total",
                "Alerts opened, by rule and severity.",
            ),
            &["rule", "severity"],
        ));
        let alerts_cleared = must(IntCounterVec::new(
            Opts::new(
                "orcha_alerts_cleared_total",
                "Alerts cleared on recovery, by rule.",
            ),
            &["rule"],
        ));
        let alerts_open = must(IntGauge::new(
            "orcha_alerts_open",
            "Alerts open now (not yet cleared).",
        ));
        let alert_notifications = must(IntCounterVec::new(
            Opts::new(
                "orcha_alert_notifications_total",
                "Alert notifications by channel and result (ok, error, rate_limited).",
            ),
            &["channel", "result"],
        ));
        let task_restarts = must(IntCounterVec::new(
            Opts::new(
                "orcha_task_restarts_total",
                "Background tasks restarted by their supervisor after a panic, by task name.",
            ),
            &["task"],
        ));
        // Constant 1; its labels are what a fleet's queries join every other series on.
        let machine_info = must(IntGaugeVec::new(
            Opts::new(
                "orcha_machine_info",
                "Always 1: this Orcha's machine name ([orchestrator] machine) and version.",
            ),
            &["machine", "version"],
        ));
        // Computed by Orcha from its own exact history and prices (what the Earnings screen
        // shows), so a fleet sees the same figures without Prometheus keeping 30 days of data.
        let node_earnings_fiat = must(GaugeVec::new(
            Opts::new(
                "orcha_node_earnings_fiat",
                "Fiat value of what a node earned in a window (today since 00:00 UTC, 7d, 30d); absent without a price. Display only.",
            ),
            &["protocol", "node", "window", "fiat"],
        ));
        for c in [
            Box::new(task_restarts.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(poll_duration.clone()),
            Box::new(machine_info.clone()),
            Box::new(node_earnings_fiat.clone()),
            Box::new(node_allocation.clone()),
            Box::new(applies.clone()),
            Box::new(rollbacks.clone()),
            Box::new(ml_request_duration.clone()),
            Box::new(forecast_error.clone()),
            Box::new(alerts_opened.clone()),
            Box::new(alerts_cleared.clone()),
            Box::new(alerts_open.clone()),
            Box::new(alert_notifications.clone()),
            Box::new(poll_errors.clone()),
            Box::new(polls.clone()),
            Box::new(node_health.clone()),
            Box::new(node_resource.clone()),
            Box::new(node_earnings.clone()),
            Box::new(samples_written.clone()),
            Box::new(cycle_step_duration.clone()),
            Box::new(cycles.clone()),
            Box::new(decisions.clone()),
            Box::new(ml_up.clone()),
            Box::new(automation_paused.clone()),
            Box::new(api_request_duration.clone()),
        ] {
            must(registry.register(c));
        }
        #[cfg(target_os = "linux")]
        must(registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        )));
        Metrics {
            registry,
            poll_duration,
            poll_errors,
            polls,
            node_health,
            node_resource,
            node_earnings,
            samples_written,
            cycle_step_duration,
            cycles,
            decisions,
            ml_up,
            automation_paused,
            api_request_duration,
            node_allocation,
            applies,
            rollbacks,
            ml_request_duration,
            forecast_error,
            alerts_opened,
            alerts_cleared,
            alerts_open,
            alert_notifications,
            task_restarts,
            machine_info,
            node_earnings_fiat,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "Could not encode metrics.");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prefixed_metrics() {
        let m = Metrics::new();
        m.polls.with_label_values(&["storj", "main"]).inc();
        m.ml_up.set(0);
        let text = m.render();
        assert!(
            text.contains("orcha_adapter_polls_total{node=\"main\",protocol=\"storj\"} 1"),
            "{text}"
        );
        assert!(text.contains("orcha_ml_engine_up 0"));
        m.machine_info.with_label_values(&["box1", "0.1.0"]).set(1);
        m.node_earnings_fiat
            .with_label_values(&["golem", "main", "today", "usd"])
            .set(1.25);
        let text = m.render();
        assert!(
            text.contains("orcha_machine_info{machine=\"box1\",version=\"0.1.0\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "orcha_node_earnings_fiat{fiat=\"usd\",node=\"main\",protocol=\"golem\",window=\"today\"} 1.25"
            ),
            "{text}"
        );
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            assert!(
                line.starts_with("orcha_") || line.starts_with("process_"),
                "unexpected metric: {line}"
            );
        }
    }
}
