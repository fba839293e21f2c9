//! The one table of API operations: every front door and every generated artefact reads it.
//!
//! `for_each_operation!(my_macro)` calls `my_macro!` with the whole table. From it
//! `orcha-server` builds its `/api/v1` routes, `src-tauri` its `#[tauri::command]` fns and
//! `generate_handler!` list, and this module [`OPERATIONS`], which the TypeScript
//! (`ui/src/api/operations.ts`) and the OpenAPI document (`docs/openapi.json`) are generated from.
//!
//! The table's grammar, one entry per operation:
//!
//! ```text
//! /// Doc comment (shown in TypeScript and OpenAPI).
//! name(kind arg: Type [= default]) -> Response, METHOD "/path" => ops_call(state, arg);
//! ```
//!
//! `kind` says where the one argument travels over HTTP (over Tauri it is always the command
//! argument `arg`): `query` (a DTO from the query string), `body` (a JSON body), `path` (the
//! `{arg}` path segment) or `param` (one query value with a default). The table names the state
//! binding once (`state = state;`) because macro hygiene would otherwise hide it from the calls;
//! likewise the `Actor` of the front door (`actor = actor;`), which every operation that changes
//! state records in the audit log: an expansion binds it (`let actor = Actor::Api;` in
//! `orcha-server`, `Actor::Desktop` in `src-tauri`).
//! Types are written bare: an expansion site has `orcha_api::dto::*` and `orcha_api::ops` in scope.
//!
//! Not in the table, on purpose: the event stream (a WebSocket over HTTP, Tauri events on the
//! desktop, both fed by `AppState::subscribe`), `switch_demo` and `restart_app` (desktop-only,
//! they restart the process), and the server's own `/health`, `/metrics` and `openapi.json`.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use ts_rs::TS;

use crate::dto::*;

