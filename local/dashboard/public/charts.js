// Two small inline-SVG charts written for this page: allocation over time (stacked steps) and yield vs risk (scatter).
import { h, pct, s } from './dom.js'

/** Colour-blind-friendly palette (Okabe–Ito, then greys and purples). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#8c6bb1', '#F0E442', '#666666', '#1b9e77', '#a6761d', '#e7298a']
/** Conservative size of an 11 px label: width per character and line height (what the browser draws, plus a margin). */
const LABEL_CHAR_PX = 7
const LABEL_LINE_PX = 15
/** Band colours. */
export const BAND_COLORS = { low: '#1a9850', medium: '#d9a400', high: '#f46d43', critical: '#b2182b' }

/** "Nice" ticks over [min, max]. */
export function ticks(min, max, count = 5) {
  if (!(max > min)) return [min]
  const raw = (max - min) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) ?? raw
  const out = []
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(10)))
  return out
}

function frame({ width, height, xmin, xmax, ymin, ymax, margin = { l: 62, r: 14, t: 12, b: 34 } }) {
  const sx = (x) => margin.l + ((x - xmin) / (xmax - xmin || 1)) * (width - margin.l - margin.r)
  const sy = (y) => height - margin.b - ((y - ymin) / (ymax - ymin || 1)) * (height - margin.t - margin.b)
  return { sx, sy, margin }
}

function legend(items) {
  return h('div', { class: 'legend' }, items.map((it) => h('span', {}, h('i', { class: 'swatch', 'data-color': it.color }), it.name)))
}

/** Paints legend swatches (CSSOM, allowed by the page's CSP, unlike inline style attributes). */
export function paintSwatches(root) {
  for (const el of root.querySelectorAll('i.swatch[data-color]')) el.style.background = el.dataset.color
}

const fmtTime = (t, span) => {
  const d = new Date(t)
  const p = (n) => String(n).padStart(2, '0')
  return span > 2 * 86_400_000 ? `${d.getMonth() + 1}/${d.getDate()}` : `${p(d.getHours())}:${p(d.getMinutes())}${span < 600_000 ? `:${p(d.getSeconds())}` : ''}`
}

/**
 * Stacked step chart of stake per operator over time.
 * @param {{ operators: string[], points: { t: number, label: string, values: Record<string, number> }[] }} history
 * @param {{ unit: string }} opts
 */
