/** What planning produces (plan.ts): per-position targets, binding constraints and the risk figures of the whole plan. */
import type { Address, ServiceId } from './types.js'
import type { DeriskRequest, ForcedMove } from './lpModel.js'
import type { TailLossReturnType } from './tailLoss.js'

/** One (service, operator) target of a position. */
export interface TargetStake {
  service: ServiceId
  operator: Address
  /** Planned stake, wei. */
  stake: bigint
  /** Stake on chain now, wei. */
  current: bigint
  /** Net value per unit of stake per year (LP objective coefficient); 0 when the pair has no score. */
  netValuePerYear: number
  /** The pair's score terms in one sentence (empty when the pair has no score). */
  reason: string
}

/** Network limit to set per service of a position (Σ of the service's targets). */
export interface NetworkLimitTarget {
  service: ServiceId
  limit: bigint
  /** Limit set on chain now. */
  current: bigint
  /** The service's score terms in one sentence (empty when the service has no score). */
  reason: string
}

/** Stake removed from a pair that stays slashable until one epoch has passed. */
export interface ResidualExposure {
  service: ServiceId
  operator: Address
  stake: bigint
  /** Unix seconds: now + epoch duration. */
  until: bigint
}

/** A policy constraint that holds with equality at the optimum (or has a positive shadow price). */
export interface BindingConstraint {
  position: string
  /** Policy field (or chain limit) behind the row: caps.perService, maxNetworkLimit, activeStake, caps.perOperator, caps.perRiskGroup, leverageCap, riskBudget, turnoverCapPerRun, minOperatorsPerService. */
  constraint: string
  /** Service id, operator address, risk group, or `service|operator`; '' for position-wide rows. */
  subject: string
  /** Limit as a fraction of active stake (for riskBudget: loss fraction per year). */
  limit: number
  /** Planned value as a fraction of active stake. */
  value: number
  /** Objective gain per year per unit of normalised stake if the limit were relaxed (LP dual). */
  shadowPrice: number
  /** The same in words, e.g. `operator 0xab…cd: caps.perOperator binding at 20 %`. */
  message: string
}

/** The plan of one position. */
export interface PositionPlan {
  position: string
  label: string
  vault: Address
  /** How the position delegates, in its protocol's words (`Position.kind`). */
  kind: string
  /** Active stake of the position, in-flight stake included. */
  activeStake: bigint
  /** Part of `activeStake` in flight (EigenLayer withdrawals waiting out the delay): earns nothing, not allocatable. */
  inFlightStake: bigint
  /** What the plan allocates: `activeStake − inFlightStake`; caps and leverage are fractions of it. */
  availableStake: bigint
  /** False for delegators nothing can be set on (targets = current allocation). */
  steerable: boolean
  /** Sorted by (service, operator); includes zero targets for pairs that hold stake, shares or a limit now. */
  targets: TargetStake[]
  /** One per service of the position, sorted. */
  networkLimits: NetworkLimitTarget[]
  /** Removals the policy forces (deny lists, eligibility, slash response), not limited by turnover. */
  forced: ForcedMove[]
  objectivePerYear: number
  currentObjectivePerYear: number
  /** Σ p·sev·h·stake of the targets, wei per year. */
  expectedAnnualLoss: number
  currentExpectedAnnualLoss: number
  /** 1 − Π(1 − p) over every pair holding stake: probability per year that the vault is slashed at least once. */
  compoundedSlashProbability: number
  /** Largest per-operator compounded slash probability over the services it secures for this vault. */
  maxOperatorCompoundedSlashProbability: number
  herfindahl: number
  currentHerfindahl: number
  /** Σ_s networkLimit_s / availableStake. */
  leverage: number
  currentLeverage: number
  /** Σ |target − current| over pairs the LP decides (forced moves excluded), wei. */
  turnover: bigint
  turnoverLimit: bigint
  residualExposure: ResidualExposure[]
  /** Set when this position could not be planned (InfeasiblePolicyError): it is left as it is, the others are planned. */
  error?: { name: string; message: string }
  /** Set when the current allocation breaks the policy by more than one run's turnover can repair (docs/policy.md, taking over a vault). */
  takeover?: TakeoverProgress
  /** Tail loss of the targets and of the current allocation (docs/risk.md §2); absent in runs recorded before it existed. */
  tail?: PositionTail
}

