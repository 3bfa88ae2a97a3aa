/**
 * Use case `rebalance` for Symbiotic vaults: the one pipeline (shared/pipeline/rebalance.ts) over the Symbiotic
 * adapter (shared/protocols/symbiotic/adapter.ts). Modes `dry-run` and `propose` and the pause flag never send.
 */
import type { ProposeBatchReturnType } from '../chain/safe/propose.js'
import { type AllocationRow, type RebalanceOptions, type RebalanceResult, runRebalancePipeline } from '../pipeline/rebalance.js'
import { symbioticAdapter } from '../protocols/symbiotic/adapter.js'
import type { Decision } from '../protocols/symbiotic/diff.js'
import type { AutopilotContext } from './context.js'

export type { AllocationRow }

/** Result of a Symbiotic rebalance run. */
export interface RunRebalanceResult extends RebalanceResult {
  decision?: Decision
  /** `propose` mode: the batch for the DAO's signers, and the files written (when `config.proposalsDir` is set). */
  proposal?: ProposeBatchReturnType & { files: string[] }
}

/** Options of a rebalance run. */
export type RunRebalanceOptions = RebalanceOptions

/** Plans and (in autopilot mode) executes a Symbiotic rebalance; always records the run. */
export async function runRebalance(ctx: AutopilotContext, opts: RunRebalanceOptions = {}): Promise<RunRebalanceResult> {
  return (await runRebalancePipeline(ctx, symbioticAdapter, opts)) as RunRebalanceResult
}
