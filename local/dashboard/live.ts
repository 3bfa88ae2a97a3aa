/**
 * The dashboard's live read: the universe at the latest block, its scores, and the plan the autopilot would
 * make now (for the risk figures and limits). Read-only: it plans, never diffs into calls, never signs.
 */
import type { Config } from '../../shared/config/config.js'
import { type Plan, type Policy, type Universe, type UniverseScores, planAllocation, scoreUniverse } from '../../shared/domain/index.js'
import { type LogQuery, chainSyncFor, memoryChainSync } from '../../shared/chain/sync/index.js'
import { readSymbiotic } from '../../shared/protocols/symbiotic/adapter.js'
import type { AutopilotContext } from '../../shared/services/context.js'

/** What the page shows of the chain right now. */
export interface LiveState {
  universe: Universe
  scores: UniverseScores
  /** The plan under the policy now; absent when the policy cannot be met (see planError). */
  plan?: Plan
  planError?: { name: string; message: string }
  policy: Policy
  /** address / subnetwork id (lower-case) → label. */
  labels: Record<string, string>
  /** The chain-sync store read the universe took its logs from (the realised yield reads its rewards from it, not the node). */
  logs?: LogQuery
  /** Epoch ms of the read. */
  readAt: number
}

/** The parts of a context the live read uses (no stores, no signer needed). */
export type LiveReaderContext = Pick<AutopilotContext, 'config' | 'client' | 'policy'> & Partial<Pick<AutopilotContext, 'account' | 'chainLogs'>>

/**
 * A `readLive` for {@link startDashboard}: reads the configured vaults, scores them and plans under the policy.
 * @param ctx the autopilot context (config, reader, policy; the signer only names whose roles are read)
 * @returns a function that reads the live state once per call
 */
export function createLiveReader(ctx: LiveReaderContext): () => Promise<LiveState> {
  // Logs through the chain sync (docs/sync.md): the deployed bot's chainLogs table when the context has it, else an
  // in-memory store kept across reads, so only the first read syncs from fromBlock and later ones fetch new blocks.
  const chainSync = ctx.chainLogs ? chainSyncFor({ ...ctx, chainLogs: ctx.chainLogs }) : memoryChainSync()
  return async () => {
    const { universe, logs } = await readSymbiotic({ ...ctx, chainSync })
    const now = universe.timestamp
    const scores = scoreUniverse(universe, ctx.policy, { now })
    let plan: Plan | undefined
    let planError: LiveState['planError']
    try {
      plan = planAllocation(universe, scores, ctx.policy, { now })
    } catch (e) {
      planError = { name: (e as Error).name, message: (e as Error).message }
    }
    return { universe, scores, ...(plan ? { plan } : {}), ...(planError ? { planError } : {}), policy: ctx.policy, labels: labelsOf(ctx.config), readAt: Date.now(), ...(logs ? { logs } : {}) }
  }
}

function labelsOf(config: Config): Record<string, string> {
  return Object.fromEntries(Object.entries(config.labels).map(([k, v]) => [k.toLowerCase(), v]))
}
