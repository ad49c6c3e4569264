import type { GraphEdge, GraphKind, GraphNode } from "../../types.js";
import { href } from "../router.js";

/**
 * The lineage graph as SVG: columns left to right (sources, views, services, models), each
 * node a link to what it names, edges as curves. Within a column, nodes are ordered by the
 * mean position of what feeds them, which keeps most edges from crossing. With `focus`, the
 * node's upstream and downstream stay bright and the rest is dimmed.
 */

const W = 176;
const H = 34;
/** The height of the lane a long edge takes in a column it passes through. */
const LANE = 14;
const GAP_X = 76;
const GAP_Y = 12;
const TOP = 30;

const KIND_TITLE: Record<GraphKind, string> = { source: "Sources", view: "Feature views", service: "Feature services", model: "Models" };

interface Slot {
  id: string;
  column: number;
  label: string;
  height: number;
}

/**
 * An edge that skips columns (a file source read by a view beside a query source) gets a
 * lane in each column it passes, as in Sugiyama's layered drawing, so it never runs behind
 * a node it does not touch. Returns each slot's position and each edge's points.
 */
function layout(nodes: GraphNode[], edges: GraphEdge[]) {
  const column = new Map(nodes.map((n) => [n.id, n.column]));
  const slots: Slot[] = nodes.map((n) => ({ id: n.id, column: n.column, label: n.label, height: H }));
  const chains = edges.map((e) => {
    const lanes: string[] = [];
    for (let c = column.get(e.from)! + 1; c < column.get(e.to)!; c++) {
      const id = `lane:${e.from}>${e.to}:${c}`;
      slots.push({ id, column: c, label: "\uffff", height: LANE });
      lanes.push(id);
    }
    return { edge: e, path: [e.from, ...lanes, e.to] };
  });
  const links = chains.flatMap((c) => c.path.slice(1).map((to, i) => ({ from: c.path[i]!, to })));
  const at = new Map<string, { x: number; y: number; height: number }>();
  const rank = new Map<string, number>();
  const columns = Math.max(0, ...slots.map((s) => s.column)) + 1;
  for (let c = 0; c < columns; c++) {
    // Barycentre ordering: a slot sits near the mean rank of what feeds it; lanes go below nodes on ties.
    const weight = (s: Slot) => {
      const from = links.filter((l) => l.to === s.id).map((l) => rank.get(l.from)).filter((r): r is number => r !== undefined);
      return from.length === 0 ? Number.POSITIVE_INFINITY : from.reduce((a, b) => a + b, 0) / from.length;
    };
    const inColumn = slots.filter((s) => s.column === c).sort((a, b) => weight(a) - weight(b) || a.label.localeCompare(b.label));
    let y = TOP;
    inColumn.forEach((s, i) => {
      rank.set(s.id, i);
      at.set(s.id, { x: c * (W + GAP_X), y, height: s.height });
      y += s.height + GAP_Y;
    });
  }
  const paths = chains.map(({ edge, path }) => {
    const points: [number, number][] = [];
    path.forEach((id, i) => {
      const p = at.get(id)!;
      const mid = p.y + p.height / 2;
      if (i > 0) points.push([p.x - (i === path.length - 1 ? 2 : 0), mid]);
      if (i < path.length - 1) points.push([p.x + W, mid]);
    });
    // Curves between columns, straight through the lanes.
    let d = `M ${points[0]![0]} ${points[0]![1]}`;
    for (let i = 1; i < points.length; i++) {
      const [[x1, y1], [x2, y2]] = [points[i - 1]!, points[i]!];
      const mid = (x1 + x2) / 2;
      d += i % 2 === 1 ? ` C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}` : ` L ${x2} ${y2}`;
    }
    return { edge, d };
  });
  return { at, paths, columns };
}

/** Every node connected to `id` by a path in either direction, `id` included. */
function connected(id: string, edges: GraphEdge[]): Set<string> {
  const seen = new Set([id]);
  for (const [from, to] of [["from", "to"], ["to", "from"]] as const) {
    const queue = [id];
    while (queue.length > 0) {
      const at = queue.pop()!;
      for (const e of edges) {
        if (e[from] === at && !seen.has(e[to])) {
          seen.add(e[to]);
          queue.push(e[to]);
        }
      }
    }
  }
  return seen;
}

const linkOf = (n: GraphNode) => {
  if (n.kind === "model") {
    const [name, version] = n.id.slice("model:".length).split("/");
    return href("models", name!, version!);
  }
  return href("features", { focus: n.id });
};

export function LineageGraph({ nodes, edges, focus }: { nodes: GraphNode[]; edges: GraphEdge[]; focus?: string }) {
  if (nodes.length === 0) return <p class="muted">The repository defines nothing yet.</p>;
  const { at, paths, columns } = layout(nodes, edges);
  const lit = focus && at.has(focus) ? connected(focus, edges) : undefined;
  const width = columns * W + (columns - 1) * GAP_X;
  const height = Math.max(...[...at.values()].map((p) => p.y + p.height)) + 4;
  const headers = Array.from({ length: columns }, (_, c) => {
    const kind = nodes.find((n) => n.column === c)?.kind;
    return kind === undefined ? "" : kind === "source" && c > 0 ? "Query sources" : KIND_TITLE[kind];
  });
  const summary = `Lineage graph: ${nodes.filter((n) => n.kind === "source").length} sources feed ${nodes.filter((n) => n.kind === "view").length} feature views, used by ${nodes.filter((n) => n.kind === "service").length} feature services and ${nodes.filter((n) => n.kind === "model").length} model versions.`;
  return (
    <div class="graph-scroll">
      <svg class="lineage" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label={summary}>
        <title>{summary}</title>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#8a94a6" />
          </marker>
        </defs>
        {headers.map((h, c) => (
          <text key={c} x={c * (W + GAP_X)} y={14} class="col-title">{h}</text>
        ))}
        {paths.map(({ edge, d }) => {
          const dim = lit && !(lit.has(edge.from) && lit.has(edge.to));
          return <path key={`${edge.from}>${edge.to}`} class={`edge${dim ? " dim" : ""}`} d={d} marker-end="url(#arrow)" />;
        })}
        {nodes.map((n) => {
          const p = at.get(n.id)!;
          const label = n.label.length > 22 ? `${n.label.slice(0, 21)}…` : n.label;
          return (
            <a key={n.id} href={linkOf(n)} class={`node ${n.kind}${lit && !lit.has(n.id) ? " dim" : ""}${focus === n.id ? " focus" : ""}`} aria-label={`${n.kind} ${n.label}`}>
              <title>{`${n.kind} ${n.label}`}</title>
              <rect x={p.x} y={p.y} width={W} height={H} rx={7} />
              <text x={p.x + 12} y={p.y + H / 2 + 4}>{label}</text>
            </a>
          );
        })}
      </svg>
    </div>
  );
}
