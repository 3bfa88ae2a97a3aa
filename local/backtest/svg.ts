/** Small inline-SVG charts for the backtest report (no scripts, no external assets): line and stacked-area charts. */

/** One named series of (x, y) points. */
export interface Series {
  name: string
  color: string
  points: { x: number; y: number }[]
  /** Dashed stroke (e.g. the baseline). */
  dashed?: boolean
}

/** Options of the charts. */
export interface ChartOptions {
  title: string
  xLabel: string
  yLabel: string
  width?: number
  height?: number
  /** Formats a y tick. */
  formatY?: (v: number) => string
}

/** Escapes text for HTML/SVG content and attributes. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string)
}

/** A qualitative palette (colour-blind friendly, Okabe–Ito plus greys). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#999999', '#7f5fbf'] as const

/** "Nice" tick values covering [min, max]. */
export function ticks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min]
  const raw = (max - min) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw
  const out: number[] = []
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(10)))
  return out
}

function frame(o: ChartOptions, xs: number[], ys: number[]) {
  const width = o.width ?? 640
  const height = o.height ?? 260
  const m = { l: 64, r: 16, t: 28, b: 40 }
  const xmin = Math.min(...xs)
  const xmax = Math.max(...xs)
  let ymin = Math.min(...ys)
  let ymax = Math.max(...ys)
  if (ymax === ymin) {
    ymax += Math.abs(ymax) * 0.01 || 1
    ymin -= Math.abs(ymin) * 0.01 || 0
  }
  const pad = (ymax - ymin) * 0.05
  ymax += pad
  ymin = ymin - pad < 0 && ymin >= 0 ? 0 : ymin - pad
  const sx = (x: number) => m.l + ((x - xmin) / (xmax - xmin || 1)) * (width - m.l - m.r)
  const sy = (y: number) => height - m.b - ((y - ymin) / (ymax - ymin)) * (height - m.t - m.b)
  const fy = o.formatY ?? ((v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 2 }))
  const grid = [
    ...ticks(ymin, ymax).map(
      (v) => `<line x1="${m.l}" x2="${width - m.r}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#e3e3e3"/><text x="${m.l - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#555">${esc(fy(v))}</text>`,
    ),
    ...ticks(xmin, xmax, 7).map((v) => `<text x="${sx(v).toFixed(1)}" y="${height - m.b + 16}" text-anchor="middle" font-size="11" fill="#555">${esc(String(v))}</text>`),
  ].join('')
  const axes = `<line x1="${m.l}" x2="${width - m.r}" y1="${height - m.b}" y2="${height - m.b}" stroke="#888"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${height - m.b}" stroke="#888"/>`
  const labels = `<text x="${m.l}" y="16" font-size="13" font-weight="600" fill="#222">${esc(o.title)}</text><text x="${(m.l + width - m.r) / 2}" y="${height - 6}" text-anchor="middle" font-size="11" fill="#555">${esc(o.xLabel)}</text><text transform="translate(12 ${(m.t + height - m.b) / 2}) rotate(-90)" text-anchor="middle" font-size="11" fill="#555">${esc(o.yLabel)}</text>`
  return { width, height, m, sx, sy, grid, axes, labels }
}

function legend(series: { name: string; color: string; dashed?: boolean }[]): string {
  return `<div class="legend">${series.map((s) => `<span><i style="background:${esc(s.color)}${s.dashed ? ';opacity:.6' : ''}"></i>${esc(s.name)}</span>`).join('')}</div>`
}

/** A line chart; returns `<figure>` HTML with the SVG and a legend. */
export function lineChart(series: Series[], o: ChartOptions): string {
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const ys = series.flatMap((s) => s.points.map((p) => p.y))
  if (xs.length === 0) return ''
  const f = frame(o, xs, ys)
  const paths = series
    .map((s) => {
      const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f.sx(p.x).toFixed(1)},${f.sy(p.y).toFixed(1)}`).join('')
      return `<path d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${esc(s.name)}</title></path>`
    })
    .join('')
  return `<figure><svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${esc(o.title)}">${f.grid}${f.axes}${paths}${f.labels}</svg>${legend(series)}</figure>`
}

/** A stacked-area chart (series stacked in order); every series must share the same x values. */
export function stackedArea(series: Series[], o: ChartOptions): string {
  const xs = series[0]?.points.map((p) => p.x) ?? []
  if (xs.length === 0) return ''
  const totals = xs.map((_, i) => series.reduce((a, s) => a + (s.points[i]?.y ?? 0), 0))
  const f = frame(o, xs, [0, ...totals])
  const base = xs.map(() => 0)
  const areas: string[] = []
  for (const s of series) {
    const top = s.points.map((p, i) => base[i]! + p.y)
    if (top.every((t, i) => t === base[i])) continue
    const up = xs.map((x, i) => `${f.sx(x).toFixed(1)},${f.sy(top[i]!).toFixed(1)}`)
    const down = xs.map((x, i) => `${f.sx(x).toFixed(1)},${f.sy(base[i]!).toFixed(1)}`).reverse()
    areas.push(`<path d="M${up.join('L')}L${down.join('L')}Z" fill="${esc(s.color)}" fill-opacity="0.8" stroke="#fff" stroke-width="0.5"><title>${esc(s.name)}</title></path>`)
    top.forEach((t, i) => (base[i] = t))
  }
  return `<figure><svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${esc(o.title)}">${f.grid}${areas.join('')}${f.axes}${f.labels}</svg>${legend(series.filter((s) => s.points.some((p) => p.y > 0)))}</figure>`
}
