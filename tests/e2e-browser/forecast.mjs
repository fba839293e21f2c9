// A real forecast on the Earnings screen, against `orcha serve --demo` with its ML engine.
//
// The demo starts with no history and catches up two simulated days in about two real minutes;
// the engine forecasts a node once it has 24 h of history, and scores its choice in a backtest
// only once there is room for one (about 48 h here). So this waits for the API to report a
// forecast, preferring one with a backtest score (the card's numbers), and settles for the
// short-history baseline if no score comes within SCORE_GRACE_MS of the first forecast. Either
// way the card must show exactly what the API answered the page — nothing here is a fixed number.
import { join } from "node:path";

/** How long the API may take to report any forecast. The first comes about a minute after start. */
const DEADLINE_MS = 180_000;
/** After the first forecast, how long a scored one is waited for (the demo's comes ~60 s later). */
const SCORE_GRACE_MS = 90_000;
/** An engine reported unavailable this long (it starts within seconds) fails at once. */
const ML_DOWN_MS = 45_000;
const POLL_MS = 2_000;
const TIMEOUT = 15_000;

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function api(base, token) {
  return async (path) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return res.json();
  };
}

/** Exact comparison of two money amounts of one token (decimal strings may differ in scale). */
function units(m, decimals) {
  return BigInt(m.base_units) * 10n ** BigInt(decimals - m.decimals);
}

function bandOrdered(points) {
  return points.every((p) => {
    const d = Math.max(p.p10.decimals, p.p50.decimals, p.p90.decimals);
    const [lo, mid, hi] = [units(p.p10, d), units(p.p50, d), units(p.p90, d)];
    return lo <= mid && mid <= hi;
  });
}

/**
 * Polls every node's forecast until one has points (preferring a scored one, see above).
 * Returns `{ forecast, waitedMs }`; throws naming what the API said when none came in time.
 */
async function waitForForecast(get, nodes) {
  const start = Date.now();
  let first = null;
  let firstAt = 0;
  let mlDownSince = null;
  let last = [];
  let ml = null;
  while (Date.now() - start < DEADLINE_MS) {
    last = await Promise.all(nodes.map((n) => get(`/forecast?node=${encodeURIComponent(n)}&hours=24`)));
    const scored = last.find((f) => f.points.length > 0 && f.backtest_mase !== undefined);
    if (scored) return { forecast: scored, waitedMs: Date.now() - start };
    if (!first) {
      first = last.find((f) => f.points.length > 0) ?? null;
      if (first) firstAt = Date.now();
    }
    if (first && Date.now() - firstAt >= SCORE_GRACE_MS)
      return { forecast: last.find((f) => f.node === first.node) ?? first, waitedMs: Date.now() - start };
    ml = (await get("/status")).ml;
    mlDownSince = ml.available ? null : (mlDownSince ?? Date.now());
    assert(
      mlDownSince === null || Date.now() - mlDownSince < ML_DOWN_MS,
      `the ML engine is unavailable: ${ml.detail}`,
    );
    await sleep(POLL_MS);
  }
  if (first) return { forecast: first, waitedMs: Date.now() - start };
  throw new Error(
    `no forecast within ${DEADLINE_MS / 1000} s (ML engine: ${ml?.detail ?? "?"}; ${last
      .map((f) => `${f.node}: ${f.note}`)
      .join("; ")})`,
  );
}

/** The number a figure shows, or NaN; `decimals` is how many it shows after the point. */
function shownNumber(text) {
  const m = /-?\d[\d,]*(?:\.(\d+))?/.exec(text ?? "");
  if (!m) return { value: Number.NaN, decimals: 0 };
  return { value: Number(m[0].replaceAll(",", "")), decimals: m[1]?.length ?? 0 };
}

/** Whether `text` shows `value` to the precision it is printed with. */
function shows(text, value, scale = 1) {
  const { value: shown, decimals } = shownNumber(text);
  return Math.abs(shown - value * scale) <= 0.5 * 10 ** -decimals + 1e-9;
}

/** The text of an element without its nested `.muted` detail line. */
async function ownText(locator) {
  return locator.evaluate((el) =>
    [...el.childNodes]
      .filter((n) => !(n instanceof Element && n.classList.contains("muted")))
      .map((n) => n.textContent)
      .join("")
      .trim(),
  );
}

