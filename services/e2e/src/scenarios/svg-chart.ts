// Small static SVG charts for the HTML report (no script, no CDN): lines and
// stacked bars over seconds, with the fault window shaded.
const width = 760;
const height = 170;
const pad = { left: 46, right: 12, top: 12, bottom: 24 };

export interface Series {
  name: string;
  color: string;
  values: Array<{ x: number; y: number | undefined }>;
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

function frame(xMax: number, yMax: number, window: { from: number; to: number } | undefined, title: string, body: string, legend: Series[]): string {
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const sx = (x: number) => pad.left + (xMax === 0 ? 0 : (x / xMax) * w);
  const ticks = [0, 0.5, 1].map((f) => {
    const y = pad.top + h - f * h;
    return `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/><text x="${pad.left - 4}" y="${y + 4}" text-anchor="end" font-size="10">${Math.round(yMax * f)}</text>`;
  });
  const xticks = Array.from({ length: Math.floor(xMax / 5) + 1 }, (_, i) => i * 5).map((x) => `<text x="${sx(x)}" y="${height - 8}" text-anchor="middle" font-size="10">${x}s</text>`);
  const shade = window ? `<rect x="${sx(window.from)}" y="${pad.top}" width="${Math.max(1, sx(window.to) - sx(window.from))}" height="${h}" fill="#f8d7da" opacity="0.6"><title>fault in place</title></rect>` : "";
  const keys = legend.map((s, i) => `<rect x="${pad.left + i * 130}" y="0" width="10" height="10" fill="${s.color}"/><text x="${pad.left + 14 + i * 130}" y="9" font-size="10">${escape(s.name)}</text>`).join("");
  return `<figure><figcaption>${escape(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escape(title)}">${shade}${ticks.join("")}${xticks.join("")}${body}<g transform="translate(0,${height - 12})">${keys}</g></svg></figure>`;
}

export function lineChart(title: string, series: Series[], window?: { from: number; to: number }): string {
  const xs = series.flatMap((s) => s.values.map((v) => v.x));
  const ys = series.flatMap((s) => s.values.flatMap((v) => (v.y === undefined ? [] : [v.y])));
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(1, ...ys);
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const sx = (x: number) => pad.left + (x / xMax) * w;
  const sy = (y: number) => pad.top + h - (y / yMax) * h;
  const paths = series.map((s) => {
    const points = s.values.filter((v) => v.y !== undefined).map((v) => `${sx(v.x).toFixed(1)},${sy(v.y!).toFixed(1)}`);
    return points.length === 0 ? "" : `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${points.join(" ")}"><title>${escape(s.name)}</title></polyline>`;
  });
  return frame(xMax, yMax, window, title, paths.join(""), series);
}

export function stackedBars(title: string, series: Series[], window?: { from: number; to: number }): string {
  const xs = series.flatMap((s) => s.values.map((v) => v.x));
  const xMax = Math.max(1, ...xs) + 1;
  const totals = new Map<number, number>();
  for (const s of series) for (const v of s.values) totals.set(v.x, (totals.get(v.x) ?? 0) + (v.y ?? 0));
  const yMax = Math.max(1, ...totals.values());
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const bw = Math.max(1, (w / xMax) * 0.8);
  const base = new Map<number, number>();
  const rects: string[] = [];
  for (const s of series) {
    for (const v of s.values) {
      if (!v.y) continue;
      const below = base.get(v.x) ?? 0;
      const y = pad.top + h - ((below + v.y) / yMax) * h;
      rects.push(`<rect x="${(pad.left + (v.x / xMax) * w).toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${((v.y / yMax) * h).toFixed(1)}" fill="${s.color}"><title>${v.x}s: ${v.y} ${escape(s.name)}</title></rect>`);
      base.set(v.x, below + v.y);
    }
  }
  return frame(xMax, yMax, window, title, rects.join(""), series);
}
