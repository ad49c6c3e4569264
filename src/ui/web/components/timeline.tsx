import type { ViewEntry } from "../../types.js";
import { age } from "../format.js";

/**
 * Materialization intervals per online view on one time axis ending at the server's now: a
 * bar per materialize run, and the ttl window before now shaded, so a view whose newest bar
 * ends left of its window is visibly stale. A first run that reached far into the past
 * (unlimited ttl loads all history) is clipped at the left edge rather than squeezing the rest.
 */

const LABEL = 170;
const WIDTH = 1000;
const ROW = 26;

function ticks(lo: number, hi: number): number[] {
  const steps = [3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000, 365 * 86_400_000];
  const step = steps.find((s) => (hi - lo) / s <= 6) ?? steps.at(-1)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(t);
  return out;
}

const tickLabel = (t: number, span: number) => new Date(t).toISOString().slice(span > 2 * 86_400_000 ? 0 : 5, span > 2 * 86_400_000 ? 10 : 16).replace("T", " ");

export function MaterializationTimeline({ views, now }: { views: ViewEntry[]; now: number }) {
  const online = views.filter((v) => v.online);
  const all = online.flatMap((v) => v.intervals.map((i) => ({ start: Date.parse(i.start), end: Date.parse(i.end) })));
  if (online.length === 0) return <p class="muted">No view is served online.</p>;
  if (all.length === 0) return <p class="muted">Nothing materialized yet; run mlf materialize-incremental now.</p>;
  const oldestEnd = Math.min(...all.map((i) => i.end));
  const windows = online.map((v) => (v.ttlSeconds > 0 ? now - v.ttlSeconds * 1000 : now));
  const lo = Math.max(Math.min(...all.map((i) => i.start), ...windows), now - 4 * Math.max(now - oldestEnd, 3_600_000));
  const span = Math.max(now - lo, 1);
  const x = (t: number) => LABEL + ((Math.max(t, lo) - lo) / span) * (WIDTH - LABEL - 10);
  const height = online.length * ROW + 26;
  return (
    <svg class="timeline" width={WIDTH} height={height} viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={`Materialization intervals of ${online.length} online views up to now`}>
      {ticks(lo, now).filter((t) => x(now) - x(t) > 70).map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={0} y2={height - 20} class="tick" />
          <text x={x(t)} y={height - 6} class="tick-label" text-anchor="middle">{tickLabel(t, span)}</text>
        </g>
      ))}
      {online.map((v, row) => {
        const y = row * ROW + 4;
        return (
          <g key={v.name}>
            <text x={0} y={y + 14} class="row-label">{v.name}</text>
            {v.ttlSeconds > 0 && <rect x={x(now - v.ttlSeconds * 1000)} y={y} width={x(now) - x(now - v.ttlSeconds * 1000)} height={ROW - 8} class="ttl-window"><title>{`ttl window of ${v.name}: ${v.ttl}`}</title></rect>}
            {v.intervals.map((i, k) => (
              <rect key={k} x={x(Date.parse(i.start))} y={y + 3} width={Math.max(2, x(Date.parse(i.end)) - x(Date.parse(i.start)))} height={ROW - 14} class={`interval ${v.freshness}`}>
                <title>{`${i.start} to ${i.end} (at ${i.at})`}</title>
              </rect>
            ))}
            {v.freshness === "never" && <text x={x(lo) + 4} y={y + 14} class="row-note">never materialized</text>}
          </g>
        );
      })}
      <line x1={x(now)} x2={x(now)} y1={0} y2={height - 20} class="now" />
      <text x={x(now)} y={height - 6} class="tick-label" text-anchor="end">now</text>
    </svg>
  );
}

export const freshnessText = (v: ViewEntry) =>
  v.freshness === "offline" ? "offline only" : v.freshness === "never" ? "never materialized" : `${v.freshness}, ${age(v.ageSeconds)} old${v.ttlSeconds > 0 ? ` (ttl ${v.ttl})` : ""}`;
