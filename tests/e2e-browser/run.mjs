// Browser end-to-end check of the dashboard: opens every screen in headless Chromium, saves a
// screenshot to test-artifacts/screens/<screen>.png and asserts the key elements.
//
//   ORCHA_URL=http://127.0.0.1:7373 npm run e2e      against a running `orcha serve [--demo]`
//   E2E_FIXTURES=1 ORCHA_URL=http://127.0.0.1:4173 npm run e2e
//                                                   against `vite preview`, with the API answered
//                                                   from fixtures.mjs (and one live WebSocket event)
//
// Against `orcha serve`, ORCHA_LOGIN_URL (the one-time link it prints) logs the browser in with
// its HttpOnly session cookie, and ORCHA_API_TOKEN lets this script ask the API directly (as a
// header, never in a URL).
// Without fixtures and without a reachable API, it checks the designed error state instead.
// Against the demo, it then waits (up to 3 minutes) for the ML engine's first real forecast and
// checks the Earnings screen's forecast card against it (forecast.mjs).
// Prints `N passed, M failed` last; exits non-zero on any failure.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { answer, makeWorld } from "./fixtures.mjs";
import { checkRealForecast } from "./forecast.mjs";

const BASE = (process.env.ORCHA_URL ?? "http://127.0.0.1:4173").replace(/\/$/, "");
const FIXTURES = process.env.E2E_FIXTURES === "1";
const OUT = join(process.cwd(), "test-artifacts", "screens");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TIMEOUT = 15_000;
const LOGIN_URL = process.env.ORCHA_LOGIN_URL ?? "";
const TOKEN = process.env.ORCHA_API_TOKEN ?? "";

let passed = 0;
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function probeApi() {
  if (FIXTURES) return { mode: "fixtures", status: makeWorld().status };
  try {
    const res = await fetch(`${BASE}/api/v1/status`, {
      headers: TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {},
      signal: AbortSignal.timeout(5000),
    });
    const type = res.headers.get("content-type") ?? "";
    if (res.ok && type.includes("json")) return { mode: "live", status: await res.json() };
  } catch {
    // Not reachable: the UI must show its error state.
  }
  return { mode: "offline", status: null };
}

async function installFixtures(page, world) {
  await page.route(/\/api\/v1\/(?!events)/, async (route) => {
    const req = route.request();
    const url = req.url();
    let requestBody = null;
    try {
      requestBody = req.postDataJSON();
    } catch {
      // Not JSON; the fixtures answer without a body.
    }
    let [status, body] = answer(world, req.method(), url, requestBody);
    if (req.method() === "PUT" && url.endsWith("/api/v1/secrets")) {
      const { key, value } = req.postDataJSON();
      if (typeof value !== "string" || value.trim() === "") {
        [status, body] = [400, { code: "bad_request", message: "the credential is empty", field: "value" }];
      } else {
        world.secrets.set(key, true);
        [status, body] = [200, { key, stored: true }];
      }
    }
    if (req.method() === "PUT" && url.endsWith("/api/v1/automation")) {
      world.status.paused = req.postDataJSON().paused;
      body = world.status;
    }
    await route.fulfill({ status, contentType: "application/json", body: JSON.stringify(body) });
  });
  const sockets = [];
  await page.routeWebSocket(/\/api\/v1\/events/, (ws) => {
    sockets.push(ws);
  });
  return sockets;
}

async function shot(page, screen) {
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(OUT, `${screen}.png`), fullPage: true });
}

async function open(page, screen) {
  await page.goto(`${BASE}/#/${screen}`, { waitUntil: "domcontentloaded" });
  await page.locator(".page-header h1").first().waitFor({ timeout: TIMEOUT });
  // Wait until no loading spinner is left (or give up and let the assertions speak).
  await page
    .locator(".state-loading")
    .first()
    .waitFor({ state: "detached", timeout: TIMEOUT })
    .catch(() => {});
}

