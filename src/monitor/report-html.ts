import type { FeatureDrift } from "./drift.js";
import type { ModelDriftReport } from "./model-drift.js";
import { compact, CURRENT_COLOR, escapeHtml, histogramSvg, REFERENCE_COLOR, tailsNote } from "./report-svg.js";
import type { SideSource } from "./side.js";

/**
 * The drift report as one self-contained HTML page (inline CSS, SVG and a few lines of script;
 * nothing fetched), readable offline and attachable to a ticket: the verdict first, then a
 * table of every feature, then a chart per feature, drifted ones first.
 */

const CSS = `
:root{--ref:${REFERENCE_COLOR};--cur:${CURRENT_COLOR};--bad:#c0392b;--good:#2e7d32;--ink:#1d2330;--muted:#6b7280;--line:#e5e7eb;--bg:#f7f8fa}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 10px}
.sub{color:var(--muted)}.banner{border-radius:10px;padding:16px 20px;margin:18px 0;color:#fff;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
.banner.bad{background:var(--bad)}.banner.good{background:var(--good)}.banner .big{font-size:20px;font-weight:600}
.meter{flex:1;min-width:220px;height:12px;background:rgba(255,255,255,.3);border-radius:6px;position:relative}
.meter i{position:absolute;left:0;top:0;bottom:0;background:#fff;border-radius:6px}.meter b{position:absolute;top:-5px;bottom:-5px;width:2px;background:#111}
.sources{display:grid;grid-template-columns:1fr 1fr;gap:12px}.box{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.box .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:middle}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}th{background:#f1f3f6;font-weight:600;cursor:pointer;user-select:none}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.drift td:first-child{border-left:3px solid var(--bad)}tbody tr:hover{background:#fafbfc}
.pill{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff}.pill.bad{background:var(--bad)}.pill.good{background:var(--good)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:14px}.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card.drift{border-top:4px solid var(--bad)}.card.ok{border-top:4px solid var(--good)}.card h3{margin:0;font-size:15px;display:flex;justify-content:space-between;gap:8px;word-break:break-all}
.card .test{color:var(--muted);margin:2px 0 6px}.chart{width:100%;height:auto;display:block}.grid{stroke:#eef0f3}.axis{stroke:#9aa1ab}.tick{font-size:10px;fill:#6b7280}
.note{font-size:12px;color:var(--muted);margin:4px 0 0}.empty{color:var(--muted);font-style:italic}.legend{margin:6px 0 0}label{cursor:pointer}
footer{margin:32px 0 8px;color:var(--muted);font-size:12px}
`;

const SCRIPT = `
document.getElementById('only').addEventListener('change',e=>{for(const el of document.querySelectorAll('[data-drift="false"]'))el.style.display=e.target.checked?'none':''});
document.querySelectorAll('th').forEach((th,col)=>th.addEventListener('click',()=>{const body=th.closest('table').tBodies[0];const rows=[...body.rows];const dir=th.dataset.dir==='asc'?-1:1;th.dataset.dir=dir>0?'asc':'desc';
rows.sort((a,b)=>{const x=a.cells[col].dataset.v??a.cells[col].textContent,y=b.cells[col].dataset.v??b.cells[col].textContent;const nx=parseFloat(x),ny=parseFloat(y);return dir*(isNaN(nx)||isNaN(ny)?x.localeCompare(y):nx-ny)});rows.forEach(r=>body.appendChild(r))}));
`;

const pct = (x: number | undefined) => (x === undefined ? "" : `${(x * 100).toFixed(1)}%`);
const score = (x: number | null) => (x === null ? "" : Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2));
const pill = (drifted: boolean) => `<span class="pill ${drifted ? "bad" : "good"}">${drifted ? "drift" : "ok"}</span>`;
const id = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;

function describeSource(s: SideSource & { rows: number }): string {
  const rows = `${s.rows.toLocaleString("en-US")} rows`;
  if (s.kind === "file") return `${escapeHtml(s.path)}<br><span class="sub">${rows}${s.sha256 ? `, sha256 ${s.sha256.slice(0, 12)} verified` : ""}</span>`;
  if (s.kind === "logs") return `feature logs in ${escapeHtml(s.folder)}<br><span class="sub">${rows} from ${s.files} file${s.files === 1 ? "" : "s"}${s.since ? ` since ${s.since}` : ""}${s.version !== null ? `, version ${s.version}` : ""}</span>`;
  return `stored profile ${escapeHtml(s.path)}<br><span class="sub">${rows} of ${escapeHtml(s.reference)} (the file is gone or changed: features with many values are approximated)</span>`;
}

function verdictLine(f: FeatureDrift): string {
  if (f.test === null) return escapeHtml(f.note ?? "not tested");
  const op = f.test === "ks" ? "≤" : f.test === "chisquare" || f.test === "z" ? "<" : "≥";
  return `${escapeHtml(f.title ?? f.test)} = ${score(f.score)}; drift when ${op} ${compact(f.threshold!)}${f.approximate ? " (approximate)" : ""}`;
}

