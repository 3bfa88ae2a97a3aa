/**
 * The pure, protocol-neutral domain of restake-autopilot: types, policy, score, bands, LP, plan, decision, what-if, explain.
 * No I/O, no clients, no clock: `now` is passed in. HiGHS (`./solvers/highs.js`) is NOT re-exported
 * here so that Lambda bundles stay small (nor is the console's what-if, `./whatif.js`, which drags the planner into every
 * bundle that imports this index); import it directly where it is needed (tests, bench, CLI).
 */
export * from './types.js'
export * from './errors.js'
export {
  PolicySchema,
  type Policy,
  type PolicyInput,
  type ParsePolicyResult,
  parsePolicy,
  loadPolicyOrThrow,
  defaultPolicy,
  jsonPath,
} from './policy.js'
export {
  type Band,
  type ScoreCategory,
  type ScoreTerm,
  type ServiceScore,
  type OperatorScore,
  type PairScore,
  type PositionScore,
  type UniverseScores,
  type ScoreUniverseOptions,
  type SeveritySource,
  type HaircutSource,
  BAND_THRESHOLDS,
  RISK_WEIGHTS,
  scoreUniverse,
  bandOf,
  contractHaircut,
  herfindahl,
  managedPositions,
  unknownPositions,
  assertPositionsKnown,
  pairKey,
} from './score.js'
export {
  type LpModel,
  type LpBlock,
  type LpRow,
  type LpPair,
  type RowKind,
  type ForcedMove,
  type DeriskRequest,
  type BuildLpOptions,
  type BlockSolution,
  type LpSolution,
  buildLp,
  toCplexLp,
  mulFloor,
} from './lp.js'
export { solveFast, solveBlockFast, type SolveFastOptions } from './solvers/fast.js'
export {
  type Plan,
  type PlanOptions,
  type PositionPlan,
  type TargetStake,
  type NetworkLimitTarget,
  type ResidualExposure,
  type BindingConstraint,
  type PlanRiskFigures,
  type PositionTail,
  type TakeoverProgress,
  type PlanSecurityFigures,
  planAllocation,
  meetVar99,
  planFromSolution,
  pairReason,
  serviceReasonOf,
} from './plan.js'
export { type Decision, type DecisionStep, type SkipReason, gweiToWei } from './decision.js'
export { type ExplainableRun, type ExplainOptions, explainRun } from './explain.js'
export { deriskRequestsForSlashes } from './derisk.js'
export { type DrainCheckReturnType, drainCheck, guardDrain, drainedStake } from './drain.js'
export { type BandFigure, type PolicyBand, type PolicyBandsParameters, type PolicyBandsReturnType, POLICY_BAND_THRESHOLDS, bandOfRatio, policyBands } from './bands.js'
export {
  type SecurityFigures,
  type ServiceSecurity,
  type OperatorSecurity,
  type NetworkSecurity,
  type SecurityCheckParameters,
  DEFAULT_ATTACK_THRESHOLD,
  securityCheck,
  universeStakes,
} from './security.js'
export { type Exposure, type TailLossParameters, type TailLossReturnType, type TailLossUpperReturnType, TAIL_GRID, lossFactor, riskGroupsOf, tailLoss, tailLossUpper } from './tailLoss.js'
export { SECONDS_PER_YEAR, bigintReplacer, pct, short, units } from './format.js'