async function main() {
  await mkdir(OUT, { recursive: true });
  const { mode, status } = await probeApi();
  const hasNodes = (status?.nodes_total ?? 0) > 0;
  console.log(
    `e2e: ${BASE} (${mode}${status ? `, ${status.nodes_total} nodes${status.demo ? ", demo" : ""}` : ""})`,
  );

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  const world = FIXTURES ? makeWorld() : null;
  const sockets = world ? await installFixtures(page, world) : [];

  try {
    if (LOGIN_URL) {
      await check("the login link sets an HttpOnly, SameSite=Strict session cookie", async () => {
        await page.goto(LOGIN_URL, { waitUntil: "domcontentloaded" });
        assert(new URL(page.url()).pathname === "/", `redirected to the UI, not ${page.url()}`);
        const cookie = (await context.cookies()).find((c) => c.name === "orcha_session");
        assert(cookie, "a session cookie");
        assert(cookie.httpOnly && cookie.sameSite === "Strict", JSON.stringify(cookie));
      });
    }

    await check("overview", async () => {
      await open(page, "overview");
      await shot(page, "overview");
      assert((await page.locator("nav .nav-link").count()) === 7, "the left nav has seven screens");
      if (mode === "offline") {
        assert(await page.getByRole("alert").isVisible(), "an error state when the API is unreachable");
        assert(await page.getByRole("button", { name: "Retry" }).isVisible(), "a retry button");
        return;
      }
      for (const name of ["Nodes", "Next cycle", "ML engine"])
        assert(await page.getByRole("region", { name }).isVisible(), `the ${name} card`);
      if (status.demo) assert(await page.locator(".demo-banner").isVisible(), "the DEMO banner");
      if (hasNodes) assert((await page.locator(".protocol-card").count()) > 0, "protocol cards");
      else assert(await page.getByText("No node connected yet").isVisible(), "the empty state");
      assert((await page.getByTestId("not-available").count()) === 0, "no placeholder cards left");
      if (!hasNodes) return;
      // The demo and the fixtures price their tokens: the Earned card shows a fiat value.
      const earned = page.getByRole("region", { name: "Earned" });
      await earned
        .locator("[data-testid^=earned-] [data-state=valued]")
        .first()
        .waitFor({ timeout: TIMEOUT });
      const fiat = await earned.locator("[data-testid^=earned-] [data-state=valued]").first().textContent();
      assert(/^<?[$€£]?[\d,]+\.\d\d/.test(fiat ?? ""), `a fiat value in the Earned card (got ${fiat})`);
      const forecast = page.getByRole("region", { name: "Earnings forecast" });
      assert(await forecast.isVisible(), "the forecast card");
      await forecast
        .locator("[data-testid=forecast-p50], [data-testid=no-forecast]")
        .first()
        .waitFor({ timeout: TIMEOUT });
      if (FIXTURES) {
        assert(
          await earned.getByTestId("price-assumption").isVisible(),
          "the point value marked as an assumption",
        );
        assert((await earned.getByTestId("stale-price").count()) >= 1, "the stale DATA price marked");
        assert((await forecast.getByTestId("forecast-p50").count()) === 1, "Storj's forecast");
        assert((await forecast.getByTestId("no-forecast").count()) === 3, "no forecast yet for the others");
      }
      await shot(page, "overview");
    });

    await check("earnings", async () => {
      await open(page, "earnings");
      await shot(page, "earnings");
      if (mode === "offline") return assert(await page.getByRole("alert").isVisible(), "the error state");
      if (!hasNodes)
        return assert(await page.getByText("No node connected yet").isVisible(), "the empty state");
      assert(await page.getByText("Lifetime earned, all nodes").isVisible(), "the lifetime totals");
      assert(await page.getByLabel("Node").isVisible(), "the node picker");
      const chartOrEmpty = page.locator(".history figure.chart, .history .state-empty, .state-empty");
      await chartOrEmpty.first().waitFor({ timeout: TIMEOUT });
      if (FIXTURES) {
        await page.locator(".recharts-area-area").first().waitFor({ timeout: TIMEOUT });
        assert(
          (await page.locator("[data-testid=payout-row]").count()) >= 1,
          "a payout marked in the unpaid history",
        );
      }
    });

    await check("allocation", async () => {
      await open(page, "allocation");
      if (mode === "offline") {
        await shot(page, "allocation");
        return assert(await page.getByRole("alert").first().isVisible(), "the error state");
      }
      assert(await page.getByText("Latest cycle").isVisible(), "the latest cycle card");
      assert(await page.getByText("Decision history").isVisible(), "the decision history card");
      assert((await page.getByTestId("not-available").count()) === 0, "no placeholder for the plan tools");
      if (FIXTURES) {
        const plan = page.getByTestId("plan");
        await plan.waitFor({ timeout: TIMEOUT });
        assert((await plan.getAttribute("data-verdict")) === "recommend", "a recommended plan");
        assert((await page.getByTestId("alloc-node").count()) === 4, "one allocation block per node");
        for (const state of ["not-measured", "unreachable", "zero", "no-price"])
          assert((await page.locator(`.alloc-node [data-state=${state}]`).count()) >= 1, `a ${state} value`);
        // What-if: move Golem's CPU and read the expected earnings.
        const cpu = page.getByRole("slider", { name: "CPU for golem:main" });
        await cpu.fill("6000");
        const whatIf = page.getByTestId("what-if-result");
        await whatIf.waitFor({ timeout: TIMEOUT });
        await whatIf.getByTestId("what-if-gain").waitFor({ timeout: TIMEOUT });
        assert(
          (await whatIf.locator("[data-node='grass:laptop'] [data-state=no-price]").count()) === 1,
          "grass shown as no price in the what-if",
        );
        // Auto-apply switch.
        const toggle = page.getByRole("switch", { name: "Auto-apply storj:main" });
        await toggle.check();
        assert(world.allocation.nodes[0].auto_apply === true, "the auto-apply switch reached the API");
        await shot(page, "allocation");
        // Live: a decision from the event stream appears in the history.
        sockets[0]?.send(
          JSON.stringify({
            event: "decision",
            payload: { ...world.decisions[0], id: 99, reason: "Live decision from the event stream" },
          }),
        );
        await page.getByText("Live decision from the event stream").waitFor({ timeout: TIMEOUT });
        // Approve: confirm, then the result per node and the view of the applied plan.
        await plan.getByRole("button", { name: "Approve plan" }).click();
        await plan.getByRole("button", { name: "Apply to 2 nodes now" }).click();
        const result = page.getByTestId("apply-result");
        await result.getByText("Applied", { exact: true }).waitFor({ timeout: TIMEOUT });
        await result.getByTestId("node-result").first().waitFor({ timeout: TIMEOUT });
        assert((await result.locator("[data-outcome=applied]").count()) === 2, "two nodes applied");
        await page.locator("[data-testid=plan][data-verdict=apply]").waitFor({ timeout: TIMEOUT });
        assert(
          (await plan.getByRole("button", { name: "Approve plan" }).count()) === 0,
          "no second approval",
        );
        await shot(page, "allocation-approved");
        return;
      }
      // Live (`orcha serve --demo`): start a cycle, wait for its decision, and approve its plan if
      // the demo proposed one. What the demo really produced is printed either way.
      const nodesBlocks = page.getByTestId("alloc-node");
      await nodesBlocks.first().waitFor({ timeout: TIMEOUT });
      assert((await nodesBlocks.count()) === status.nodes_total, "one allocation block per node");
      // The belief: what one more unit earns on each node, served by /allocation/curves.
      await page.getByTestId("curve-node").first().waitFor({ timeout: TIMEOUT });
      assert(
        (await page.getByTestId("curve-node").count()) === status.nodes_total,
        "one response-curve block per node",
      );
      const decisionsBefore = await page.getByTestId("decision").count();
      await page.getByRole("button", { name: "Run cycle now" }).click();
      await page
        .waitForFunction(
          (n) => document.querySelectorAll("[data-testid=decision]").length > n,
          decisionsBefore,
          { timeout: 45_000 },
        )
        .catch(() => {});
      await page.waitForTimeout(1000);
      const plan = page.getByTestId("plan");
      if ((await plan.count()) === 0) {
        const why =
          (await page
            .getByTestId("latest-reason")
            .textContent()
            .catch(() => null)) ?? "no decision";
        await shot(page, "allocation");
        console.log(`note: the demo proposed no plan, so there is nothing to approve. ${why}`);
        assert(await page.getByText("No plan yet").isVisible(), "the designed no-plan state");
        return;
      }
      await shot(page, "allocation");
      const verdict = await plan.getAttribute("data-verdict");
      console.log(`note: the demo's newest plan is \`${verdict}\``);
      if (verdict !== "recommend") return;
      await plan.getByRole("button", { name: "Approve plan" }).click();
      await plan.getByRole("button", { name: /^Apply to \d+ nodes? now$/ }).click();
      const outcome = page.locator("[data-testid=apply-result], [data-testid=plan] [role=alert]");
      await outcome.first().waitFor({ timeout: TIMEOUT });
      await page.waitForTimeout(1000);
      await shot(page, "allocation-approved");
      const refused = await page.locator("[data-testid=plan] [role=alert]").count();
      if (refused > 0)
        console.log(
          `note: the server refused the approval: ${await page.locator("[data-testid=plan] [role=alert] .state-detail").textContent()}`,
        );
      else await page.locator("[data-testid=plan][data-verdict=apply]").waitFor({ timeout: TIMEOUT });
    });

    await check("nodes", async () => {
      await open(page, "nodes");
      if (mode === "live" && hasNodes) await page.waitForTimeout(1500);
      await page
        .locator(".recharts-area-area")
        .first()
        .waitFor({ timeout: 5000 })
        .catch(() => {});
      await shot(page, "nodes");
      if (mode === "offline") return assert(await page.getByRole("alert").isVisible(), "the error state");
      if (!hasNodes)
        return assert(await page.getByText("No node connected yet").isVisible(), "the empty state");
      assert((await page.locator(".node-list li").count()) === status.nodes_total, "one entry per node");
      assert(await page.getByText("Capabilities", { exact: true }).isVisible(), "the capabilities card");
      assert((await page.locator("[data-testid^=chart-]").count()) === 6, "six resource charts");
      if (FIXTURES) {
        sockets[0]?.send(
          JSON.stringify({
            event: "sample",
            payload: {
              node: "storj:main",
              at: new Date().toISOString(),
              values: [{ metric: "cpu_millicores", value: 2750 }],
            },
          }),
        );
        await page.locator(".resource-cell", { hasText: "2.75 cores" }).waitFor({ timeout: TIMEOUT });
        await page.goto(`${BASE}/#/nodes/streamr%3Anode1`);
        await page.getByTestId("last-poll").waitFor({ timeout: TIMEOUT });
        await shot(page, "nodes-unreachable");
        assert(
          (await page.getByTestId("last-poll").textContent()).includes("Failed"),
          "a failed poll is shown",
        );
      }
    });

    await check("alerts", async () => {
      await open(page, "alerts");
      await shot(page, "alerts");
      assert(await page.getByRole("tab", { name: "Open" }).isVisible(), "the open/cleared tabs");
      if (mode === "offline") return assert(await page.getByRole("alert").isVisible(), "the error state");
      if (FIXTURES) {
        const rows = page.getByTestId("alert-row");
        assert((await rows.count()) === 2, "two open alerts");
        await rows
          .first()
          .getByRole("button", { name: /Acknowledge/ })
          .click();
        await rows.first().getByText("Acknowledged").waitFor({ timeout: TIMEOUT });
      }
    });

    await check("fleet", async () => {
      await open(page, "fleet");
      await shot(page, "fleet");
      if (mode === "offline") return assert(await page.getByRole("alert").isVisible(), "the error state");
      if (FIXTURES) return assert(await page.getByText("The fleet view is off").isVisible(), "the off state");
      // Live: the demo is scraped by a real Prometheus that is its own fleet view.
      const row = page.getByTestId("machine-row").filter({ hasText: "e2e-box" });
      await row.waitFor({ timeout: TIMEOUT });
      assert((await row.getAttribute("data-state")) === "up", "e2e-box is up");
      assert((await row.locator(".fleet-nodes li").count()) >= 4, "its four demo nodes");
      const up = await page.getByTestId("machines-up").textContent();
      assert(up?.trim() === "1 / 1", `machines up: ${up}`);
    });

    await check("settings", async () => {
      await open(page, "settings");
      await shot(page, "settings");
      assert(await page.getByText("Automation", { exact: true }).isVisible(), "the automation card");
      if (mode === "offline") return;
      assert(await page.getByTestId("automation-state").isVisible(), "the automation state");

      // A node's endpoint: a bad URL is refused next to the field before anything is sent...
      const card = page.getByRole("region", { name: "Storj node settings" });
      const form = card.getByRole("form", { name: "Storj settings" });
      const endpoint = form.getByLabel("API endpoint (main)");
      await endpoint.fill("not a url");
      await form.getByRole("button", { name: "Save" }).click();
      await form.getByText("The URL must not contain spaces.").waitFor({ timeout: TIMEOUT });
      assert((await endpoint.getAttribute("aria-invalid")) === "true", "the endpoint is marked invalid");
      await card.scrollIntoViewIfNeeded();
      await page.waitForTimeout(200);
      await card.screenshot({ path: join(OUT, "settings-validation.png") });

      // ...and the server refuses it too, naming the same field.
      if (!FIXTURES) {
        const answer = await page.evaluate(async () => {
          const settings = await (await fetch("/api/v1/settings")).json();
          const storj = settings.values.protocols.find((p) => p.protocol === "storj");
          storj.nodes[0].endpoint = "localhost:14002";
          const res = await fetch("/api/v1/settings", {
            method: "PUT",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(settings.values),
          });
          return { status: res.status, body: await res.json() };
        });
        assert(answer.status === 400, `the server answers 400, not ${answer.status}`);
        assert(
          answer.body.field === "protocols.storj.nodes.main.endpoint",
          `the server names the field: ${JSON.stringify(answer.body)}`,
        );
      }

      // A good URL is saved, with the honest "takes effect after a restart".
      await endpoint.fill("http://127.0.0.1:14099");
      await form.getByRole("button", { name: "Save" }).click();
      await form
        .getByText(/^Saved — takes effect after a restart|^Saved to the demo.s scratch file/)
        .waitFor({ timeout: TIMEOUT });
      await page.getByTestId("restart-required").waitFor({ timeout: TIMEOUT });
      assert(
        (await page.getByTestId("restart-required").textContent()).includes(
          "protocols.storj.nodes.main.endpoint",
        ),
        "the pending change is named",
      );
      assert((await endpoint.inputValue()) === "http://127.0.0.1:14099", "the saved value is shown");
      await card.screenshot({ path: join(OUT, "settings-saved.png") });

      if (FIXTURES) {
        const cred = page.getByRole("form", { name: "Grass session token for grass:laptop" });
        await cred.getByRole("button", { name: "Save" }).click();
        await cred.getByText("Enter a value before saving.").waitFor({ timeout: TIMEOUT });
        await cred.getByLabel("Grass session token").fill("tok-123");
        await cred.getByRole("button", { name: "Save" }).click();
        await cred.getByTestId("secret-state").getByText("Stored").waitFor({ timeout: TIMEOUT });
        assert(!(await page.content()).includes("tok-123"), "the stored value is never shown");
        await shot(page, "settings-after-save");
      }
    });

    // Last, because it waits for the demo's history to reach what the engine needs (1–2 minutes).
    if (mode === "live" && status.demo)
      await check("a real forecast on the Earnings screen", () =>
        checkRealForecast(page, { base: BASE, token: TOKEN, out: OUT }),
      );

    await check("no uncaught page errors", async () => {
      assert(pageErrors.length === 0, pageErrors.join("; "));
    });
  } finally {
    await browser.close();
  }
  console.log(`screenshots in ${OUT}`);
}

main()
  .catch((e) => {
    failed += 1;
    console.log(`FAIL e2e setup: ${e instanceof Error ? e.message : String(e)}`);
  })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed > 0 ? 1 : 0;
  });