/** Asserts that the card shows `f` (the answer the page itself received). */
async function assertCardShows(card, f) {
  const model = card.getByTestId("forecast-model");
  const modelName = await ownText(model);
  assert(modelName !== "" && modelName !== "—", `a model name, not "${modelName}"`);
  const modelDetail = (await model.locator(".muted").textContent()) ?? "";
  assert(modelDetail.startsWith(f.model), `the engine's model id ${f.model} in "${modelDetail}"`);

  const mase = card.getByTestId("forecast-mase");
  const maseText = await ownText(mase);
  const maseDetail = (await mase.locator(".muted").textContent()) ?? "";
  if (f.backtest_mase !== undefined) {
    assert(shows(maseText, f.backtest_mase), `MASE ${f.backtest_mase} shown, not "${maseText}"`);
    if (f.seasonal_naive_mase !== undefined)
      assert(
        shows(/seasonal naive (\S+)/.exec(maseDetail)?.[1], f.seasonal_naive_mase),
        `seasonal naive ${f.seasonal_naive_mase} in "${maseDetail}"`,
      );
  } else {
    // The short-history baseline: the engine did not score it, and the card must not pretend.
    assert(maseText === "not scored", `"not scored" without a backtest, not "${maseText}"`);
    assert(f.seasonal_naive_mase === undefined, "no baseline score without a backtest");
  }
  if (f.backtest_origins !== undefined)
    assert(
      maseDetail.includes(`${f.backtest_origins} daily origin`),
      `${f.backtest_origins} origins in "${maseDetail}"`,
    );
  else assert(!maseDetail.includes("origin"), `no origins claimed: "${maseDetail}"`);

  // The engine's own sentence (why a baseline, what the combination holds), shown as it said it.
  const engineNote = card.getByTestId("forecast-engine-note");
  if (f.engine_note)
    assert(
      ((await engineNote.textContent()) ?? "").includes(f.engine_note),
      `the engine's note "${f.engine_note}" on the card`,
    );
  else assert((await engineNote.count()) === 0, "no engine note on the card without one");

  const coverage = await ownText(card.getByTestId("forecast-coverage"));
  if (f.interval_coverage !== undefined)
    assert(
      shows(coverage, Math.round(f.interval_coverage * 100)) && coverage.endsWith("%"),
      `coverage ${f.interval_coverage} shown, not "${coverage}"`,
    );
  else assert(coverage === "not measured", `"not measured" without a coverage, not "${coverage}"`);

  // The band: every hour ordered p10 ≤ p50 ≤ p90, the totals drawn in the same order, the chart.
  assert(f.points.length > 0 && bandOrdered(f.points), "p10 ≤ p50 ≤ p90 in every forecast hour");
  const total = (await card.getByTestId("forecast-card-total").textContent()) ?? "";
  const m = /^Next (\d+) h: about \+(.+), between \+(.+) and \+(.+)\.$/.exec(total.trim());
  assert(m, `the totals sentence, not "${total}"`);
  assert(Number(m[1]) === f.points.length, `${f.points.length} hours in "${total}"`);
  const [p50, p10, p90] = [m[2], m[3], m[4]].map((s) => shownNumber(s.replace("$", "")).value);
  assert(p10 <= p50 && p50 <= p90, `p10 ≤ p50 ≤ p90 in "${total}"`);
  const chart = card.getByTestId("forecast-chart");
  assert((await chart.locator(".forecast-p50 path[d]").count()) > 0, "the p50 line drawn");
  // A band of no width (the engine's p10 = p90 in every hour, e.g. an all-zero baseline) has no
  // area to fill; any wider band must be drawn.
  const wide = f.points.some((p) => Number(p.p90.decimal) > Number(p.p10.decimal));
  if (wide) assert((await chart.locator(".forecast-band path[d]").count()) > 0, "the p10–p90 band drawn");
  return { modelName, maseText, maseDetail, coverage, total: total.trim() };
}

/**
 * Waits for a real forecast, opens it on the Earnings screen and checks the card against the
 * answer the page received. Saves `earnings-forecast.png` (the card) to `out`.
 */
export async function checkRealForecast(page, { base, token, out }) {
  const get = api(base, token);
  const nodes = (await get("/nodes")).map((n) => n.id);
  assert(nodes.length > 0, "demo nodes");
  const { forecast, waitedMs } = await waitForForecast(get, nodes);
  console.log(`note: ${forecast.node}'s forecast after ${(waitedMs / 1000).toFixed(0)} s of waiting`);

  // What the page itself was answered, newest last: a predict step refreshes it every cycle.
  const answers = [];
  const listener = (res) => {
    const url = new URL(res.url());
    if (url.pathname === "/api/v1/forecast" && url.searchParams.get("node") === forecast.node)
      answers.push(res.json().catch(() => null));
  };
  page.on("response", listener);
  try {
    await page.goto(`${base}/#/earnings`, { waitUntil: "domcontentloaded" });
    const picker = page.getByLabel("Node");
    await picker.waitFor({ timeout: TIMEOUT });
    await picker.selectOption(forecast.node);
    const label = (await picker.locator("option:checked").textContent()) ?? "";
    const section = page.locator("section.card").filter({ has: page.getByTestId("forecast-card") });
    await section.waitFor({ timeout: TIMEOUT });
    const title = (await section.locator(".card-title").textContent()) ?? "";
    assert(title.includes(label), `the card is ${label}'s, not "${title}"`);
    await section.getByTestId("forecast-chart").locator("svg").first().waitFor({ timeout: TIMEOUT });
    // A new cycle may land between the answer and the rendering: compare with the newest answer.
    let error = null;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const f = await answers.at(-1);
      try {
        assert(f?.node === forecast.node, "the page asked the API for this node's forecast");
        const shown = await assertCardShows(section, f);
        await section.scrollIntoViewIfNeeded();
        await page.waitForTimeout(400);
        await section.screenshot({ path: join(out, "earnings-forecast.png") });
        const scores =
          f.backtest_mase === undefined
            ? "no backtest (short-history baseline)"
            : `MASE ${f.backtest_mase}, seasonal naive ${f.seasonal_naive_mase}, ${f.backtest_origins} origins`;
        console.log(
          `note: ${f.node}: ${f.model} (${f.series_kind ?? "kind not said"}), ${scores}, coverage ${
            f.interval_coverage ?? "not measured"
          }; the card shows "${shown.modelName}", "${shown.maseText}" (${shown.maseDetail.trim()}), "${
            shown.coverage
          }"; ${shown.total}`,
        );
        return;
      } catch (e) {
        error = e;
        await page.waitForTimeout(1500);
      }
    }
    throw error;
  } catch (e) {
    // What the page showed instead, for whoever reads the failure.
    await page.screenshot({ path: join(out, "earnings-forecast.png"), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    page.off("response", listener);
  }
}
