//! The TypeScript bindings of every DTO, generated in one stable order.

use ts_rs::TS;

use super::*;

/// The TypeScript declarations of every DTO, in a stable order, as committed in
/// `ui/src/bindings.ts`.
pub fn typescript_bindings() -> String {
    let decls = [
        ErrorCode::decl(),
        ApiError::decl(),
        MoneyDto::decl(),
        HealthState::decl(),
        HealthDto::decl(),
        EarningsFigureDto::decl(),
        MetricValueDto::decl(),
        CapabilityDto::decl(),
        PollDto::decl(),
        NodeDto::decl(),
        MlStatusDto::decl(),
        StepDto::decl(),
        CycleDto::decl(),
        StatusDto::decl(),
        PointDto::decl(),
        SeriesDto::decl(),
        SeriesQuery::decl(),
        EarningsHistoryQuery::decl(),
        EarningsPointDto::decl(),
        EarningsHistoryDto::decl(),
        DecisionDto::decl(),
        AppliedResultDto::decl(),
        NodeApplyDto::decl(),
        RollbackDto::decl(),
        AlertDto::decl(),
        AlertQuery::decl(),
        AlertChannelDto::decl(),
        AlertNotificationDto::decl(),
        SecretStatusDto::decl(),
        SetSecretRequest::decl(),
        PauseRequest::decl(),
        SampleEventDto::decl(),
        EarningsEventDto::decl(),
        HealthEventDto::decl(),
        PollFailedEventDto::decl(),
        AutomationEventDto::decl(),
        ResourceAmountDto::decl(),
        NodeAllocationDto::decl(),
        AllocationDto::decl(),
        ApprovePlanRequest::decl(),
        ApplyResultDto::decl(),
        AutoApplyRequest::decl(),
        NodeAmountsDto::decl(),
        WhatIfRequest::decl(),
        WhatIfDto::decl(),
        NodeEndpointDto::decl(),
        UrlSettingDto::decl(),
        ProtocolSettingsDto::decl(),
        BudgetSettingsDto::decl(),
        IntervalSettingsDto::decl(),
        BackupSettingsDto::decl(),
        AlertSettingsDto::decl(),
        SettingsValuesDto::decl(),
        SettingsDto::decl(),
        SettingsSavedDto::decl(),
        PriceFreshness::decl(),
        PriceDto::decl(),
        PricesDto::decl(),
        FiatAmountDto::decl(),
        WindowEarningsDto::decl(),
        NodeEarningsTotalsDto::decl(),
        OverallEarningsDto::decl(),
        EarningsTotalsDto::decl(),
        ForecastQuery::decl(),
        ForecastPointDto::decl(),
        ForecastDto::decl(),
        AuditQuery::decl(),
        AuditRowDto::decl(),
        AuditPageDto::decl(),
        AuditVerdictDto::decl(),
        BackupFileDto::decl(),
        BackupsDto::decl(),
        PayoutsQuery::decl(),
        PayoutDto::decl(),
        PayoutGapDto::decl(),
        PayoutScanDto::decl(),
        ExportQuery::decl(),
        ExportFileDto::decl(),
        FiatHistoryQuery::decl(),
        ProtocolFiatDto::decl(),
        FiatBucketDto::decl(),
        FiatHistoryDto::decl(),
        MoneyScanEventDto::decl(),
        Event::decl(),
    ];
    let decls = decls.into_iter().chain(super::curves::decls());
    // The fleet view's DTOs live with the fleet client (`orcha-fleet`), which has no API types.
    let decls: Vec<String> = decls
        .into_iter()
        .chain(orcha_fleet::dto::typescript_decls())
        .chain(super::usage::usage_typescript_decls())
        .collect();
    let mut out = String::from(
        "// Generated from the Rust DTOs in crates/orcha-api/src/dto.rs. Do not edit by hand:\n// run `UPDATE_BINDINGS=1 cargo test -p orcha-api --test bindings` to regenerate.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
