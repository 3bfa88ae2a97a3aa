/** Small, deterministic text formatters shared by score terms, diff reasons and explain tables. */

/** Seconds in the year used by every annualised figure (365 days). */
export const SECONDS_PER_YEAR = 31_536_000n

/**
 * Formats a fraction as a percentage: `pct(0.0312)` → `"3.12 %"`.
 * @param f fraction (1 = 100 %)
 * @param digits significant decimals (default 2)
 */
export function pct(f: number, digits = 2): string {
  if (!Number.isFinite(f)) return `${f}`
  const v = f * 100
  const abs = Math.abs(v)
  // Small numbers keep two significant digits so that 0.004 % does not print as 0.00 %.
  const d = abs !== 0 && abs < 10 ** -digits ? Math.min(12, Math.ceil(-Math.log10(abs)) + 1) : digits
  return `${v.toFixed(d)} %`
}

/** Shortens an address or service id for tables: `0xabcd…1234`. */
export function short(id: string): string {
  return id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id
}

/**
 * Formats a wei amount as decimal units (18 decimals assumed, trailing zeros trimmed): `1500000000000000000n` → `"1.5"`.
 * @param wei amount in wei
 * @param decimals token decimals (default 18)
 * @param maxFraction max fraction digits shown (default 6)
 */
export function units(wei: bigint, decimals = 18, maxFraction = 6): string {
  const neg = wei < 0n
  const a = neg ? -wei : wei
  const base = 10n ** BigInt(decimals)
  const whole = a / base
  let frac = (a % base).toString().padStart(decimals, '0').slice(0, maxFraction).replace(/0+$/, '')
  if (frac === '' && a % base !== 0n && whole === 0n) frac = `${'0'.repeat(maxFraction - 1)}1` // show dust as 0.000001
  const w = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${neg ? '-' : ''}${w}${frac ? `.${frac}` : ''}`
}

/** Formats a float amount of wei (e.g. a yearly yield) as decimal units with 6 significant decimals. */
export function unitsFloat(wei: number, decimals = 18): string {
  const v = wei / 10 ** decimals
  return `${Number(v.toPrecision(6))}`
}

/** Formats a number with at most `digits` significant digits, no exponent for normal ranges. */
export function num(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return `${v}`
  if (v === 0) return '0'
  return `${Number(v.toPrecision(digits))}`
}

/**
 * The same string, held as one run of characters. V8 keeps a string made by concatenation (a template literal of many
 * parts) as a tree of its parts until its characters are first read; reading one character makes it one run and lets
 * the parts go. A plan keeps thousands of such sentences (target reasons, binding messages), where the tree took about
 * four times the text: 4.3 MB a plan at bench size, 3.1 MB with the sentences flat (docs/risk.md §3).
 * @returns s itself (same value)
 */
export function flat(s: string): string {
  s.charCodeAt(0)
  return s
}

/** Compares two strings by code unit (locale-independent, deterministic). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** JSON.stringify replacer that prints bigint as a decimal string (for logs, hashes and byte-identical output checks). */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

/** Options of {@link textTable}. */
export interface TextTableOptions {
  /** Columns (besides the first, always left) that are left-aligned text; the others are right-aligned numbers. */
  left?: number[]
  /** Widest line allowed (e.g. the terminal's columns); default unlimited. */
  width?: number
  /** Character of the rule under the header (default '─'). */
  rule?: string
}

/** Shortens a cell to `w` characters: hex ids keep both ends (`0x12…cdef`), other text ends with "…". */
export function clip(text: string, w: number): string {
  if (text.length <= w) return text
  if (w <= 1) return '…'.slice(0, w)
  if (/^0x[0-9a-fA-F]+$/.test(text)) return `${text.slice(0, Math.ceil((w - 1) / 2))}…${text.slice(text.length - Math.floor((w - 1) / 2))}`
  return `${text.slice(0, w - 1)}…`
}

/** Word-wraps one line to `w` characters (words longer than `w` are cut). */
export function wrap(text: string, w: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    for (let rest = word; rest.length > 0; ) {
      const piece = rest.length > w ? rest.slice(0, w) : rest
      rest = rest.slice(piece.length)
      if (line === '') line = piece
      else if (line.length + 1 + piece.length <= w) line += ` ${piece}`
      else {
        out.push(line)
        line = piece
      }
    }
  }
  out.push(line)
  return out
}

/**
 * An aligned text table that fits `width`: the last column, when it is text, wraps onto continuation lines; then the
 * widest text columns are shortened with "…" (hex ids keep both ends). Numbers are never cut.
 */
export function textTable(header: string[], rows: string[][], opts: TextTableOptions = {}): string {
  const isText = (i: number) => i === 0 || (opts.left ?? []).includes(i)
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)
  const max = opts.width ?? Number.POSITIVE_INFINITY
  const last = widths.length - 1
  const wraps = last > 0 && isText(last)
  if (wraps && total() > max) widths[last] = Math.max(Math.min(widths[last]!, 24), widths[last]! - (total() - max))
  while (total() > max) {
    // Shorten the widest text column (never below 8, nor the last one that wraps).
    let k = -1
    for (let i = 0; i < widths.length; i++) if (isText(i) && !(wraps && i === last) && widths[i]! > 8 && (k === -1 || widths[i]! > widths[k]!)) k = i
    if (k === -1) break
    widths[k] = Math.max(8, widths[k]! - (total() - max))
  }
  const lines = (cells: string[]): string[] => {
    const lastLines = wraps ? wrap(cells[last] ?? '', widths[last]!) : [cells[last] ?? '']
    const first = cells.map((c, i) => (wraps && i === last ? lastLines[0]! : clip(c, widths[i]!)))
    const pad = (c: string, i: number) => (isText(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))
    const indent = ' '.repeat(Math.max(0, total() - widths[last]!))
    return [first.map(pad).join('  ').trimEnd(), ...lastLines.slice(1).map((l) => `${indent}${l}`.trimEnd())]
  }
  return [...lines(header), widths.map((w) => (opts.rule ?? '─').repeat(w)).join('  '), ...rows.flatMap(lines)].join('\n')
}
