import { useEffect, useState } from "react";

export const SCREENS = [
  "overview",
  "earnings",
  "allocation",
  "nodes",
  "alerts",
  "fleet",
  "settings",
] as const;
export type Screen = (typeof SCREENS)[number];

export interface Route {
  screen: Screen;
  /** The rest of the path, e.g. the node id in `#/nodes/storj:main`. */
  param: string | null;
}

export function parseHash(hash: string): Route {
  const [first = "", ...rest] = hash.replace(/^#\/?/, "").split("/");
  const screen = (SCREENS as readonly string[]).includes(first) ? (first as Screen) : "overview";
  const param = rest.length > 0 && rest.join("/") !== "" ? decodeURIComponent(rest.join("/")) : null;
  return { screen, param };
}

/** Hash routing: works the same under Tauri's custom protocol and behind `orcha serve`. */
export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