/// Calls `$m! { state = state; actor = actor; entries… }` with every API operation (see the module docs).
#[macro_export]
macro_rules! for_each_operation {
    ($m:ident) => {
        $m! {
            state = state;
            actor = actor;
            /// The overview: node counts, the ML engine, automation and the next cycle.
            status() -> StatusDto, GET "/status" => ops::status(state);
            /// Every configured node with its last poll, health and capabilities.
            nodes() -> Vec<NodeDto>, GET "/nodes" => ops::nodes(state);
            /// One metric of one node over a time range, at a resolution fitting the range.
            series(query q: SeriesQuery) -> SeriesDto, GET "/series" => ops::series(state, q);
            /// One node's earnings readings of one kind over a time range.
            earnings_history(query q: EarningsHistoryQuery) -> EarningsHistoryDto,
                GET "/earnings/history" => ops::earnings_history(state, q);
            /// Earned today (since 00:00 UTC), over 7 and 30 days, per node and overall, in tokens and fiat.
            earnings_totals() -> EarningsTotalsDto, GET "/earnings/totals" => ops::earnings_totals(state);
            /// Every price the app knows (fresh, stale or none), with its source and time.
            prices() -> PricesDto, GET "/prices" => ops::prices(state);
            /// The newest decisions, newest first.
            decisions(param limit: u32 = 100) -> Vec<DecisionDto>, GET "/decisions" => ops::decisions(state, limit);
            /// The newest optimization cycle with its steps, if any ran.
            latest_cycle() -> Option<CycleDto>, GET "/cycles/latest" => ops::latest_cycle(state);
            /// Open alerts, and cleared ones when asked.
            alerts(query q: AlertQuery) -> Vec<AlertDto>, GET "/alerts" => ops::alerts(state, q);
            /// Marks an alert as seen; it stays open until its condition clears.
            acknowledge_alert(path id: i64) -> (), POST "/alerts/{id}/ack" => ops::acknowledge_alert(state, id, actor);
            /// Every notification channel: configured or not, and how its last send went.
            alert_channels() -> Vec<AlertChannelDto>, GET "/alerts/channels" => ops::alert_channels(state);
            /// Sends a test alert to every configured channel; answers each channel's result.
            send_test_alert() -> Vec<AlertChannelDto>, POST "/alerts/test" => ops::send_test_alert(state, actor);
            /// Whether an alert channel's credential is stored (never the credential).
            alert_secret_status(path key: String) -> SecretStatusDto,
                GET "/alerts/secrets/{key}" => ops::alert_secret_status(state, key);
            /// Stores an alert channel's credential in the keyring.
            set_alert_secret(body req: SetSecretRequest) -> SecretStatusDto,
                PUT "/alerts/secrets" => ops::set_alert_secret(state, req, actor);
            /// Removes an alert channel's credential from the keyring.
            delete_alert_secret(path key: String) -> SecretStatusDto,
                DELETE "/alerts/secrets/{key}" => ops::delete_alert_secret(state, key, actor);
            /// The editable settings as saved, and which of them wait for a restart.
            settings() -> SettingsDto, GET "/settings" => ops::settings(state);
            /// Checks and saves the settings into the config file; says what took effect and what waits.
            update_settings(body req: SettingsValuesDto) -> SettingsSavedDto,
                PUT "/settings" => ops::update_settings(state, req, actor);
            /// Starts an optimization cycle now instead of at the next interval.
            run_cycle_now() -> (), POST "/cycle" => ops::run_cycle_now(state, actor);
            /// Pauses or resumes automation (audited before it takes effect).
            set_paused(body req: PauseRequest) -> StatusDto, PUT "/automation" => ops::set_paused(state, req, actor);
            /// Current vs proposed allocation per node, from the newest plan.
            allocation() -> AllocationDto, GET "/allocation" => ops::allocation(state);
            /// Applies a recommended (dry-run) plan now, through the nodes' enforcement backends.
            approve_plan(body req: ApprovePlanRequest) -> ApplyResultDto,
                POST "/allocation/approve" => ops::approve_plan(state, req, actor);
            /// Opts one node in or out of automatic apply (audited before it takes effect).
            set_auto_apply(body req: AutoApplyRequest) -> AutoApplyRequest,
                PUT "/allocation/auto-apply" => ops::set_auto_apply(state, req, actor);
            /// Values an edited allocation without applying anything.
            what_if(body req: WhatIfRequest) -> WhatIfDto, POST "/allocation/what-if" => ops::what_if(state, req);
            /// The optimizer's belief: per node and resource the fitted response and what one more
            /// unit earns per hour, with its p10–p90 range.
            response_curves() -> ResponseCurvesDto, GET "/allocation/curves" => ops::response_curves(state);
            /// Whether a node's credential is stored (never the credential).
            secret_status(path key: String) -> SecretStatusDto, GET "/secrets/{key}" => ops::secret_status(state, key);
            /// Stores a node's credential in the keyring.
            set_secret(body req: SetSecretRequest) -> SecretStatusDto, PUT "/secrets" => ops::set_secret(state, req, actor);
            /// Removes a node's credential from the keyring.
            delete_secret(path key: String) -> SecretStatusDto,
                DELETE "/secrets/{key}" => ops::delete_secret(state, key, actor);
            /// The newest stored earnings forecast of one node (hourly p10/p50/p90, an estimate).
            forecast(query q: ForecastQuery) -> ForecastDto,
                GET "/forecast" => ops::forecast(state, &q.node, q.hours);
            /// The audit log: every change with who made it (desktop, api, cli, orchestrator), newest first.
            audit_log(query q: AuditQuery) -> AuditPageDto, GET "/audit" => ops::audit_log(state, q);
            /// Recomputes the audit log's hash chain: intact, or the first edited or deleted row.
            audit_verify() -> AuditVerdictDto, GET "/audit/verify" => ops::audit_verify(state);
            /// Every machine the fleet's Prometheus scrapes: up or down, nodes, earnings, alerts.
            fleet() -> FleetDto, GET "/fleet" => ops::fleet(state);
            // #16 safe by default: scheduled backups.
            /// The encrypted backups (newest first), where they go and the schedule.
            backups() -> BackupsDto, GET "/backups" => ops::backups(state);
            /// Makes an encrypted backup now and prunes beyond the retention; audited.
            run_backup() -> BackupFileDto, POST "/backups" => ops::run_backup(state, actor);
            // #19: finding the nodes on this machine (a read-only proposal; accepted through
            // `update_settings`).
            /// The nodes found on this machine (ports, processes, units, containers): a proposal, nothing saved, no secret read.
            detect_nodes() -> DetectionDto, GET "/nodes/detect" => ops::detect_nodes(state);
            // #20 the operator's money.
            /// Payouts, hold-backs and releases the nodes recorded, newest first.
            payouts(query q: PayoutsQuery) -> Vec<PayoutDto>, GET "/payouts" => ops::payouts(state, q);
            /// Reads every node's payout record now and stores what is new (idempotent).
            scan_payouts() -> PayoutScanDto, POST "/payouts/scan" => ops::scan_payouts(state);
            /// Earnings and payouts of a date range, valued at prices of their own time, as a file.
            export_earnings(query q: ExportQuery) -> ExportFileDto,
                GET "/export" => ops::export_earnings(state, q);
            /// Earned per protocol and day, week or month, in fiat at the price of each day.
            fiat_history(query q: FiatHistoryQuery) -> FiatHistoryDto,
                GET "/earnings/fiat-history" => ops::fiat_history(state, q);
        }
    };
}

