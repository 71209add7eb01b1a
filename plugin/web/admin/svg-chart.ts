/**
 * Server-rendered charts: a pure function from numbers and labels to SVG markup, so the admin
 * pages need no client-side chart library (and work with JavaScript off). Every label goes
 * through `escapeXml`; the numbers are ours. The SVG carries `role="img"`, a `<title>` and a
 * `<desc>` naming every value, so a screen reader hears the figures the bars show.
 */
export interface Bar {
  label: string;
  value: number;
  /** The value as the page writes it (formatted for the locale). */
  display: string;
}

export interface BarChartInput {
  id: string;
  title: string;
  /** A sentence introducing the figures; each bar's "label: value" is appended. */
  desc: string;
  bars: readonly Bar[];
  width?: number;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

const ROW = 28;
const LABEL = 150;
const VALUE = 90;

/** Horizontal bars, one row each, scaled to the largest value (negative values draw as 0). */
export function barChart(input: BarChartInput): string {
  const width = input.width ?? 520;
  const plot = width - LABEL - VALUE;
  const max = Math.max(1, ...input.bars.map((b) => b.value));
  const height = Math.max(1, input.bars.length) * ROW + 8;
  const id = input.id.replace(/[^A-Za-z0-9_-]/g, '');
  const desc = `${input.desc} ${input.bars.map((b) => `${b.label}: ${b.display}`).join('; ')}`;
  const rows = input.bars.map((b, i) => {
    const y = 4 + i * ROW;
    const w = Math.round((Math.max(0, b.value) / max) * plot);
    return [
      `<text x="${LABEL - 8}" y="${y + 18}" text-anchor="end" font-size="13" fill="currentColor" class="chart-label">${escapeXml(b.label)}</text>`,
      `<rect x="${LABEL}" y="${y + 4}" width="${w}" height="${ROW - 10}" class="chart-bar" fill="#3566a8"></rect>`,
      `<text x="${LABEL + w + 6}" y="${y + 18}" font-size="13" fill="currentColor" class="chart-value">${escapeXml(b.display)}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" aria-labelledby="${id}-title ${id}-desc" class="chart">`,
    `<title id="${id}-title">${escapeXml(input.title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(desc)}</desc>`,
    ...rows,
    '</svg>',
  ].join('');
}
