/** Terminal formatting for the local console: token amounts and plain tables. */
import { formatUnits } from 'viem'

/** Formats wei as tokens with 2 decimals (exact truncation, no float on the amount). */
export function tokens(wei: bigint, decimals = 18): string {
  const s = formatUnits(wei, decimals)
  const [i, f = ''] = s.split('.')
  return `${BigInt(i ?? '0').toLocaleString('en-US')}.${(`${f}00`).slice(0, 2)}`
}

/** Renders rows as an aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}
