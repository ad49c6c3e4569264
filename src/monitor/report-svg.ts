import type { Histogram } from "./histogram.js";

/**
 * Inline SVG charts for the HTML report: reference and current distributions of one feature
 * on the same axes, as shares of their rows. Every bar carries a <title> (the browser's
 * tooltip) with its exact range and shares, so the page needs no script to be explored.
 */

export const REFERENCE_COLOR = "#4c78a8";
export const CURRENT_COLOR = "#f58518";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A number in at most 4 significant digits, without trailing zeros (1.25k style for large). */
export function compact(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(2).replace(/\.?0+e/, "e");
  if (a >= 1e4) return `${(x / 1e3).toPrecision(3).replace(/\.?0+$/, "")}k`;
  return Number(x.toPrecision(4)).toString();
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 2 : 1)}%`;

const W = 420;
const H = 150;
const M = { left: 42, right: 8, top: 8, bottom: 22 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

function frame(maxShare: number, inner: string, xLabels: string): string {
  const y = (s: number) => M.top + PH - (s / maxShare) * PH;
  const grid = [0.5, 1].map((f) => `<line x1="${M.left}" x2="${W - M.right}" y1="${y(maxShare * f)}" y2="${y(maxShare * f)}" class="grid"/><text x="${M.left - 4}" y="${y(maxShare * f) + 3}" class="tick" text-anchor="end">${pct(maxShare * f)}</text>`).join("");
  return `<svg viewBox="0 0 ${W} ${H}" class="chart" role="img">${grid}${inner}<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + PH}" y2="${M.top + PH}" class="axis"/>${xLabels}</svg>`;
}

function binsChart(h: Extract<Histogram, { kind: "bins" }>): string {
  const lo = h.edges[0]!;
  const hi = h.edges.at(-1)!;
  const max = Math.min(1, Math.max(...h.reference, ...h.current, 1e-12) * 1.08);
  const x = (v: number) => M.left + ((v - lo) / (hi - lo)) * PW;
  const y = (s: number) => M.top + PH - (s / max) * PH;
  // Reference as filled bars, current as a step line over them: both stay readable where they overlap.
  const bars = h.reference
    .map((s, i) => {
      const x0 = x(h.edges[i]!);
      const x1 = x(h.edges[i + 1]!);
      const tip = `${compact(h.edges[i]!)} to ${compact(h.edges[i + 1]!)}: reference ${pct(s)}, current ${pct(h.current[i]!)}`;
      return `<rect x="${x0.toFixed(1)}" y="${y(s).toFixed(1)}" width="${Math.max(0.5, x1 - x0 - 0.5).toFixed(1)}" height="${(M.top + PH - y(s)).toFixed(1)}" fill="${REFERENCE_COLOR}" fill-opacity="0.45"><title>${tip}</title></rect>`;
    })
    .join("");
  let path = `M${x(lo).toFixed(1)},${y(0).toFixed(1)}`;
  h.current.forEach((s, i) => (path += `V${y(s).toFixed(1)}H${x(h.edges[i + 1]!).toFixed(1)}`));
  path += `V${y(0).toFixed(1)}`;
  const step = `<path d="${path}" fill="none" stroke="${CURRENT_COLOR}" stroke-width="2" stroke-linejoin="round" pointer-events="none"/>`;
  const labels = [lo, (lo + hi) / 2, hi]
    .map((v, i) => `<text x="${x(v).toFixed(1)}" y="${H - 6}" class="tick" text-anchor="${["start", "middle", "end"][i]}">${compact(v)}</text>`)
    .join("");
  return frame(max, bars + step, labels);
}

function valuesChart(h: Extract<Histogram, { kind: "values" }>): string {
  const names = h.values;
  const ref = h.reference;
  const cur = h.current;
  const rowH = 16;
  const labelW = 110;
  const height = names.length * rowH + 8;
  const max = Math.max(...ref, ...cur, 1e-12);
  const bw = (s: number) => ((W - labelW - 92) * s) / max;
  const rows = names
    .map((name, i) => {
      const y0 = 4 + i * rowH;
      const label = name.length > 16 ? `${name.slice(0, 15)}…` : name;
      return (
        `<text x="${labelW - 6}" y="${y0 + 11}" class="tick" text-anchor="end">${escapeHtml(label)}<title>${escapeHtml(name)}</title></text>` +
        `<rect x="${labelW}" y="${y0 + 1}" width="${bw(ref[i]!).toFixed(1)}" height="6" fill="${REFERENCE_COLOR}"><title>reference ${escapeHtml(name)}: ${pct(ref[i]!)}</title></rect>` +
        `<rect x="${labelW}" y="${y0 + 8}" width="${bw(cur[i]!).toFixed(1)}" height="6" fill="${CURRENT_COLOR}"><title>current ${escapeHtml(name)}: ${pct(cur[i]!)}</title></rect>` +
        `<text x="${labelW + Math.max(bw(ref[i]!), bw(cur[i]!)) + 4}" y="${y0 + 11}" class="tick">${pct(ref[i]!)} → ${pct(cur[i]!)}</text>`
      );
    })
    .join("");
  return `<svg viewBox="0 0 ${W} ${height}" class="chart" role="img">${rows}</svg>`;
}

/** The chart of one feature, or a note when there is nothing to draw. */
export function histogramSvg(h: Histogram | null): string {
  if (!h) return `<p class="empty">no values to draw</p>`;
  return h.kind === "bins" ? binsChart(h) : valuesChart(h);
}

/** What a chart leaves out (tails beyond the range shown, the other categories), in words, or "" when negligible. */
export function tailsNote(h: Histogram | null): string {
  if (!h) return "";
  if (h.kind === "values") {
    const { reference: r, current: c } = h.other;
    return r + c < 0.0005 ? "" : `Other values: reference ${pct(r)}, current ${pct(c)}.`;
  }
  const { reference: r, current: c } = h.tails;
  if (r[0] + r[1] + c[0] + c[1] < 0.0005) return "";
  return `Outside the range shown: reference ${pct(r[0])} below, ${pct(r[1])} above; current ${pct(c[0])} below, ${pct(c[1])} above.`;
}
