/**
 * EigenLayer's triggers for the watcher and the webhook (the `ProtocolTriggers` of ../types.ts, docs/eigenlayer.md
 * "Triggers"): an `OperatorSlashed` on a strategy of ours (./events.ts) calls for the slash response when one of our
 * stakers is delegated to the slashed operator with withdrawable shares in that strategy. A delegated token is exposed to
 * every set of its operator at once, so the response acts on the operator:
 * - `zero-out`, and the webhook's `derisk-operator`: every staker of ours leaves the operator — the run's policy
 *   deny-lists it (one run, nothing stored) and the adapter starts one exit saga per staker (./saga.ts
 *   `moveOutOfDeniedOperators`), whose reason names the trigger;
 * - `halve`: half of each such staker's withdrawable shares leaves the operator the same way (a partial exit saga): the
 *   (set, operator) pair cannot be halved alone, and a plan move would only follow the plan's own priorities.
 * Every slash notification and de-risk result says how long the withdrawn stake stays slashable (both core delays).
 */
import type { Address } from 'viem'
import { toAddr } from '../../address.js'
import { labeler } from '../../label.js'
import { denyOverlay, withRunStarted } from '../triggers.js'
import type { ProtocolTriggers, TriggeredRun, WatchedEvent } from '../types.js'
import { allocationManagerAbi, delegationManagerAbi, strategyAbi } from './abis.js'
import { syncEigenLayerEvents } from './events.js'
import { type EigenLayerRebalanceContext, runEigenLayerRebalance } from './rebalance.js'
import { eigenLayerSlashableWindow } from './slashableWindow.js'

/** Our stakers of every configured position: delegation and withdrawable tokens now, and the core's two delays. */
async function readStakers(ctx: EigenLayerRebalanceContext): Promise<{ stakers: { strategy: Address; staker: Address; operator: Address; tokens: bigint }[]; window: string }> {
  const el = ctx.config.eigenlayer!
  const dm = toAddr(el.delegationManager)
  const pairs = el.positions.flatMap((p) => p.stakers.map((s) => ({ strategy: toAddr(p.strategy), staker: toAddr(s.address) })))
  const [minDelay, deallocationDelay, ...perStaker] = (await ctx.client.multicall({
    contracts: [
      { address: dm, abi: delegationManagerAbi, functionName: 'minWithdrawalDelayBlocks' },
      { address: toAddr(el.allocationManager), abi: allocationManagerAbi, functionName: 'DEALLOCATION_DELAY' },
      ...pairs.flatMap((p) => [
        { address: dm, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [p.staker] },
        { address: dm, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [p.staker, [p.strategy]] },
      ]),
    ] as never,
    allowFailure: false,
  })) as [number, number, ...unknown[]]
  const shares = pairs.map((p, i) => ({ ...p, operator: toAddr(perStaker[i * 2] as Address), shares: (perStaker[i * 2 + 1] as [bigint[], bigint[]])[0][0] ?? 0n }))
  const held = shares.filter((s) => s.shares > 0n)
  const tokens = held.length
    ? ((await ctx.client.multicall({ contracts: held.map((s) => ({ address: s.strategy, abi: strategyAbi, functionName: 'sharesToUnderlyingView', args: [s.shares] }) as const), allowFailure: false })) as bigint[])
    : []
  const window = eigenLayerSlashableWindow({ minWithdrawalDelayBlocks: Number(minDelay), deallocationDelayBlocks: Number(deallocationDelay), secondsPerBlock: el.secondsPerBlock ?? 12 }).text
  return { stakers: held.map(({ shares: _, ...s }, i) => ({ ...s, tokens: tokens[i]! })), window }
}

/**
 * EigenLayer's triggers bound to `ctx` (the sagas table and our stakers' signers come with it).
 * @example const tick = await watchEvents({ ...ctx, triggers: [symbioticTriggers(ctx), eigenLayerTriggers(elCtx)] })
 */
export function eigenLayerTriggers(ctx: EigenLayerRebalanceContext): ProtocolTriggers {
  return {
    protocol: 'eigenlayer',
    syncEvents: (head, opts = {}) => syncEigenLayerEvents({ ...ctx, config: { ...ctx.config, confirmations: opts.confirmations ?? ctx.config.confirmations } }, head),
    isSlash: (e) => e.kind === 'OperatorSlashed',
    async exposure(slashes) {
      if (slashes.length === 0 || !ctx.config.eigenlayer) return { held: () => false, stake: () => 0n, notes: [] }
      const { stakers, window } = await readStakers(ctx)
      const exposed = (e: WatchedEvent) => stakers.filter((s) => s.operator === e.operator && (e.strategies ?? [e.vault]).includes(s.strategy))
      return { held: (e) => exposed(e).length > 0, stake: (e) => exposed(e).reduce((a, s) => a + s.tokens, 0n), notes: [window] }
    },
    async holdsOperator(operator) {
      return ctx.config.eigenlayer !== undefined && (await readStakers(ctx)).stakers.some((s) => s.operator === toAddr(operator))
    },
    async derisk({ orders, trigger, triggerKind, onRunStarted }): Promise<TriggeredRun & { notes: string[] }> {
      // Every order takes stake off its operator (a delegated token is exposed to all its sets): all of it for a whole
      // operator (webhook) or zero-out, half for halve (an operator with both keeps the larger exit).
      const label = labeler(ctx.config.labels)
      const exitReasons = new Map<Address, string>()
      const exitBps = new Map<Address, number>()
      for (const o of orders) {
        const op = toAddr(o.operator)
        const bps = o.service !== undefined && o.response === 'halve' ? 5_000 : 10_000
        if (!exitReasons.has(op)) exitReasons.set(op, o.reason ?? `de-risk of ${label(o.operator)}`)
        exitBps.set(op, Math.max(bps, exitBps.get(op) ?? 0))
      }
      const onProgress = withRunStarted(ctx, onRunStarted)
      const policy = denyOverlay(ctx.policy, [...exitReasons.keys()])
      const run = await runEigenLayerRebalance({ ...ctx, policy, exitReasons, exitBps, ...(onProgress ? { onProgress } : {}) }, { trigger, triggerKind, force: true })
      const { window } = await readStakers(ctx)
      const started = run.exits.length + run.moves.filter((m) => m.status === 'started').length
      const unplaced = run.unplacedExits.map((u) => `Not moved: staker ${label(u.staker)} on ${label(u.operator)}: ${u.reason}.`)
      return { ...run, notes: [...(started > 0 ? [`${started} EigenLayer move saga(s) started: ${[...run.exits.map((x) => x.sagaId), ...run.moves.flatMap((m) => (m.sagaId ? [m.sagaId] : []))].join(', ')}.`] : []), ...unplaced, window] }
    },
  }
}