export function allocationChart(history, opts) {
  const width = opts.width ?? 640
  const height = 280
  const pts = history.points
  if (pts.length === 0) return h('p', { class: 'muted', text: 'No allocation recorded yet.' })
  const ts = pts.map((p) => p.t)
  let xmin = Math.min(...ts)
  let xmax = Math.max(...ts)
  if (xmax === xmin) {
    xmin -= 60_000
    xmax += 1
  }
  const totals = pts.map((p) => history.operators.reduce((a, op) => a + (p.values[op] ?? 0), 0))
  const ymax = Math.max(1, ...totals) * 1.08
  const f = frame({ width, height, xmin, xmax, ymin: 0, ymax })
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Allocation over time' })
  for (const v of ticks(0, ymax)) {
    svg.append(s('line', { x1: f.margin.l, x2: width - f.margin.r, y1: f.sy(v), y2: f.sy(v), class: 'grid' }), s('text', { x: f.margin.l - 6, y: f.sy(v) + 4, 'text-anchor': 'end', class: 'tick', text: v.toLocaleString('en-US') }))
  }
  let lastTick = ''
  // One time label per ~80 px, so labels never run into each other at any width.
  for (const v of ticks(xmin, xmax, Math.max(2, Math.floor((width - f.margin.l - f.margin.r) / 80)))) {
    const text = fmtTime(v, xmax - xmin)
    // Skip a repeated label, and one at the origin (the y axis' 0 label is there).
    if (text === lastTick || f.sx(v) < f.margin.l + 24) continue
    lastTick = text
    svg.append(s('text', { x: f.sx(v), y: height - f.margin.b + 16, 'text-anchor': 'middle', class: 'tick', text }))
  }
  // Steps: each point's allocation holds until the next point.
  const xs = pts.map((p, i) => [f.sx(p.t), f.sx(i + 1 < pts.length ? pts[i + 1].t : p.t === xmax ? xmax : xmax)])
  if (pts.length === 1) xs[0] = [f.sx(xmin), f.sx(xmax)]
  const base = pts.map(() => 0)
  history.operators.forEach((op, k) => {
    const top = pts.map((p, i) => base[i] + (p.values[op] ?? 0))
    if (top.every((t, i) => t === base[i])) return
    const upper = pts.flatMap((_, i) => [`${xs[i][0].toFixed(1)},${f.sy(top[i]).toFixed(1)}`, `${xs[i][1].toFixed(1)},${f.sy(top[i]).toFixed(1)}`])
    const lower = pts.flatMap((_, i) => [`${xs[i][0].toFixed(1)},${f.sy(base[i]).toFixed(1)}`, `${xs[i][1].toFixed(1)},${f.sy(base[i]).toFixed(1)}`]).reverse()
    svg.append(s('path', { d: `M${upper.join('L')}L${lower.join('L')}Z`, fill: PALETTE[k % PALETTE.length], 'fill-opacity': 0.85, stroke: '#fff', 'stroke-width': 0.6 }, s('title', { text: `${op}: ${pts.map((p) => (p.values[op] ?? 0).toLocaleString('en-US', { maximumFractionDigits: 2 })).slice(-1)[0]} ${opts.unit} now` })))
    top.forEach((t, i) => (base[i] = t))
  })
  for (const p of pts) if (!p.label.startsWith('now')) svg.append(s('line', { x1: f.sx(p.t), x2: f.sx(p.t), y1: f.margin.t, y2: height - f.margin.b, class: 'run-mark' }, s('title', { text: p.label })))
  svg.append(
    s('line', { x1: f.margin.l, x2: width - f.margin.r, y1: height - f.margin.b, y2: height - f.margin.b, class: 'axis' }),
    s('line', { x1: f.margin.l, x2: f.margin.l, y1: f.margin.t, y2: height - f.margin.b, class: 'axis' }),
    s('text', { transform: `translate(12 ${(f.margin.t + height - f.margin.b) / 2}) rotate(-90)`, 'text-anchor': 'middle', class: 'axis-label', text: `${opts.unit} delegated (Σ over services)` }),
  )
  const used = history.operators.filter((op) => pts.some((p) => (p.values[op] ?? 0) > 0))
  return h('figure', {}, svg, legend(used.map((op) => ({ name: op, color: PALETTE[history.operators.indexOf(op) % PALETTE.length] }))))
}

/**
 * Yield vs risk of every operator: x = P(operator slashed) per year over all its services, y = best net yield
 * r·(1−c), bubble area ∝ our stake with it, colour = its band against the policy.
 * @param {{ label: string, netYield: number, compoundedSlashProbability: number, stakeValue: number, band: string, stake: string, expectedLoss: number }[]} operators
 * @param {{ unit: string, limit?: number }} opts
 */
