import { describe, expect, it } from 'vitest'
import { fitLines } from '../../local/cli/common.js'
import { clip, textTable, wrap } from '../../shared/domain/format.js'

const HASH = `0x${'0123456789abcdef'.repeat(4)}`
const rows = Array.from({ length: 5 }, (_, i) => [
  `2026-12-05 05:0${i}:00`,
  'rebalance',
  'succeeded',
  String(1000 + i),
  '3',
  `rebalance-2026-12-05T05-0${i}-00-000Z-1a2b3c4d`,
  HASH,
  `3 call(s), expected +1.2345 lsETH/yr (+4.1 bps/yr net of gas), est. gas 0.000240 ETH; moved op-atlas out of bridge-net/0 because its P(slashed) rose`,
])

describe('Function: textTable (fitted to a width)', () => {
  it('keeps every line within 100 columns, wrapping the last text column and never cutting numbers', () => {
    const out = textTable(['started (UTC)', 'kind', 'status', 'block', 'calls', 'run', 'tx', 'what'], rows, { left: [1, 2, 5, 6, 7], width: 100 })
    const lines = out.split('\n')
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100)
    for (const r of rows) expect(out).toContain(r[3]!)
    // The wrapped text is all there, word for word.
    expect(out.replace(/\s+/g, ' ')).toContain('est. gas 0.000240 ETH;')
    expect(out).toContain('rose')
    // The hash keeps both ends.
    expect(out).toMatch(/0x0[0-9a-f]*…[0-9a-f]*f\s/)
  })

  it('prints the natural table when it fits', () => {
    expect(textTable(['a', 'bb'], [['xyz', '1']], { width: 100 })).toBe('a    bb\n───  ──\nxyz   1')
  })

  it('clips hex ids in the middle and text at the end; wraps at word boundaries', () => {
    expect(clip(HASH, 11)).toBe('0x012…bcdef')
    expect(clip('abcdefghij', 5)).toBe('abcd…')
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four'])
  })

  it('fitLines wraps long prose lines keeping their indentation', () => {
    const text = `  ${'word '.repeat(40).trim()}`
    const out = fitLines(text, 60).split('\n')
    expect(out.length).toBeGreaterThan(1)
    for (const l of out) expect(l.length).toBeLessThanOrEqual(60)
    expect(out[1]!.startsWith('    word')).toBe(true)
  })
})
