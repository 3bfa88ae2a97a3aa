/** The explained figure every score, security check and plan figure is made of. */

/** Which part of the risk a term belongs to. */
export type ScoreCategory = 'slashing' | 'contract' | 'centralization' | 'yield' | 'security'

/** One number that went into a score, with its unit and a sentence saying where it came from. */
export interface ScoreTerm {
  /** Short stable name, e.g. `slash probability p`. */
  name: string
  value: number
  /** `fraction`, `%/yr` (value is a fraction per year), `count`, `years`, `score`, `x` (multiplier), `tokens` (whole collateral tokens). */
  unit: 'fraction' | '%/yr' | 'count' | 'years' | 'score' | 'x' | 'weight' | 'tokens'
  category?: ScoreCategory
  explanation: string
}
