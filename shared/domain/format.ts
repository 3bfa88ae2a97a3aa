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

/** Compares two strings by code unit (locale-independent, deterministic). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** JSON.stringify replacer that prints bigint as a decimal string (for logs, hashes and byte-identical output checks). */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}