/// One operation as the code generators see it.
#[derive(Debug, Clone, Copy)]
pub struct OperationSpec {
    /// The Tauri command name (snake case); TypeScript calls the method by its camel-case form.
    pub name: &'static str,
    /// The table entry's doc comment, one line per `///` line.
    pub doc: &'static str,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// Under `/api/v1`, with `{arg}` for a path argument.
    pub path: &'static str,
    pub input: Input,
    pub response: TypeSpec,
}

/// Where an operation's one argument (if any) travels over HTTP.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    None,
    /// Every field of the DTO is a query value.
    Query {
        arg: &'static str,
        ty: TypeSpec,
    },
    /// A JSON body.
    Body {
        arg: &'static str,
        ty: TypeSpec,
    },
    /// The `{arg}` path segment.
    Path {
        arg: &'static str,
        ty: TypeSpec,
    },
    /// One optional query value named `arg`.
    Param {
        arg: &'static str,
        ty: TypeSpec,
        default: fn() -> serde_json::Value,
    },
}

impl Input {
    /// The argument's name and type, when there is one.
    pub fn arg(&self) -> Option<(&'static str, TypeSpec)> {
        match *self {
            Input::None => None,
            Input::Query { arg, ty }
            | Input::Body { arg, ty }
            | Input::Path { arg, ty }
            | Input::Param { arg, ty, .. } => Some((arg, ty)),
        }
    }

    /// The kind's name as the table and the generated TypeScript spell it.
    pub fn kind(&self) -> &'static str {
        match self {
            Input::None => "none",
            Input::Query { .. } => "query",
            Input::Body { .. } => "body",
            Input::Path { .. } => "path",
            Input::Param { .. } => "param",
        }
    }
}

