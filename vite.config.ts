/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const uiRoot = fileURLToPath(new URL("./ui", import.meta.url));
const outDir = fileURLToPath(new URL("./dist", import.meta.url));

// The dashboard lives in ui/ and builds into the root dist/, which `orcha serve` and Tauri serve.
export default defineConfig({
  root: uiRoot,
  plugins: [react()],
  // Relative asset URLs work both under Tauri's custom protocol and behind `orcha serve`.
  base: "./",
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    // In dev, the API of a local `orcha serve` answers under the same origin.
    proxy: {
      "/api": { target: process.env.ORCHA_API ?? "http://127.0.0.1:7373", ws: true, changeOrigin: true },
    },
  },
  preview: { port: 4173, strictPort: false },
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1200,
  },
  test: {
    root: uiRoot,
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/testing/setup-tests.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    restoreMocks: true,
  },
});
