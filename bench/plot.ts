/**
 * The benchmark's plot as a self-contained SVG (no dependency): one panel of throughput-like
 * rows (higher is better) and one of latency/memory rows (lower is better), each row the anchor's
 * median and Sluice's median side by side, scaled to the anchor, with the ratio written out.
 */

/** One row of the results table, as bench/run.ts writes it to JSON. */
export interface PlotRow {
  id: string;
  title: string;
  unit: string;
  better: 'higher' | 'lower';
  anchor: string;
  anchorMedian: number;
  sluiceMedian: number;
  ratio: number;
  /** Every round's value (anchor side), for the round count. */
  java: number[];
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x: number) =>
  x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toPrecision(3);

const WIDTH = 960;
const LABEL = 330;
const BAR_AREA = 420;
/** Bars stop at this ratio (the number is still written out). */
const CAP = 4;
const ROW = 46;

function panel(title: string, rows: PlotRow[], top: number): { svg: string; height: number } {
  if (rows.length === 0) return { svg: '', height: 0 };
  const max = Math.min(CAP, Math.max(1.25, ...rows.map((r) => r.sluiceMedian / r.anchorMedian || 0))) * 1.05;
  const x = (ratio: number) => LABEL + (Math.min(ratio, max) / max) * BAR_AREA;
  const parts: string[] = [`<text x="12" y="${top + 18}" class="h">${esc(title)}</text>`];
  const y0 = top + 30;
  rows.forEach((r, i) => {
    const y = y0 + i * ROW;
    const ratio = r.sluiceMedian / r.anchorMedian;
    const good = r.better === 'higher' ? ratio >= 1 : ratio <= 1;
    parts.push(
      `<text x="12" y="${y + 14}" class="l">${esc(r.id)} ${esc(clip(r.title, 48))}</text>`,
      `<text x="12" y="${y + 30}" class="s">${esc(r.unit)}${r.java.length > 1 ? `, median of ${r.java.length}` : ''}</text>`,
      `<rect x="${LABEL}" y="${y + 2}" width="${x(1) - LABEL}" height="16" class="a"/>`,
      `<text x="${x(1) + 4}" y="${y + 15}" class="s">${esc(r.anchor)} ${fmt(r.anchorMedian)}</text>`,
      `<rect x="${LABEL}" y="${y + 20}" width="${Math.max(1, x(ratio) - LABEL)}" height="16" class="${good ? 'g' : 'b'}"/>`,
      `<text x="${x(ratio) + 4}" y="${y + 33}" class="s">${ratio > max ? '▶ ' : ''}Sluice ${fmt(r.sluiceMedian)} (${ratio.toFixed(2)}×)</text>`,
    );
  });
  const bottom = y0 + rows.length * ROW;
  parts.push(`<line x1="${x(1)}" y1="${y0 - 4}" x2="${x(1)}" y2="${bottom}" class="one"/>`);
  return { svg: parts.join('\n'), height: bottom - top + 10 };
}

/** Renders the rows; `subtitle` says which command, when and where. */
export function renderPlot(rows: PlotRow[], subtitle: string): string {
  const higher = panel(
    'Throughput (higher is better), scaled to the anchor',
    rows.filter((r) => r.better === 'higher'),
    64,
  );
  const lower = panel(
    'Latency and memory (lower is better), scaled to the anchor',
    rows.filter((r) => r.better === 'lower'),
    64 + higher.height,
  );
  const height = 74 + higher.height + lower.height;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">
<style>
.h{font-size:15px;font-weight:600;fill:#222}.l{font-size:12px;fill:#222}.s{font-size:11px;fill:#555}
.a{fill:#9aa5b1}.g{fill:#2f9e44}.b{fill:#e8590c}.one{stroke:#222;stroke-dasharray:3 3}
</style>
<title>Sluice benchmark: ${esc(subtitle)}</title>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" class="h">Sluice vs anchor, medians of interleaved rounds</text>
<text x="12" y="38" class="s">${esc(subtitle)}</text>
<text x="12" y="54" class="s">grey: the anchor (Java's client, or a bare ws server for P5) · green: Sluice at least as good · orange: worse</text>
${higher.svg}
${lower.svg}
</svg>
`;
}