function qualityLine(f: FeatureDrift): string {
  const statuses = Object.entries(f.current.statusShares ?? {}).filter(([s, v]) => s !== "PRESENT" && v > 0);
  const parts = [`missing ${pct(f.reference.missingShare)} → ${pct(f.current.missingShare)}`, ...statuses.map(([s, v]) => `${s} ${pct(v)}`)];
  return parts.join(" · ");
}

function tableRow(f: FeatureDrift): string {
  return `<tr class="${f.drifted ? "drift" : ""}" data-drift="${f.drifted}"><td><a href="#${id(f.name)}">${escapeHtml(f.name)}</a></td><td>${escapeHtml(f.test ?? "—")}</td><td class="num" data-v="${f.score ?? ""}">${score(f.score)}</td><td class="num">${f.threshold === null ? "" : compact(f.threshold)}</td><td data-v="${f.drifted ? 1 : 0}">${pill(f.drifted)}</td><td class="num" data-v="${f.current.missingShare}">${pct(f.reference.missingShare)} → ${pct(f.current.missingShare)}</td><td class="num" data-v="${f.current.statusShares?.OUTSIDE_MAX_AGE ?? ""}">${pct(f.current.statusShares?.OUTSIDE_MAX_AGE)}</td></tr>`;
}

function card(f: FeatureDrift): string {
  const tails = tailsNote(f.histogram);
  return `<section class="card ${f.drifted ? "drift" : "ok"}" id="${id(f.name)}" data-drift="${f.drifted}"><h3><span>${escapeHtml(f.name)}</span>${pill(f.drifted)}</h3><div class="test">${verdictLine(f)}</div>${histogramSvg(f.histogram)}<p class="note">${qualityLine(f)} · ${f.reference.values.toLocaleString("en-US")} → ${f.current.values.toLocaleString("en-US")} values</p>${tails ? `<p class="note">${tails}</p>` : ""}</section>`;
}

export function renderHtmlReport(report: ModelDriftReport): string {
  const d = report.dataset;
  const title = report.model ? `${report.model.name} version ${report.model.version}` : "reference vs current";
  const features = [...report.features].sort((a, b) => Number(b.drifted) - Number(a.drifted));
  const all = report.prediction ? [report.prediction, ...features] : features;
  const skipped = report.skipped.length ? `<p class="note">Not tested: ${report.skipped.map((s) => `${escapeHtml(s.name)} (${escapeHtml(s.reason)})`).join(", ")}.</p>` : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Drift report: ${escapeHtml(title)}</title><style>${CSS}</style></head><body><main>
<h1>Drift report: ${escapeHtml(title)}</h1><div class="sub">generated ${escapeHtml(report.generatedAt)} by mlf monitor drift</div>
<div class="banner ${d.drift ? "bad" : "good"}"><div><div class="big">${d.drift ? "Dataset drift detected" : "No dataset drift"}</div><div>${d.drifted} of ${d.features} features drifted (${pct(d.share)}); the dataset drifts at ${pct(d.driftShare)}${report.prediction ? ` · prediction: ${report.prediction.drifted ? "drifted" : "stable"}` : ""}</div></div>
<div class="meter" title="share of drifted features; the black mark is the dataset threshold"><i style="width:${(d.share * 100).toFixed(1)}%"></i><b style="left:${(d.driftShare * 100).toFixed(1)}%"></b></div></div>
<div class="sources"><div class="box"><div class="k"><span class="swatch" style="background:var(--ref)"></span>reference</div>${describeSource(report.reference)}</div><div class="box"><div class="k"><span class="swatch" style="background:var(--cur)"></span>current</div>${describeSource(report.current)}</div></div>
<h2>Features</h2><p class="legend"><label><input type="checkbox" id="only"> show only drifted features</label></p>
<table><thead><tr><th>feature</th><th>test</th><th>score</th><th>threshold</th><th>verdict</th><th>missing ref → cur</th><th>too old (current)</th></tr></thead><tbody>${all.map(tableRow).join("")}</tbody></table>${skipped}
<h2>Distributions</h2><p class="legend"><span class="swatch" style="background:var(--ref)"></span>reference <span class="swatch" style="background:var(--cur);margin-left:12px"></span>current · shares of each side's values</p>
<div class="cards">${all.map(card).join("")}</div>
<footer>Tests and thresholds are Evidently's defaults: up to 1,000 reference rows, KS (drift when p ≤ 0.05) for numbers with more than 5 distinct values, else chi-square or the Z test (p &lt; 0.05); above, the Wasserstein distance over the reference's standard deviation or the Jensen-Shannon distance (drift at ≥ 0.1). NULL, NaN and infinite values are left out of the tests; "missing" counts NULL and NaN.</footer>
</main><script>${SCRIPT}</script></body></html>
`;
}
