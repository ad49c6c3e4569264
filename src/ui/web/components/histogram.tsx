import type { Histogram } from "../../../monitor/histogram.js";
import { num } from "../format.js";

/**
 * One input's distribution in the reference and the current data, as shares of their rows on
 * the same bins (the report's histogram): paired bars, reference left in blue, current right
 * in red, so a shift shows as the red bars moving away from the blue ones.
 */

const W = 220;
const H = 56;
export const REFERENCE = "#1f5fbf";
export const CURRENT = "#c8402a";

export function HistogramBars({ histogram, label }: { histogram: Histogram | null; label: string }) {
  if (!histogram) return <span class="muted small">no values</span>;
  const n = histogram.reference.length;
  const top = Math.max(...histogram.reference, ...histogram.current, 1e-9);
  const slot = W / Math.max(n, 1);
  const bar = Math.max(1, slot / 2 - 1);
  const span = histogram.kind === "bins" ? `${num(histogram.edges[0])} to ${num(histogram.edges.at(-1))}` : `${n} values`;
  return (
    <svg class="histogram" width={W} height={H + 12} viewBox={`0 0 ${W} ${H + 12}`} role="img" aria-label={`Distribution of ${label}, reference against current, over ${span}`}>
      {histogram.reference.map((r, i) => {
        const c = histogram.current[i] ?? 0;
        const x = i * slot;
        return (
          <g key={i}>
            <rect x={x} y={H - (r / top) * H} width={bar} height={(r / top) * H} fill={REFERENCE} />
            <rect x={x + bar + 1} y={H - (c / top) * H} width={bar} height={(c / top) * H} fill={CURRENT} />
            <title>{`${histogram.kind === "bins" ? `${num(histogram.edges[i])} to ${num(histogram.edges[i + 1])}` : histogram.values[i]}: reference ${(r * 100).toFixed(1)}%, current ${(c * 100).toFixed(1)}%`}</title>
          </g>
        );
      })}
      <line x1={0} x2={W} y1={H + 0.5} y2={H + 0.5} stroke="#c3c9d2" />
      {histogram.kind === "bins" && (
        <>
          <text x={0} y={H + 11} class="axis">{num(histogram.edges[0])}</text>
          <text x={W} y={H + 11} class="axis" text-anchor="end">{num(histogram.edges.at(-1))}</text>
        </>
      )}
    </svg>
  );
}
