// Desktop end-to-end: drives the real Tauri window through tauri-driver + WebKitWebDriver
// (W3C WebDriver over HTTP, no client library needed) and checks the demo overview renders.
// Usage: node tests/e2e-desktop/run.mjs <app binary>; tauri-driver must listen on :4444.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const app = process.argv[2];
const driver = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const out = "test-artifacts/desktop";
mkdirSync(out, { recursive: true });
let passed = 0;
let failed = 0;

async function wd(method, path, body) {
  const res = await fetch(`${driver}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` — ${detail}` : ""}`);
}

async function waitFor(what, fn, timeoutMs) {
  const start = Date.now();
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // The page may still be loading; try again until the deadline.
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const TRAY = "/org/ayatana/NotificationItem/tray_icon_tray_app_main";

function gdbus(args) {
  // Connections that are not the app may not answer; their errors are expected and kept quiet.
  return execFileSync("gdbus", args, { encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "pipe"] });
}

/** The bus name exporting the tray's menu, with the item's properties, or null. */
function findTray() {
  const names = gdbus(["call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.ListNames"]);
  for (const name of names.match(/:1\.\d+/g) ?? []) {
    try {
      const intro = gdbus(["introspect", "--session", "--dest", name, "--object-path", `${TRAY}/Menu`]);
      if (!intro.includes("com.canonical.dbusmenu")) continue;
      const props = gdbus(["call", "--session", "--dest", name, "--object-path", TRAY, "--method", "org.freedesktop.DBus.Properties.GetAll", "org.kde.StatusNotifierItem"]);
      return { name, props };
    } catch {
      // Not this connection; keep looking.
    }
  }
  return null;
}

function trayLayout(tray) {
  return gdbus(["call", "--session", "--dest", tray.name, "--object-path", `${TRAY}/Menu`, "--method", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]"]);
}

const t0 = Date.now();
const session = await wd("POST", "/session", {
  capabilities: { alwaysMatch: { "tauri:options": { application: app } } },
});
const sid = session.sessionId;
try {
  const base = `/session/${sid}`;
  const text = async () => {
    const body = await wd("POST", `${base}/element`, { using: "css selector", value: "body" });
    return wd("GET", `${base}/element/${Object.values(body)[0]}/text`);
  };
  let startup = 0;
  const overview = await waitFor("the overview with demo data", async () => {
    const t = await text();
    return t.includes("DEMO") && t.includes("Storj") && t.includes("Golem") ? t : null;
  }, 30000);
  const firstRender = Date.now() - t0;
  // Where the time went: launching the process and its webview (until the page's navigation
  // starts) versus loading the page and its first data.
  const origin = await wd("POST", `${base}/execute/sync`, { script: "return performance.timeOrigin;", args: [] });
  startup = Math.round(origin - t0);
  check(
    "window opens on the overview with demo data",
    true,
    `first render ${firstRender} ms after launch (process + webview ${startup} ms, page + data ${firstRender - startup} ms)`,
  );
  check("all four protocols are shown", ["Storj", "Golem", "Streamr", "Grass"].every((p) => overview.includes(p)));
  const invoke = (cmd) =>
    wd("POST", `${base}/execute/async`, {
      script: `const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke('${cmd}').then(done, (e) => done({ error: e }));`,
      args: [],
    });
  const invokeWith = (cmd, args) =>
    wd("POST", `${base}/execute/async`, {
      script: `const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(done, (e) => done({ error: e }));`,
      args: [cmd, args],
    });
  const status = await invoke("status");
  check("the status command answers over IPC", status && status.demo === true && status.nodes_total === 4, JSON.stringify(status).slice(0, 160));
  // The tray, from outside the app: libayatana-appindicator exports the icon as a
  // StatusNotifierItem and its menu over com.canonical.dbusmenu on the session bus, which is
  // what a desktop panel reads. Clicking "Pause automation" through that menu must pause.
  const tray = findTray();
  check("the tray icon is exported on D-Bus", tray !== null, tray ? `${tray.name} ${tray.props.slice(0, 120)}` : "no StatusNotifierItem found");
  if (tray) {
    const labels = [...trayLayout(tray).matchAll(/'label': <'([^']*)'>/g)].map((m) => m[1]);
    const wanted = ["Open dashboard", "Pause automation", "Run a cycle now", "Quit DePIN Orcha"];
    check("the tray menu has open, pause, run-cycle and quit", wanted.every((l) => labels.includes(l)), labels.join(" | "));
    // Linux panels show no tooltips, so the first (disabled) line carries today's earnings.
    const info = await waitFor("the tray's summary line", async () => {
      const first = [...trayLayout(tray).matchAll(/'label': <'([^']*)'>/g)].map((m) => m[1])[0];
      return first?.startsWith("Today:") && first.includes("next cycle") ? first : null;
    }, 15000).catch(() => null);
    check("the tray menu starts with today's earnings and the next cycle", info !== null, info ?? labels[0]);
    const pauseId = trayLayout(tray).match(/\((\d+), \{'label': <'Pause automation'>/)?.[1];
    gdbus(["call", "--session", "--dest", tray.name, "--object-path", `${TRAY}/Menu`, "--method", "com.canonical.dbusmenu.Event", "--", pauseId ?? "0", "clicked", "<int32 0>", "0"]);
    const paused = await waitFor("automation paused from the tray", async () => {
      const st = await invoke("status");
      return st?.paused === true ? st : null;
    }, 10000).catch(() => null);
    const relabelled = [...trayLayout(tray).matchAll(/'label': <'([^']*)'>/g)].map((m) => m[1]);
    check(
      "clicking Pause automation in the tray menu pauses and relabels it",
      paused !== null && relabelled.includes("Resume automation"),
      relabelled.join(" | "),
    );
  }
  // Session autostart (opt-in): the plugin writes the XDG autostart entry that starts the app
  // minimised to the tray, and removes it again.
  // auto-launch writes under $HOME/.config whatever XDG_CONFIG_HOME says.
  const entry = join(process.env.HOME ?? "", ".config", "autostart", "depin-orcha.desktop");
  const before = await invoke("autostart_enabled");
  const on = await invokeWith("set_autostart", { enabled: true });
  const written = existsSync(entry) ? readFileSync(entry, "utf8") : "";
  check(
    "autostart is off by default and turning it on writes an entry that starts minimised",
    before === false && on === true && /^Exec=.*depin-orcha.* --minimized$/m.test(written),
    `before ${JSON.stringify(before)}, after ${JSON.stringify(on)}, ${entry}: ${written.replace(/\n/g, " | ").slice(0, 200)}`,
  );
  const off = await invokeWith("set_autostart", { enabled: false });
  check("turning autostart off removes the entry", off === false && !existsSync(entry), `${JSON.stringify(off)}, exists: ${existsSync(entry)}`);
  const shot = await wd("GET", `${base}/screenshot`);
  writeFileSync(`${out}/overview.png`, Buffer.from(shot, "base64"));
  writeFileSync(`${out}/timing.json`, JSON.stringify({ first_render_ms: firstRender, webview_start_ms: startup }));
} catch (e) {
  check("desktop run", false, String(e));
} finally {
  await wd("DELETE", `/session/${sid}`).catch(() => {});
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
