/**
 * Symbiotic's triggers for the watcher and the webhook (the `ProtocolTriggers` of ../types.ts): the slasher, delegator
 * and opt-in events of our vaults (./events.ts); a `Slash` or `RequestSlash` on a (subnetwork, operator) pair we
 * allocate to calls for the slash response; the de-risk run is the one pipeline over the Symbiotic adapter, forced,
 * with the orders as forced moves (a pair) or a deny overlay (a whole operator, the webhook's `derisk-operator`).
 */
import type { DeriskRequest } from '../../domain/index.js'
import { runRebalancePipeline } from '../../pipeline/rebalance.js'
import type { AutopilotContext } from '../../services/context.js'
import { denyOverlay, pairExposure, withRunStarted } from '../triggers.js'
import type { ProtocolTriggers, TriggeredRun, WatchedEvent } from '../types.js'
import { readSymbiotic, symbioticAdapter } from './adapter.js'
import { readSymbioticEvents, syncSymbioticEvents } from './events.js'
import { chainSyncFor } from '../../chain/sync/index.js'

/**
 * Symbiotic's triggers bound to `ctx`.
 * @example const tick = await watchEvents({ ...ctx, triggers: [symbioticTriggers(ctx)] })
 */
export function symbioticTriggers(ctx: AutopilotContext): ProtocolTriggers {
  return {
    protocol: 'symbiotic',
    async syncEvents(head, opts = {}) {
      const sync = chainSyncFor({ ...ctx, config: { ...ctx.config, confirmations: opts.confirmations ?? ctx.config.confirmations } })
      const synced = await syncSymbioticEvents(ctx, sync, head)
      return { syncedTo: synced.syncedTo, read: (from, to) => readSymbioticEvents(ctx, synced, from, to) }
    },
    isSlash: (e) => e.kind === 'Slash' || e.kind === 'RequestSlash',
    async exposure(slashes) {
      const pairs = pairExposure(slashes.length > 0 ? (await readSymbiotic({ ...ctx, chainSync: chainSyncFor(ctx) })).universe : undefined)
      return { held: (e: WatchedEvent) => pairs.allocates(e.subnetwork!, e.operator!), stake: (e: WatchedEvent) => pairs.stake(e.subnetwork!, e.operator!), notes: [] }
    },
    async holdsOperator(operator) {
      const { universe } = await readSymbiotic({ ...ctx, chainSync: chainSyncFor(ctx) })
      return universe.positions.some((p) => p.allocations.some((a) => a.operator === operator.toLowerCase() && (a.stake > 0n || a.shares > 0n || a.operatorLimit > 0n)))
    },
    async derisk({ orders, trigger, triggerKind, onRunStarted }): Promise<TriggeredRun> {
      const pairs = orders.filter((o): o is DeriskRequest & { service: NonNullable<DeriskRequest['service']> } => o.service !== undefined)
      const policy = denyOverlay(
        ctx.policy,
        orders.filter((o) => o.service === undefined).map((o) => o.operator),
      )
      const onProgress = withRunStarted(ctx, onRunStarted)
      return runRebalancePipeline({ ...ctx, policy, ...(onProgress ? { onProgress } : {}) }, symbioticAdapter, { trigger, triggerKind, force: true, ...(pairs.length ? { derisk: pairs } : {}) })
    },
  }
}
