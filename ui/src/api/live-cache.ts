// Applies one live event to the cached server state, so views update without a refetch.
import type { QueryClient } from "@tanstack/react-query";
import type {
  AlertDto,
  CycleDto,
  DecisionDto,
  EarningsFigureDto,
  EarningsHistoryDto,
  Event,
  MetricValueDto,
  NodeDto,
  SeriesDto,
  StatusDto,
  StepDto,
} from "../bindings";
import { queryKeys } from "./query-keys";

function updateNode(client: QueryClient, id: string, update: (n: NodeDto) => NodeDto) {
  client.setQueryData<NodeDto[]>(queryKeys.nodes, (nodes) =>
    nodes?.map((n) => (n.id === id ? update(n) : n)),
  );
}

export function mergeResources(current: MetricValueDto[], values: MetricValueDto[]): MetricValueDto[] {
  const byMetric = new Map(current.map((v) => [v.metric, v]));
  for (const v of values) byMetric.set(v.metric, v);
  return [...byMetric.values()];
}

export function mergeFigures(
  current: EarningsFigureDto[],
  figures: EarningsFigureDto[],
): EarningsFigureDto[] {
  const key = (f: EarningsFigureDto) => `${f.kind}/${f.amount.token}`;
  const byKey = new Map(current.map((f) => [key(f), f]));
  for (const f of figures) byKey.set(key(f), f);
  return [...byKey.values()];
}

/** Adds a step to a cycle, replacing an earlier record of the same step. */
export function applyStep(cycle: CycleDto | null | undefined, step: StepDto): CycleDto {
  if (!cycle || step.cycle > cycle.id) {
    return { id: step.cycle, started_at: step.at, finished_at: null, steps: [step] };
  }
  if (step.cycle < cycle.id) return cycle;
  const steps = cycle.steps.filter((s) => s.step !== step.step);
  steps.push(step);
  const finished_at = step.step === "monitor" ? step.at : cycle.finished_at;
  return { ...cycle, steps, finished_at };
}

/** Inserts or replaces an alert; the open-only list drops cleared ones. Newest first. */
export function upsertAlert(list: AlertDto[], alert: AlertDto, includeCleared: boolean): AlertDto[] {
  const rest = list.filter((a) => a.id !== alert.id);
  if (!includeCleared && alert.cleared_at) return rest;
  return [alert, ...rest].sort((a, b) => Date.parse(b.opened_at) - Date.parse(a.opened_at));
}

function hoursOf(key: readonly unknown[], index: number): number {
  const v = key[index];
  return typeof v === "number" ? v : 24;
}

const ALLOCATION_STEPS: ReadonlySet<string> = new Set(["evaluate", "apply", "monitor"]);

export function applyEvent(client: QueryClient, event: Event): void {
  switch (event.event) {
    case "sample": {
      const { node, at, values } = event.payload;
      updateNode(client, node, (n) => ({ ...n, resources: mergeResources(n.resources, values) }));
      const ts = Date.parse(at);
      for (const [key, data] of client.getQueriesData<SeriesDto>({ queryKey: queryKeys.seriesAll })) {
        if (!data || key[1] !== node) continue;
        const value = values.find((v) => v.metric === key[2]);
        if (!value) continue;
        const since = ts - hoursOf(key, 3) * 3_600_000;
        const points = data.points.filter((p) => Date.parse(p.ts) >= since && p.ts !== at);
        points.push({ ts: at, value: value.value, min: value.value, max: value.value });
        client.setQueryData<SeriesDto>(key, { ...data, points });
      }
      return;
    }
    case "earnings": {
      const { node, figures } = event.payload;
      updateNode(client, node, (n) => ({ ...n, earnings: mergeFigures(n.earnings, figures) }));
      for (const [key, data] of client.getQueriesData<EarningsHistoryDto>({
        queryKey: queryKeys.earningsAll,
      })) {
        if (!data || key[1] !== node) continue;
        const added = figures
          .filter((f) => f.kind === key[2])
          .filter(
            (f) => !data.points.some((p) => p.at === f.observed_at && p.amount.token === f.amount.token),
          )
          .map((f) => ({ at: f.observed_at, amount: f.amount }));
        if (added.length > 0)
          client.setQueryData<EarningsHistoryDto>(key, { ...data, points: [...data.points, ...added] });
      }
      // Today's, 7- and 30-day totals are summed server-side from the stored readings: ask again.
      void client.invalidateQueries({ queryKey: queryKeys.earningsTotals });
      return;
    }
    case "health": {
      const { node, health } = event.payload;
      updateNode(client, node, (n) => ({ ...n, health }));
      // The status counts are derived server-side; ask again rather than recount here.
      void client.invalidateQueries({ queryKey: queryKeys.status });
      return;
    }
    case "poll-failed": {
      const { node, error_kind, message, at } = event.payload;
      updateNode(client, node, (n) => ({
        ...n,
        last_poll: {
          at,
          ok: false,
          error_kind,
          error: message,
          consecutive_failures: n.last_poll && !n.last_poll.ok ? n.last_poll.consecutive_failures + 1 : 1,
        },
      }));
      return;
    }
    case "cycle-step": {
      const step = event.payload;
      client.setQueryData<CycleDto | null>(queryKeys.latestCycle, (c) => applyStep(c, step));
      client.setQueryData<StatusDto>(
        queryKeys.status,
        (s) => s && { ...s, last_cycle: applyStep(s.last_cycle, step) },
      );
      if (step.step === "monitor") void client.invalidateQueries({ queryKey: queryKeys.status });
      // A new plan (evaluate) or changed knobs (apply) change the allocation view.
      if (ALLOCATION_STEPS.has(step.step)) void client.invalidateQueries({ queryKey: queryKeys.allocation });
      if (step.step === "predict") void client.invalidateQueries({ queryKey: queryKeys.forecastAll });
      return;
    }
    case "ml-status": {
      client.setQueryData<StatusDto>(queryKeys.status, (s) => s && { ...s, ml: event.payload });
      return;
    }
    case "automation": {
      client.setQueryData<StatusDto>(queryKeys.status, (s) => s && { ...s, paused: event.payload.paused });
      void client.invalidateQueries({ queryKey: queryKeys.allocation });
      return;
    }
    case "decision": {
      const decision = event.payload;
      for (const [key, data] of client.getQueriesData<DecisionDto[]>({ queryKey: queryKeys.decisionsAll })) {
        if (!data) continue;
        const limit = typeof key[1] === "number" ? key[1] : data.length + 1;
        const next = [decision, ...data.filter((d) => d.id !== decision.id)].slice(0, limit);
        client.setQueryData<DecisionDto[]>(key, next);
      }
      void client.invalidateQueries({ queryKey: queryKeys.allocation });
      return;
    }
    case "alert": {
      const alert = event.payload;
      for (const [key, data] of client.getQueriesData<AlertDto[]>({ queryKey: queryKeys.alertsAll })) {
        if (!data) continue;
        client.setQueryData<AlertDto[]>(key, upsertAlert(data, alert, key[1] === true));
      }
      return;
    }
    case "money-scan": {
      // #20: the Payouts card draws its bar from this; new rows are read once the scan ends.
      client.setQueryData(queryKeys.moneyScan, event.payload);
      if (event.payload.finished) void client.invalidateQueries({ queryKey: queryKeys.payouts });
      return;
    }
  }
}
