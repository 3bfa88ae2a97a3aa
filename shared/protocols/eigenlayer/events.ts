/**
 * The EigenLayer events the watcher acts on, read and decoded: `OperatorSlashed` of the AllocationManager on a
 * strategy of ours (the de-risk trigger), with the amount the DelegationManager reports in `OperatorSharesSlashed` of
 * the same transaction (operator shares and shares queued for withdrawal, as the reader counts it), in tokens. The
 * logs come from the chain sync's store of the EigenLayer source the reader shares (./source.ts, docs/sync.md), plus
 * one multicall (share → token) when a slash is found.
 */
import { type Address, type Hex, type Log, type PublicClient, getAbiItem, parseEventLogs } from 'viem'
import { toAddr } from '../../address.js'
import { type SyncSource, chainSyncFor, readSourceEvents, runSync } from '../../chain/sync/index.js'
import type { Config } from '../../config/config.js'
import type { ChainLogStorePort } from '../../store/chainLogs.js'
import type { SyncedWatchedEvents, WatchedEvent } from '../types.js'
import { eigenLayerSource } from './source.js'
import { allocationManagerAbi, delegationManagerAbi, strategyAbi } from './abis.js'
import { operatorSetKey } from './types.js'

const EVENTS = [getAbiItem({ abi: allocationManagerAbi, name: 'OperatorSlashed' }), getAbiItem({ abi: delegationManagerAbi, name: 'OperatorSharesSlashed' })] as const

/**
 * Reads and decodes the watched EigenLayer events of [from, to]: one `OperatorSlashed` event per slash that touched a
 * configured strategy (`vault` = the first such strategy, `strategies` = all of them, `subnetwork` = the operator set
 * key, `network` = the AVS, `amount` = tokens slashed in those strategies). Empty when the config has no EigenLayer.
 * @example const { read } = await syncEigenLayerEvents(ctx, head); const events = await read(100n, 200n)
 */
/** What the watcher's EigenLayer reads need: the reader, the config and the chain sync's store (with the run's deadline). */
export interface EigenLayerEventsContext {
  client: PublicClient
  config: Config
  chainLogs: ChainLogStorePort
  syncDeadline?: number | undefined
}

/**
 * Syncs the EigenLayer source (the one the reader uses: only blocks after its cursor) up to `head` − confirmations and
 * returns a reader of the watched events stored. Nothing to sync when the config has no EigenLayer.
 */
export async function syncEigenLayerEvents(ctx: EigenLayerEventsContext, head: { number: bigint; hash: Hex }): Promise<SyncedWatchedEvents> {
  const el = ctx.config.eigenlayer
  if (!el) return { syncedTo: head.number, read: async () => [] }
  const source = eigenLayerSource({ ...el, chainId: ctx.config.chainId, fromBlock: BigInt(el.fromBlock ?? 0) })
  const result = await runSync(ctx.client, chainSyncFor(ctx), source, head)
  return { syncedTo: result.syncedTo, read: (from, to) => readEigenLayerEvents(ctx, source, from, to) }
}

export async function readEigenLayerEvents(ctx: EigenLayerEventsContext, source: SyncSource, from: bigint, to: bigint): Promise<WatchedEvent[]> {
  const el = ctx.config.eigenlayer
  if (!el) return []
  const ours = new Set(el.positions.map((p) => toAddr(p.strategy)))
  const am = toAddr(el.allocationManager)
  const dm = toAddr(el.delegationManager)
  const stored = (await readSourceEvents(ctx.chainLogs, source, { fromBlock: from, toBlock: to })).logs.filter((l) => l.address === am || l.address === dm)
  const logs = parseEventLogs({ abi: EVENTS, logs: stored as Log[], strict: true })
  const reported = logs.flatMap((l) => (l.eventName === 'OperatorSharesSlashed' && toAddr(l.address) === dm ? [l] : []))
  const out: (WatchedEvent & { shares: { strategy: Address; shares: bigint }[] })[] = []
  for (const l of logs) {
    if (l.eventName !== 'OperatorSlashed' || toAddr(l.address) !== am || l.transactionHash === null || l.logIndex === null || l.blockNumber === null) continue
    const { operator, operatorSet, strategies, wadSlashed } = l.args
    const op = toAddr(operator)
    const hit = strategies.map((s, i) => ({ strategy: toAddr(s), wad: wadSlashed[i] ?? 0n })).filter((s) => ours.has(s.strategy))
    if (hit.length === 0) continue
    const shares = hit.map(({ strategy }) => ({
      strategy,
      shares: reported.filter((r) => r.transactionHash === l.transactionHash && toAddr(r.args.operator) === op && toAddr(r.args.strategy) === strategy).reduce((s, r) => s + r.args.totalSlashedShares, 0n),
    }))
    out.push({
      key: `chain:${ctx.config.chainId}:${l.transactionHash}:${l.logIndex}`,
      protocol: 'eigenlayer',
      kind: 'OperatorSlashed',
      blockNumber: l.blockNumber,
      txHash: l.transactionHash,
      logIndex: l.logIndex,
      emitter: am,
      vault: hit[0]!.strategy,
      strategies: hit.map((s) => s.strategy),
      subnetwork: operatorSetKey(operatorSet.avs, operatorSet.id),
      network: toAddr(operatorSet.avs),
      operator: op,
      wadSlashed: hit[0]!.wad,
      relevant: true,
      held: false,
      shares,
    })
  }
  // Shares → tokens at the range's last block (the strategy's exchange rate), one multicall for every slash.
  const asked = out.flatMap((e) => e.shares.filter((s) => s.shares > 0n))
  const tokens = asked.length
    ? ((await ctx.client.multicall({
        contracts: asked.map((s) => ({ address: s.strategy, abi: strategyAbi, functionName: 'sharesToUnderlyingView', args: [s.shares] }) as const),
        allowFailure: false,
        blockNumber: to,
      })) as bigint[])
    : []
  let i = 0
  return out.map(({ shares, ...e }) => {
    let amount = 0n
    for (const s of shares) if (s.shares > 0n) amount += tokens[i++]!
    return { ...e, amount }
  })
}