/// A Rust type as TypeScript (from ts-rs) and as JSON Schema (from schemars) name it.
#[derive(Debug, Clone, Copy)]
pub struct TypeSpec {
    pub typescript: fn() -> String,
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

impl TypeSpec {
    pub const fn of<T: TS + JsonSchema>() -> Self {
        TypeSpec {
            typescript: typescript_name::<T>,
            schema: subschema::<T>,
        }
    }
}

fn subschema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The TypeScript name of `T`; integers are `number` because serde_json writes them as numbers
/// (ts-rs would say `bigint` for 64-bit ones), and "no answer" is `void`.
fn typescript_name<T: TS>() -> String {
    let name = T::name();
    match name.as_str() {
        "bigint" => "number".to_owned(),
        "null" => "void".to_owned(),
        // `Array<NodeDto>` as the dashboard's code writes it.
        other => match other
            .strip_prefix("Array<")
            .and_then(|s| s.strip_suffix('>'))
        {
            Some(item) if item.chars().all(char::is_alphanumeric) => format!("{item}[]"),
            _ => name,
        },
    }
}

macro_rules! operation_specs {
    (state = $st:ident; actor = $ac:ident; $(
        $(#[doc = $doc:literal])*
        $name:ident ( $($kind:ident $arg:ident : $argty:ty $(= $default:expr)?)? ) -> $resp:ty,
        $method:ident $path:literal => $call:expr;
    )*) => {
        /// Every operation of the table, in table order.
        pub const OPERATIONS: &[OperationSpec] = &[$(OperationSpec {
            name: stringify!($name),
            doc: concat!($($doc, "\n",)*),
            method: stringify!($method),
            path: $path,
            input: operation_specs!(@input $($kind $arg : $argty $(= $default)?)?),
            response: TypeSpec::of::<$resp>(),
        },)*];
    };
    (@input) => { Input::None };
    (@input query $arg:ident : $ty:ty) => {
        Input::Query { arg: stringify!($arg), ty: TypeSpec::of::<$ty>() }
    };
    (@input body $arg:ident : $ty:ty) => {
        Input::Body { arg: stringify!($arg), ty: TypeSpec::of::<$ty>() }
    };
    (@input path $arg:ident : $ty:ty) => {
        Input::Path { arg: stringify!($arg), ty: TypeSpec::of::<$ty>() }
    };
    (@input param $arg:ident : $ty:ty = $default:expr) => {
        Input::Param {
            arg: stringify!($arg),
            ty: TypeSpec::of::<$ty>(),
            default: || serde_json::json!($default),
        }
    };
}

for_each_operation!(operation_specs);

/// `snake_case` → `camelCase`, the TypeScript method name of an operation.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `ui/src/api/operations.ts`: the operations as data (for both `Backend` implementations) and
/// as types (for the `Backend` interface).
pub fn typescript_operations() -> String {
    let mut types = std::collections::BTreeSet::new();
    let mut data = String::new();
    let mut signatures = String::new();
    for op in OPERATIONS {
        let method = camel_case(op.name);
        let response = (op.response.typescript)();
        collect_type_names(&response, &mut types);
        let (input, params) = match op.input.arg() {
            None => (r#"{ kind: "none" }"#.to_owned(), String::new()),
            Some((arg, ty)) => {
                let ts = (ty.typescript)();
                collect_type_names(&ts, &mut types);
                (
                    format!(r#"{{ kind: "{}", arg: "{arg}" }}"#, op.input.kind()),
                    format!("{arg}: {ts}"),
                )
            }
        };
        // Expanded objects and one import per line: the layout biome keeps as it is.
        data.push_str(&format!(
            "  {method}: {{\n    command: \"{}\",\n    method: \"{}\",\n    path: \"{}\",\n    input: {input},\n    response: \"{response}\",\n  }},\n",
            op.name, op.method, op.path
        ));
        let doc: Vec<&str> = op.doc.lines().map(str::trim).collect();
        if !doc.is_empty() {
            signatures.push_str(&format!("  /** {} */\n", doc.join(" ")));
        }
        signatures.push_str(&format!("  {method}({params}): Promise<{response}>;\n"));
    }
    let imports: String = types.into_iter().map(|t| format!("  {t},\n")).collect();
    format!(
        "// Generated from the operation table (crates/orcha-api/src/operations.rs) by\n\
         // `UPDATE_BINDINGS=1 cargo test -p orcha-api --lib operations`. Do not edit.\n\
         import type {{\n{}}} from \"../bindings\";\n\n\
         /** How each operation travels: the Tauri command, and the REST route under `/api/v1`. */\n\
         export const OPERATIONS = {{\n{data}}} as const;\n\n\
         export type OperationName = keyof typeof OPERATIONS;\n\n\
         /** One method per operation, with the DTOs of `bindings.ts`. */\n\
         export interface OperationMethods {{\n{signatures}}}\n",
        imports
    )
}

/// The `bindings.ts` type names inside a TypeScript type expression such as `Array<NodeDto>`.
fn collect_type_names(ts: &str, into: &mut std::collections::BTreeSet<String>) {
    for word in ts.split(|c: char| !c.is_alphanumeric() && c != '_') {
        if word.starts_with(|c: char| c.is_ascii_uppercase()) && word != "Array" {
            into.insert(word.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn typescript_operations_are_current() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../ui/src/api/operations.ts");
        let generated = typescript_operations();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).expect("write operations.ts");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "ui/src/api/operations.ts is out of date with the operation table; run `UPDATE_BINDINGS=1 cargo test -p orcha-api --lib operations` and commit the result"
        );
    }

    #[test]
    fn names_and_routes_are_unique_and_path_arguments_appear_in_their_path() {
        let mut seen = std::collections::BTreeSet::new();
        for op in OPERATIONS {
            assert!(seen.insert(op.name), "{} twice", op.name);
            assert!(
                seen.insert(Box::leak(
                    format!("{} {}", op.method, op.path).into_boxed_str()
                )),
                "{} {} twice",
                op.method,
                op.path
            );
            if let Input::Path { arg, .. } = op.input {
                assert!(op.path.contains(&format!("{{{arg}}}")), "{}", op.name);
            } else {
                assert!(!op.path.contains('{'), "{}", op.name);
            }
        }
        assert_eq!(camel_case("earnings_history"), "earningsHistory");
    }
}
