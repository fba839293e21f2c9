//! Versioned schema migrations, applied in order and tracked in `PRAGMA user_version`.
//!
//! A migration is never edited once released; changes are new entries at the end.

/// Each entry moves the schema from version `index` to `index + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE nodes (
        id          TEXT PRIMARY KEY,          -- "storj:main"
        protocol    TEXT NOT NULL,
        first_seen  INTEGER NOT NULL           -- unix ms
    ) STRICT;

    -- Raw resource samples. Money never goes here (see earnings).
    CREATE TABLE samples (
        node    TEXT NOT NULL,
        metric  TEXT NOT NULL,
        ts      INTEGER NOT NULL,              -- unix ms
        value   REAL NOT NULL
    ) STRICT;
    CREATE INDEX samples_node_metric_ts ON samples (node, metric, ts);
    CREATE INDEX samples_ts ON samples (ts);

    -- Rollups: one row per node, metric and bucket start.
    CREATE TABLE samples_1m (
        node TEXT NOT NULL, metric TEXT NOT NULL, bucket INTEGER NOT NULL,
        min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (node, metric, bucket)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE samples_1h (
        node TEXT NOT NULL, metric TEXT NOT NULL, bucket INTEGER NOT NULL,
        min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (node, metric, bucket)
    ) STRICT, WITHOUT ROWID;
    -- How far raw samples have been rolled up, per resolution.
    CREATE TABLE rollup_watermark (
        resolution TEXT PRIMARY KEY,
        upto       INTEGER NOT NULL
    ) STRICT;

    -- Exact earnings observations: amount is an integer in base units, stored as text because
    -- it can exceed 64 bits (18-decimal tokens).
    CREATE TABLE earnings (
        node        TEXT NOT NULL,
        kind        TEXT NOT NULL,
        token       TEXT NOT NULL,
        amount      TEXT NOT NULL,
        decimals    INTEGER NOT NULL,
        observed_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX earnings_node_kind_ts ON earnings (node, kind, observed_at);

    -- Prices used for fiat conversions; value is a decimal string.
    CREATE TABLE prices (
        token       TEXT NOT NULL,
        fiat        TEXT NOT NULL,
        value       TEXT NOT NULL,
        source      TEXT NOT NULL,
        observed_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX prices_token_fiat_ts ON prices (token, fiat, observed_at);

    CREATE TABLE health (
        node    TEXT NOT NULL,
        ts      INTEGER NOT NULL,
        state   TEXT NOT NULL,
        reasons TEXT NOT NULL                  -- JSON array of sentences
    ) STRICT;
    CREATE INDEX health_node_ts ON health (node, ts);

    CREATE TABLE cycles (
        id          INTEGER PRIMARY KEY,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER
    ) STRICT;
    CREATE TABLE cycle_steps (
        cycle       INTEGER NOT NULL REFERENCES cycles (id),
        step        TEXT NOT NULL,
        status      TEXT NOT NULL,             -- done | skipped | failed
        detail      TEXT NOT NULL,
        finished_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE decisions (
        id              INTEGER PRIMARY KEY,
        cycle           INTEGER REFERENCES cycles (id),
        created_at      INTEGER NOT NULL,
        forecast_digest TEXT,                  -- JSON summary of the forecast used
        proposed_plan   TEXT,                  -- JSON allocation per node
        expected_gain   TEXT,                  -- decimal string, fiat over the horizon
        switching_cost  TEXT,                  -- decimal string, fiat
        verdict         TEXT NOT NULL,         -- apply | skip | recommend
        reason          TEXT NOT NULL,
        applied_result  TEXT,                  -- JSON
        rollback        TEXT                   -- JSON, when a rollback happened
    ) STRICT;

    CREATE TABLE alerts (
        id              INTEGER PRIMARY KEY,
        node            TEXT,
        rule            TEXT NOT NULL,
        severity        TEXT NOT NULL,
        message         TEXT NOT NULL,
        opened_at       INTEGER NOT NULL,
        cleared_at      INTEGER,
        acknowledged_at INTEGER
    ) STRICT;
    CREATE INDEX alerts_open ON alerts (rule, node, cleared_at);

    CREATE TABLE config_audit (
        id        INTEGER PRIMARY KEY,
        at        INTEGER NOT NULL,
        actor     TEXT NOT NULL,
        key       TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT
    ) STRICT;
    "#,
    // 2: forecasts of each node's earnings rate, one row per forecasted hour of a run.
    r#"
    CREATE TABLE forecasts (
        node          TEXT NOT NULL,
        made_at       INTEGER NOT NULL,        -- unix ms, when the run was made
        target        INTEGER NOT NULL,        -- unix ms, start of the forecasted hour
        token         TEXT NOT NULL,           -- the node's earnings token
        decimals      INTEGER NOT NULL,
        p10           TEXT NOT NULL,           -- base units per hour, integer as text
        p50           TEXT NOT NULL,
        p90           TEXT NOT NULL,
        model         TEXT NOT NULL,           -- the model the engine chose (lstm, ets, ...)
        model_version TEXT,                    -- saved LSTM version, or the engine's version
        PRIMARY KEY (node, made_at, target)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX forecasts_made_at ON forecasts (made_at);
    "#,
    // 3: the audit log is hash-chained (each row's hash covers the previous row's hash), so an
    // edit or a deletion inside the log shows. Rows written before this migration are sealed at
    // the next open, in id order.
    r#"
    ALTER TABLE config_audit ADD COLUMN hash TEXT;
    "#,
    // 4: the apply journal: a row is written before an apply touches any node and closed after
    // the read-back, so an apply cut short by a crash is found (state `started`) and rolled back
    // to `previous` at the next start.
    r#"
    CREATE TABLE apply_journal (
        id          INTEGER PRIMARY KEY,
        decision_id INTEGER,
        actor       TEXT NOT NULL,
        plan        TEXT NOT NULL,             -- JSON: node -> amounts being written
        previous    TEXT NOT NULL,             -- JSON: node -> amounts before, restored on rollback
        state       TEXT NOT NULL,             -- started | done | rolled_back | reconciled
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        detail      TEXT
    ) STRICT;
    CREATE INDEX apply_journal_state ON apply_journal (state);
    "#,
    // 5 (#17): what the engine said about each forecast run as a whole: the series kind, the
    // chosen model's backtest MASE, the best seasonal naive's, and the interval coverage in the
    // backtest. Scores, not amounts, so REAL is right here.
    r#"
    CREATE TABLE forecast_runs (
        node                TEXT NOT NULL,
        made_at             INTEGER NOT NULL,  -- unix ms, the run's made_at in forecasts
        series_kind         TEXT,              -- rate | cumulative, as the engine treated it
        backtest_mase       REAL,
        seasonal_naive_mase REAL,              -- the better of seasonal naive 24 h and 168 h
        interval_coverage   REAL,              -- share of backtest outcomes inside p10..p90
        backtest_origins    INTEGER,
        PRIMARY KEY (node, made_at)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 6 (#20 money): payouts as events, one row per key from the node's own record (a Storj
    // paystub's satellite, period and kind; a Golem payment id), so a second read adds nothing.
    r#"
    CREATE TABLE payouts (
        node        TEXT NOT NULL,
        key         TEXT NOT NULL,
        kind        TEXT NOT NULL,             -- payout | held | released
        token       TEXT NOT NULL,
        amount      TEXT NOT NULL,             -- base units, integer as text
        decimals    INTEGER NOT NULL,
        at          INTEGER NOT NULL,          -- unix ms, when the money moved
        reference   TEXT,                      -- tx hash, receipt or paystub period
        detail      TEXT NOT NULL,
        detected_at INTEGER NOT NULL,
        PRIMARY KEY (node, key)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX payouts_at ON payouts (at);
    "#,
    // 7 (#20 money): what a node's own record says it earned per past period (Storj paystubs,
    // Streamr daily buckets), the backfill of history from before Orcha watched the node.
    r#"
    CREATE TABLE earned_periods (
        node        TEXT NOT NULL,
        key         TEXT NOT NULL,
        start       INTEGER NOT NULL,          -- unix ms
        end_at      INTEGER NOT NULL,          -- unix ms, exclusive
        token       TEXT NOT NULL,
        amount      TEXT NOT NULL,             -- base units, integer as text
        decimals    INTEGER NOT NULL,
        source      TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (node, key)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 8 (#17): the engine's own sentence about each run (why a baseline, which models the
    // combination holds and on how many origins it was chosen), so the card can say why.
    r#"
    ALTER TABLE forecast_runs ADD COLUMN engine_note TEXT;
    "#,
];
