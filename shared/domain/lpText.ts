import type { LpBlock, LpModel } from './lpModel.js'

/**
 * Writes the model as one CPLEX LP text (all blocks in one monolithic LP), for HiGHS.
 * Columns are named `c<block>_<col>`, rows `r<block>_<row>`.
 */
export function toCplexLp(model: LpModel): string {
  const parts: string[] = ['Maximize\n obj:']
  let any = false
  const fmt = (v: number) => (Object.is(v, -0) ? '0' : `${v}`)
  for (let b = 0; b < model.blocks.length; b++) {
    const bl = model.blocks[b] as LpBlock
    for (let c = 0; c < bl.nCols; c++) {
      const v = bl.colCost[c] as number
      if (v === 0) continue
      parts.push(v < 0 ? ` - ${fmt(-v)} c${b}_${c}` : ` + ${fmt(v)} c${b}_${c}`)
      any = true
    }
  }
  if (!any) parts.push(' 0 c_dummy')
  parts.push('\nSubject To\n')
  for (let b = 0; b < model.blocks.length; b++) {
    const bl = model.blocks[b] as LpBlock
    for (let r = 0; r < bl.nRows; r++) {
      const s = bl.rowStart[r] as number
      const e = bl.rowStart[r + 1] as number
      if (s === e) continue
      let line = ` r${b}_${r}:`
      for (let k = s; k < e; k++) {
        const a = bl.rowVal[k] as number
        line += a < 0 ? ` - ${fmt(-a)} c${b}_${bl.rowCol[k]}` : ` + ${fmt(a)} c${b}_${bl.rowCol[k]}`
      }
      parts.push(`${line} <= ${fmt(bl.rowRhs[r] as number)}\n`)
    }
  }
  parts.push('Bounds\n')
  for (let b = 0; b < model.blocks.length; b++) {
    const bl = model.blocks[b] as LpBlock
    for (let c = 0; c < bl.nCols; c++) {
      const lo = bl.colLower[c] as number
      const hi = bl.colUpper[c] as number
      parts.push(` ${fmt(lo)} <= c${b}_${c} <= ${hi === Infinity ? '+inf' : fmt(hi)}\n`)
    }
  }
  if (!any) parts.push(' c_dummy = 0\n')
  parts.push('End\n')
  return parts.join('')
}
