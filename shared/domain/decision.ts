/**
 * A run's decision, protocol-neutral: act with ordered steps (each protocol adapter defines its own step type,
 * e.g. Symbiotic curator calls in shared/protocols/symbiotic/diff.ts) or skip with a typed reason.
 */
import type { Address, ServiceId } from './types.js'

/** Why a run does nothing. */
export type SkipReason = 'cooldown' | 'belowThreshold' | 'noChange' | 'gasTooHigh'

/** What every protocol's step has: where it acts, why, and one line a person reads. */
export interface DecisionStep {
  /** Protocol-specific step kind (e.g. `setNetworkLimit`, `eigenlayer-move`). */
  kind: string
  /** Position id the step changes. */
  position: string
  service?: ServiceId
  operator?: Address
  /** One line for explain / the console, in token units (never raw wei). */
  description: string
  /** Why: score terms and binding constraints in plain words. */
  reasons: string[]
}

/** Act (with the ordered steps) or skip (with a typed reason). */
export type Decision<S extends DecisionStep = DecisionStep> =
  | {
      kind: 'act'
      actions: S[]
      /** objective − currentObjective, collateral wei per year (float). */
      gainPerYear: number
      /** #calls × estimatedGasPerCall × gas price. */
      gasCostWei: bigint
      /** (gain − gas) / Σ activeStake in bps per year. */
      netGainBpsPerYear: number
      /** True when the run removes forbidden stake or was forced: cooldown and threshold were not applied. */
      derisk: boolean
    }
  | { kind: 'skip'; reason: SkipReason; detail: string }

/** Gwei (float, from the policy) → wei, exactly for up to 9 decimals. */
export function gweiToWei(gwei: number): bigint {
  return BigInt(Math.round(gwei * 1e9))
}