export function yieldRiskChart(operators, opts) {
  const width = opts.width ?? 640
  const height = 280
  if (operators.length === 0) return h('p', { class: 'muted', text: 'No operators read.' })
  const xmax = Math.max(0.02, ...operators.map((o) => o.compoundedSlashProbability), opts.limit ?? 0) * 1.12
  const ymax = Math.max(0.01, ...operators.map((o) => o.netYield)) * 1.15
  const f = frame({ width, height, xmin: 0, xmax, ymin: 0, ymax, margin: { l: 62, r: 18, t: 12, b: 34 } })
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Yield versus risk of operators' })
  for (const v of ticks(0, ymax)) svg.append(s('line', { x1: f.margin.l, x2: width - f.margin.r, y1: f.sy(v), y2: f.sy(v), class: 'grid' }), s('text', { x: f.margin.l - 6, y: f.sy(v) + 4, 'text-anchor': 'end', class: 'tick', text: pct(v, 1) }))
  // No x label at 0: the origin already carries the y axis' 0 label.
  for (const v of ticks(0, xmax, Math.max(2, Math.floor((width - f.margin.l - f.margin.r) / 70))).filter((v) => v > 0)) svg.append(s('text', { x: f.sx(v), y: height - f.margin.b + 16, 'text-anchor': 'middle', class: 'tick', text: pct(v, 1) }))
  // Labels already placed (boxes in SVG units): the policy-limit label first, then each operator's.
  const placed = []
  if (opts.limit !== undefined && opts.limit < xmax) {
    const text = `policy limit ${pct(opts.limit, 0)}`
    placed.push({ x: f.sx(opts.limit) - 4 - LABEL_CHAR_PX * text.length, y: f.margin.t - 2, w: LABEL_CHAR_PX * text.length, h: LABEL_LINE_PX })
    svg.append(s('line', { x1: f.sx(opts.limit), x2: f.sx(opts.limit), y1: f.margin.t, y2: height - f.margin.b, class: 'limit' }), s('text', { x: f.sx(opts.limit) - 4, y: f.margin.t + 10, 'text-anchor': 'end', class: 'limit-label', text }))
  }
  const maxStake = Math.max(1, ...operators.map((o) => o.stakeValue))
  const sorted = [...operators].sort((a, b) => b.stakeValue - a.stakeValue)
  const dots = sorted.map((o) => ({ o, r: 4 + 14 * Math.sqrt(o.stakeValue / maxStake), cx: f.sx(o.compoundedSlashProbability), cy: f.sy(o.netYield) }))
  for (const { o, r, cx, cy } of dots) {
    svg.append(s('circle', { cx, cy, r, fill: BAND_COLORS[o.band] ?? '#888', 'fill-opacity': 0.55, stroke: BAND_COLORS[o.band] ?? '#888', 'stroke-width': 1.5 }, s('title', { text: `${o.label}: net yield ${pct(o.netYield)}/yr, P(operator slashed) ${pct(o.compoundedSlashProbability)}/yr over all its services, expected loss ${pct(o.expectedLoss, 3)}/yr, our stake ${o.stake} ${opts.unit}, band ${o.band} (${o.because})` })))
  }
  // Labels right of their dot (left of it near the right edge); one that would overlap a placed label moves down a
  // line (then up) until free, staying inside the plot.
  const overlaps = (b) => placed.some((p) => b.x < p.x + p.w && p.x < b.x + b.w && b.y < p.y + p.h && p.y < b.y + b.h)
  for (const { o, r, cx, cy } of [...dots].sort((a, b) => a.cy - b.cy || a.cx - b.cx)) {
    const w = LABEL_CHAR_PX * o.label.length
    const box = { x: cx + r + 3 + w > width - 2 ? cx - r - 3 - w : cx + r + 3, y: cy - 8, w, h: LABEL_LINE_PX }
    const inside = (b) => b.y >= 0 && b.y + b.h <= height - f.margin.b
    for (let k = 1; (overlaps(box) || !inside(box)) && k < 30; k++) box.y = cy - 8 + (k % 2 ? 1 : -1) * Math.ceil(k / 2) * LABEL_LINE_PX
    placed.push(box)
    const left = box.x < cx
    if (Math.abs(box.y - (cy - 8)) > 1) svg.append(s('line', { x1: left ? cx - r : cx + r, y1: cy, x2: left ? box.x + box.w + 1 : box.x - 1, y2: box.y + 8, class: 'leader' }))
    svg.append(s('text', { x: box.x, y: box.y + 11, class: 'point-label', text: o.label }))
  }
  svg.append(
    s('line', { x1: f.margin.l, x2: width - f.margin.r, y1: height - f.margin.b, y2: height - f.margin.b, class: 'axis' }),
    s('line', { x1: f.margin.l, x2: f.margin.l, y1: f.margin.t, y2: height - f.margin.b, class: 'axis' }),
    s('text', { x: (f.margin.l + width - f.margin.r) / 2, y: height - 4, 'text-anchor': 'middle', class: 'axis-label', text: width < 480 ? 'P(operator slashed)/yr, all its services →' : 'P(operator slashed) per year, over all its services (risk →)' }),
    s('text', { transform: `translate(12 ${(f.margin.t + height - f.margin.b) / 2}) rotate(-90)`, 'text-anchor': 'middle', class: 'axis-label', text: 'best net yield r·(1−c) per year' }),
  )
  return h('figure', {}, svg, legend(Object.entries(BAND_COLORS).map(([name, color]) => ({ name: `${name} vs policy`, color }))), h('p', { class: 'note', text: 'Bubble area ∝ our stake with the operator.' }))
}

