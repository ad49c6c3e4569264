import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { num } from "../format.js";

/**
 * A metric's history as a line chart (uPlot, canvas): one series per run, overlaid on a
 * shared x axis (MLflow's step; the point's order when a run logged every point at the same
 * step). The wrapper describes the chart in words for screen readers and carries the number
 * of points drawn.
 */

export interface ChartSeries {
  label: string;
  points: { step: number; value: number }[];
}

/** Distinct on white and for the common colour-vision deficiencies (Okabe-Ito, darkened for contrast). */
export const PALETTE = ["#1f5fbf", "#c8402a", "#1b8a6b", "#b8860b", "#7a4fa0", "#0e7c93", "#a0487a", "#5a6b1e"];

/** x values of one run: steps when they tell points apart, else 0, 1, 2... */
function xs(points: ChartSeries["points"]): number[] {
  const steps = new Set(points.map((p) => p.step));
  return steps.size === points.length ? points.map((p) => p.step) : points.map((_, i) => i);
}

function aligned(series: ChartSeries[]): uPlot.AlignedData {
  const tables = series.map((s) => {
    const x = xs(s.points);
    const order = s.points.map((p, i) => ({ x: x[i]!, y: p.value })).sort((a, b) => a.x - b.x);
    return [order.map((p) => p.x), order.map((p) => (Number.isFinite(p.y) ? p.y : null))] as uPlot.AlignedData;
  });
  return tables.length === 1 ? tables[0]! : uPlot.join(tables);
}

function describe(title: string, series: ChartSeries[]): string {
  const parts = series.map((s) => {
    const last = s.points.at(-1);
    return `${s.label}: ${s.points.length} point${s.points.length === 1 ? "" : "s"}${last ? `, last ${num(last.value)}` : ""}`;
  });
  return `Chart of ${title}. ${parts.join("; ")}.`;
}

const HEIGHT = 200;

export function LineChart({ title, series }: { title: string; series: ChartSeries[] }) {
  const box = useRef<HTMLDivElement>(null);
  const total = series.reduce((n, s) => n + s.points.length, 0);
  useEffect(() => {
    const el = box.current;
    if (!el || total === 0) return;
    const few = series.every((s) => s.points.length <= 40);
    const plot = new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height: HEIGHT,
        // Our own legend below (a list): uPlot's is a table without headers.
        legend: { show: false },
        scales: { x: { time: false } },
        axes: [
          { stroke: "#4a5363", grid: { stroke: "#e6e9ee" }, ticks: { stroke: "#d0d5dc" } },
          { stroke: "#4a5363", grid: { stroke: "#e6e9ee" }, ticks: { stroke: "#d0d5dc" }, size: 56, values: (_u, values) => values.map((v) => num(v)) },
        ],
        series: [
          { label: "step" },
          ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length]!, width: 2, spanGaps: true, points: { show: few, size: 5 } })),
        ],
      },
      aligned(series),
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(240, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series]);
  if (total === 0) return <p class="muted">No points logged for {title}.</p>;
  return (
    <>
      <div class="chart" ref={box} role="img" aria-label={describe(title, series)} data-points={total} />
      {series.length > 1 && (
        <ul class="legend" aria-hidden="true">
          {series.map((s, i) => <li key={i}><span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} />{s.label}</li>)}
        </ul>
      )}
    </>
  );
}
