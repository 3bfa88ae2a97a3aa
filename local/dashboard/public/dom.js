// Tiny DOM helpers: every text goes through textContent (never innerHTML), so data cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg'

/**
 * Creates an HTML element.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs] class, dataset-like `data-*`, title, … (`text` sets textContent)
 * @param {...(Node|string|number|null|undefined|false|Array<Node|string>)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'text') el.textContent = String(v)
    else if (k === 'onclick' && typeof v === 'function') el.addEventListener('click', v)
    else el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

/**
 * Creates an SVG element.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node|string|null|undefined|false|Array<Node|string>)} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'text') el.textContent = String(v)
    else el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

/** @param {number} f fraction → "12.34 %" */
export const pct = (f, digits = 2) => (Number.isFinite(f) ? `${(f * 100).toFixed(digits)} %` : '—')

/** @param {string} hash → "0x1234…abcd" */
export const shortHash = (hash) => (hash && hash.length > 14 ? `${hash.slice(0, 8)}…${hash.slice(-6)}` : hash ?? '')

/** @param {string} iso → local "YYYY-MM-DD HH:MM:SS" */
export function when(iso) {
  const d = new Date(iso)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** A coloured badge for a band or a status. */
export function badge(text, kind = text) {
  return h('span', { class: `badge b-${String(kind).replace(/[^a-z-]/gi, '')}`, text })
}