/**
 * Realised rewards, losses and net over chain time, cumulative (step lines at each period's end).
 * @param {{ end: string, cumulativeRewardsValue: number, cumulativeLossesValue: number }[]} periods oldest first
 * @param {{ unit: string, width?: number }} opts
 */
export function realisedChart(periods, opts) {
  const width = opts.width ?? 640
  const height = 240
  if (periods.length === 0) return h('p', { class: 'muted', text: 'Nothing realised yet.' })
  const pts = [{ t: new Date(periods[0].start).getTime(), r: 0, l: 0 }, ...periods.map((p) => ({ t: new Date(p.end).getTime(), r: p.cumulativeRewardsValue, l: p.cumulativeLossesValue }))]
  const xmin = pts[0].t
  const xmax = Math.max(xmin + 1, pts[pts.length - 1].t)
  const ymin = Math.min(0, ...pts.map((p) => p.r - p.l), ...pts.map((p) => -p.l))
  const ymax = Math.max(1e-9, ...pts.map((p) => p.r)) * 1.08
  const f = frame({ width, height, xmin, xmax, ymin: ymin * 1.08, ymax })
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Realised rewards and losses over chain time' })
  const yTicks = ticks(ymin * 1.08, ymax, Math.max(2, Math.floor((height - f.margin.t - f.margin.b) / LABEL_LINE_PX / 2)))
  for (const v of yTicks) svg.append(s('line', { x1: f.margin.l, x2: width - f.margin.r, y1: f.sy(v), y2: f.sy(v), class: 'grid' }), s('text', { x: f.margin.l - 6, y: f.sy(v) + 4, 'text-anchor': 'end', class: 'tick', text: v.toLocaleString('en-US', { maximumFractionDigits: 4 }) }))
  let lastTick = ''
  let lastX = -Infinity
  for (const v of ticks(xmin, xmax, Math.max(2, Math.floor((width - f.margin.l - f.margin.r) / 80)))) {
    const text = fmtTime(v, xmax - xmin)
    const x = f.sx(v)
    // Skip a repeated label, one at the origin, and one that would touch the previous label.
    if (text === lastTick || x < f.margin.l + 24 || x - lastX < text.length * LABEL_CHAR_PX + 6) continue
    lastTick = text
    lastX = x
    svg.append(s('text', { x, y: height - f.margin.b + 16, 'text-anchor': 'middle', class: 'tick', text }))
  }
  const series = [
    { name: `rewards, cumulative (${opts.unit})`, color: '#009E73', y: (p) => p.r },
    { name: `slashed, cumulative (${opts.unit}, below 0)`, color: '#D55E00', y: (p) => -p.l },
    { name: `net realised (${opts.unit})`, color: '#0072B2', y: (p) => p.r - p.l },
  ]
  for (const k of series) {
    const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${f.sx(p.t).toFixed(1)},${f.sy(i === 0 ? 0 : k.y(pts[i - 1])).toFixed(1)}L${f.sx(p.t).toFixed(1)},${f.sy(k.y(p)).toFixed(1)}`).join('')
    svg.append(s('path', { d, fill: 'none', stroke: k.color, 'stroke-width': 2 }, s('title', { text: `${k.name}: ${k.y(pts[pts.length - 1]).toLocaleString('en-US', { maximumFractionDigits: 4 })}` })))
  }
  svg.append(
    s('line', { x1: f.margin.l, x2: width - f.margin.r, y1: f.sy(0), y2: f.sy(0), class: 'axis' }),
    s('line', { x1: f.margin.l, x2: f.margin.l, y1: f.margin.t, y2: height - f.margin.b, class: 'axis' }),
    s('text', { transform: `translate(12 ${(f.margin.t + height - f.margin.b) / 2}) rotate(-90)`, 'text-anchor': 'middle', class: 'axis-label', text: `${opts.unit}, chain time` }),
  )
  return h('figure', { 'data-testid': 'realised-chart' }, svg, legend(series.map((k) => ({ name: k.name, color: k.color }))))
}
