/** What scoring produces (score.ts): the figures and terms of every service, operator, pair and position, and the bands. */
import type { Address, ServiceId } from './types.js'
import type { ScoreTerm } from './terms.js'
import type { SecurityFigures } from './security.js'

/** Risk band of a score. */
export type Band = 'low' | 'medium' | 'high' | 'critical'

/** Category of a score term; the three risk categories plus yield. */
export type { ScoreCategory, ScoreTerm } from './terms.js'

/** Band thresholds on the 0–100 risk score (lower bound of each band). */
export const BAND_THRESHOLDS = { medium: 25, high: 50, critical: 75 } as const

/** Weights of the three risk categories in the risk score. */
export const RISK_WEIGHTS = { slashing: 0.5, contract: 0.25, centralization: 0.25 } as const

/**
 * Multiplier on the expected loss of a redistributing operator set (Service.redistributing): a slash pays the AVS's
 * chosen recipient instead of burning, so the party that decides to slash gains from it. 2 = such a set is scored as
 * twice as likely to slash as the same set with burning.
 */
export const REDISTRIBUTION_LOSS_FACTOR = 2

/** Where a severity came from. */
export type SeveritySource = 'policy' | 'history' | 'default'
/** Where a contract haircut came from. */
export type HaircutSource = 'policy' | 'contractRisk' | 'default'

/** Scores of one service. */
export interface ServiceScore {
  service: ServiceId
  label: string
  rewardRatePerYear: number
  /** Distinct slash events (operator, capture timestamp) observed in the service. */
  slashEvents: number
  exposureYears: number
  /** Probability per year that the service slashes (anyone), Beta prior. */
  slashProbabilityPerYear: number
  severity: number
  severitySource: SeveritySource
  haircut: number
  haircutSource: HaircutSource
  /** Contract factor h = 1 + haircut, multiplies expected loss. */
  contractFactor: number
  /** p_s · sev_s · h_s per year. */
  expectedLossPerYear: number
  /** Operators opted into the service. */
  operatorCount: number
  /** Herfindahl index of the opted-in operators' total restaked stake. */
  operatorHerfindahl: number
  /** Risk score 0 (safest) … 100 (riskiest). */
  score: number
  band: Band
  terms: ScoreTerm[]
}

/** Scores of one operator. */
export interface OperatorScore {
  operator: Address
  label: string
  commission: number
  commissionSource: 'chain' | 'policy'
  /** Services (known to the universe) the operator is opted into. */
  serviceCount: number
  /** 1 − Π_s (1 − p_{o,s}) over its services. */
  compoundedSlashProbability: number
  /** Σ_s p·sev·h over its services: the loss rate if one unit of stake secured all of them. */
  expectedLossPerYear: number
  /** Operator's share of all restaked stake in the universe. */
  concentration: number
  totalRestakedStake: bigint
  /** Best net value per year among its pairs (0 when none). */
  bestNetValuePerYear: number
  score: number
  band: Band
  terms: ScoreTerm[]
}

/** Scores of one (operator, service) pair: the LP objective coefficient and risk row come from here. */
export interface PairScore {
  service: ServiceId
  operator: Address
  rewardRatePerYear: number
  commission: number
  /** r_s · (1 − c_o). */
  netYieldPerYear: number
  slashes: number
  exposureYears: number
  slashProbabilityPerYear: number
  probabilitySource: 'estimate' | 'override'
  severity: number
  contractFactor: number
  /** p · sev · h. */
  expectedLossPerYear: number
  /** r(1 − c) − p·sev·h: what one unit of stake earns net of expected loss, per year. */
  netValuePerYear: number
  score: number
  band: Band
  terms: ScoreTerm[]
}

/** Allocation figures of one position at scoring time. */
export interface PositionScore {
  position: string
  activeStake: bigint
  /** Σ of current pair stakes (can exceed active stake with restaking). */
  allocatedStake: bigint
  /** Herfindahl index of current stake across operators. */
  herfindahl: number
}

/** Everything scoring produces; every list sorted by id. */
export interface UniverseScores {
  chainId: number
  blockNumber: bigint
  now: bigint
  services: ServiceScore[]
  operators: OperatorScore[]
  /** Sorted by (service, operator). */
  pairs: PairScore[]
  totalRestakedStake: bigint
  /** Herfindahl index of our current allocation across operators (managed positions together). */
  herfindahl: number
  positions: PositionScore[]
  bandThresholds: typeof BAND_THRESHOLDS
  /** Cryptoeconomic security (security.ts, docs/risk.md); absent in runs recorded before it existed. */
  security?: SecurityFigures
}

/** Options of {@link scoreUniverse}. */
export interface ScoreUniverseOptions {
  /** Unix seconds: end of the exposure window. */
  now: bigint
}
