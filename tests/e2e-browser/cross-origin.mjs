// A hostile page in a real Chromium cannot drive `orcha serve`: the operator is logged in (the
// session cookie is in the browser), and a page served from another loopback port, which counts
// as the same *site* so SameSite does not stop the cookie, tries a cross-site PUT, a "simple"
// no-CORS POST and the event WebSocket; a DNS-rebinding name resolving to 127.0.0.1 tries to read
// the API as its own origin. All are refused, and the server state is unchanged.
//
//   ORCHA_URL=http://127.0.0.1:PORT ORCHA_API_TOKEN=… node tests/e2e-browser/cross-origin.mjs
//
// The login link works once (run.mjs used it), so the operator's session is the same cookie the
// link sets, placed in the browser directly.
//
// Prints `N passed, M failed` last; exits non-zero on any failure.
import { createServer } from "node:http";
import { chromium } from "playwright-core";

const BASE = (process.env.ORCHA_URL ?? "").replace(/\/$/, "");
const TOKEN = process.env.ORCHA_API_TOKEN ?? "";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const API_PORT = new URL(BASE || "http://127.0.0.1:1").port;

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

/** What the API says with the token (from this script, not the browser). */
async function status() {
  const res = await fetch(`${BASE}/api/v1/status`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert(res.ok, `GET /status with the token: ${res.status}`);
  return res.json();
}

/** The attacker's page, on a second loopback port. */
async function hostilePage() {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end("<!doctype html><title>a page the operator visits</title><p>hello</p>");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

async function main() {
  assert(BASE && TOKEN, "ORCHA_URL and ORCHA_API_TOKEN are needed");
  const before = await status();
  assert(typeof before.paused === "boolean", "the status names whether automation is paused");
  const hostile = await hostilePage();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      // A DNS-rebinding attacker's name, answered with 127.0.0.1 like a rebinding DNS server.
      "--host-resolver-rules=MAP rebind.test 127.0.0.1",
    ],
  });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await check("the operator is logged in (the cookie an attack would ride on)", async () => {
      await context.addCookies([
        { name: "orcha_session", value: TOKEN, url: BASE, httpOnly: true, sameSite: "Strict" },
      ]);
      await page.goto(`${BASE}/`, { waitUntil: "domcontentloaded" });
      const res = await page.evaluate(async () => (await fetch("/api/v1/status")).status);
      assert(res === 200, `the UI's own origin reads the API: ${res}`);
    });

    await page.goto(hostile.url, { waitUntil: "domcontentloaded" });
    await check("a cross-site PUT is refused", async () => {
      const outcome = await page.evaluate(async (base) => {
        try {
          const res = await fetch(`${base}/api/v1/automation`, {
            method: "PUT",
            credentials: "include",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ paused: true }),
          });
          return `status ${res.status}`;
        } catch (e) {
          return `blocked: ${e}`;
        }
      }, BASE);
      assert(outcome.startsWith("blocked") || outcome === "status 403", outcome);
    });
    await check("a no-CORS form-like POST is refused by the Origin check", async () => {
      // A "simple" request: the browser sends it without a preflight, cookie included.
      await page.evaluate(async (base) => {
        for (const [method, path] of [
          ["PUT", "/api/v1/automation"],
          ["POST", "/api/v1/ws-ticket"],
        ]) {
          await fetch(`${base}${path}`, {
            method,
            mode: "no-cors",
            credentials: "include",
            headers: { "Content-Type": "text/plain" },
            body: JSON.stringify({ paused: !false }),
          }).catch(() => {});
        }
      }, BASE);
      const after = await status();
      assert(after.paused === before.paused, `automation changed: ${before.paused} → ${after.paused}`);
    });
    await check("a cross-site WebSocket is refused", async () => {
      const outcome = await page.evaluate(
        (ws) =>
          new Promise((resolve) => {
            const socket = new WebSocket(ws);
            socket.onopen = () => resolve("open");
            socket.onmessage = () => resolve("message");
            socket.onerror = () => resolve("refused");
            setTimeout(() => resolve("timeout"), 5000);
          }),
        `${BASE.replace("http://", "ws://")}/api/v1/events`,
      );
      assert(outcome === "refused", outcome);
    });
    await check("a DNS-rebinding name is refused (421), even as its own origin", async () => {
      const res = await page.goto(`http://rebind.test:${API_PORT}/api/v1/status`);
      assert(res?.status() === 421, `status ${res?.status()}`);
      const ui = await page.goto(`http://rebind.test:${API_PORT}/`);
      assert(ui?.status() === 421, `the UI too: ${ui?.status()}`);
    });
    await check("the server state is unchanged", async () => {
      const after = await status();
      assert(after.paused === before.paused, "automation unchanged");
    });
  } finally {
    await browser.close();
    hostile.server.close();
  }
}

main()
  .catch((e) => {
    failed += 1;
    console.log(`FAIL cross-origin setup: ${e instanceof Error ? e.message : String(e)}`);
  })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed > 0 ? 1 : 0;
  });
