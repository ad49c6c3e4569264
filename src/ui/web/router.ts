import { useEffect, useState } from "preact/hooks";

/**
 * Hash routes (`#/runs/ID`, `#/experiments/0?filter=...`), as MLflow's UI has them: the
 * server serves one page at `/`, and every view is a link that can be shared or bookmarked.
 */

export interface Route {
  /** Path parts after `#/`, decoded: `["runs", "abc"]`. */
  parts: string[];
  query: URLSearchParams;
}

function parseHash(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#\/?/, "").split("?", 2);
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

/** A link target: `href("runs", id)` or with a query `href("experiments", id, {filter})`. */
export function href(...parts: (string | Record<string, string | undefined>)[]): string {
  const query = parts.at(-1) !== undefined && typeof parts.at(-1) === "object" ? (parts.pop() as Record<string, string | undefined>) : {};
  const search = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""));
  const path = (parts as string[]).map(encodeURIComponent).join("/");
  return `#/${path}${search.size > 0 ? `?${search}` : ""}`;
}

/** Replaces the query of the current route (filter and order changes need no history entry each). */
export function setQuery(route: Route, changes: Record<string, string | undefined>): void {
  const next = href(...route.parts, { ...Object.fromEntries(route.query), ...changes });
  history.replaceState(null, "", next);
  dispatchEvent(new HashChangeEvent("hashchange"));
}