/** One run of taking over an allocation that breaks the policy: how far it moves and how far compliance still is. */
export interface TakeoverProgress {
  /** Constraints the current allocation breaks (policy field names). */
  broken: string[]
  /** Turnover this run, wei (within turnoverCapPerRun). */
  moved: bigint
  /** Least turnover that restores the policy from the current allocation, wei. */
  toCompliance: bigint
  /** Runs still needed after this one at this pace (0: this run reaches compliance). */
  runsLeft: number
}

/** Tail-loss figures of a position, wei, each next to its policy limit (fractions are of `availableStake`). */
export interface PositionTail extends Pick<TailLossReturnType, 'maxLoss' | 'var95' | 'var99' | 'es95' | 'es99' | 'var95Bound' | 'var99Bound'> {
  currentMaxLoss: bigint
  /** maxLossFraction × available stake. */
  maxLossLimit: bigint
  currentVar99: bigint
  currentEs99: number
  /** var99Fraction × available stake. */
  var99Limit: bigint
  /** Risk budget the plan was made with (below policy riskBudget when tightened for var99Fraction). */
  riskBudget: number
}

/** Security of the network before and after the plan (docs/risk.md §1). */
export interface PlanSecurityFigures {
  /** min_v γ_v with the planned allocation / now (null = unbounded). */
  minSlack: number | null
  currentMinSlack: number | null
  /** (1 + 1/min γ)·ψ planned / now (null = unbounded). */
  cascadeBound: number | null
  currentCascadeBound: number | null
  requiredSlack: number
  shock: number
  /** Services with ρ < 1 (exited) and with no π (unknown), now. */
  insecureServices: string[]
  unknownServices: string[]
  /** Operators whose γ is below minSecuritySlack now (no new stake). */
  heldOperators: string[]
}

/** Risk figures of the whole plan (managed positions together). */
export interface PlanRiskFigures {
  expectedAnnualLoss: number
  currentExpectedAnnualLoss: number
  /** expectedAnnualLoss ÷ Σ active stake. */
  expectedLossFraction: number
  /** Max over positions of the vault compounded slash probability. */
  maxVaultCompoundedSlashProbability: number
  maxOperatorCompoundedSlashProbability: number
  /** Herfindahl index of all targets across operators. */
  herfindahl: number
  currentHerfindahl: number
  maxLeverage: number
  /** Largest MaxLoss / VaR↑99 / ES↑99 over positions as a fraction of available stake, with the policy limits (absent in older runs). */
  maxLossFraction?: number
  currentMaxLossFraction?: number
  var99Fraction?: number
  currentVar99Fraction?: number
  es99Fraction?: number
  maxLossLimit?: number
  var99Limit?: number
  /** Cryptoeconomic security before and after the plan (absent in older runs). */
  security?: PlanSecurityFigures
  totalActiveStake: bigint
  /** Σ in-flight stake of the positions (part of totalActiveStake that earns nothing this run). */
  totalInFlightStake: bigint
}

/** Output of planning. */
export interface Plan {
  solver: 'fast' | 'highs'
  /** Net expected yield of the targets, collateral wei per year (float). */
  objectivePerYear: number
  /** The same for the current allocation. */
  currentObjectivePerYear: number
  /** Optimum of the LP itself (before bigint rounding), wei per year. */
  lpObjectivePerYear: number
  now: bigint
  positions: PositionPlan[]
  binding: BindingConstraint[]
  riskFigures: PlanRiskFigures
  /** Things a person should know (missing positions, fixed positions). */
  warnings: string[]
}

/** Options of {@link planAllocation}. */
export interface PlanOptions {
  now: bigint
  /** Slash response / de-risk orders, applied as forced moves. */
  derisk?: DeriskRequest[]
}
