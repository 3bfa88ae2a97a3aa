/** Terminal formatting for the local console: token amounts and plain tables. */
import { formatUnits } from 'viem'
import { textTable } from '../shared/domain/format.js'

/** Formats wei as tokens with 2 decimals (exact truncation, no float on the amount). */
export function tokens(wei: bigint, decimals = 18): string {
  const s = formatUnits(wei, decimals)
  const [i, f = ''] = s.split('.')
  return `${BigInt(i ?? '0').toLocaleString('en-US')}.${(`${f}00`).slice(0, 2)}`
}

/** Renders rows as an aligned text table fitted to the terminal (COLUMNS, else its width, else 100). */
export function table(header: string[], rows: string[][]): string {
  return textTable(header, rows, { width: Math.max(60, Number(process.env.COLUMNS) || process.stdout.columns || 100) })
}
