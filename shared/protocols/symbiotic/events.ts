/**
 * The Symbiotic events the watcher acts on, read from the chain sync's store and decoded: `Slash` / `RequestSlash`
 * (the de-risk triggers), `ExecuteSlash` / `VetoSlash`, `SetMaxNetworkLimit` and opt-ins on our vaults' slashers,
 * delegators and the opt-in services (plus one multicall to name veto requests by their pair). The watcher and the
 * reader share one source (./source.ts), so a tick fetches only the blocks after the source's cursor.
 */
import { type Address, type Hex, type Log, type PublicClient, parseEventLogs } from 'viem'
import { toAddr, lowerHex, zeroAddr } from '../../address.js'
import { type ChainSync, type SyncSource, type SyncSourceReturnType, readSourceEvents, runSync } from '../../chain/sync/index.js'
import type { Config } from '../../config/config.js'
import type { WatchedEvent, WatchedEventKind } from '../types.js'
import * as abis from './abis.js'
import { SYMBIOTIC_EVENTS, type VaultStructure, symbioticSource } from './source.js'
import { validateVaults } from './validateVault.js'

export type { WatchedEvent, WatchedEventKind }

const { DistributeRewards: _rewards, ...EVENTS } = SYMBIOTIC_EVENTS

const networkOf = (sn: string) => toAddr(`0x${sn.slice(2, 42)}`)

/** The Symbiotic source synced for a watcher tick: what it holds, up to which block, and our vaults' contracts. */
export interface SyncedSymbioticEvents {
  source: SyncSource
  structure: VaultStructure[]
  sync: SyncSourceReturnType
  /** Every watched event up to this block is in the store. */
  syncedTo: bigint
}

/**
 * Syncs the Symbiotic source up to `head` − confirmations (only blocks after its cursor; resumable at the deadline).
 * @param head the block the tick pinned (the sync does not read the head again)
 */
export async function syncSymbioticEvents(ctx: { client: PublicClient; config: Config }, sync: ChainSync, head: { number: bigint; hash: Hex }): Promise<SyncedSymbioticEvents> {
  // Each vault's wiring, refusing by name what is not a supported Symbiotic vault (validateVault.ts) before any log is read.
  const structure = await validateVaults(ctx.client, { vaults: ctx.config.vaults.map((v) => v.address), vaultFactory: ctx.config.symbiotic.vaultFactory, blockNumber: head.number })
  const source = symbioticSource({
    ...ctx.config.symbiotic,
    vaults: structure.map((v, i) => ({ ...v, stakerRewards: ctx.config.vaults[i]!.stakerRewards })),
    chainId: ctx.config.chainId,
    fromBlock: ctx.config.fromBlock,
  })
  const result = await runSync(ctx.client, sync, source, head)
  return { source, structure, sync: result, syncedTo: result.syncedTo }
}

/** Reads the watched events of [from, to] (to ≤ `synced.syncedTo`) from the store and decodes them (plus one multicall for veto requests). */
export async function readSymbioticEvents(ctx: { client: PublicClient; config: Config; chainLogs: ChainSync['store'] }, synced: SyncedSymbioticEvents, from: bigint, to: bigint): Promise<WatchedEvent[]> {
  const vaults = ctx.config.vaults.map((v) => v.address)
  const slasherOf = new Map<string, Address>()
  const delegatorOf = new Map<string, Address>()
  for (const v of synced.structure) {
    if (v.slasher !== zeroAddr) slasherOf.set(v.slasher, v.address)
    delegatorOf.set(v.delegator, v.address)
  }
  const optVault = toAddr(ctx.config.symbiotic.operatorVaultOptInService)
  const optNetwork = toAddr(ctx.config.symbiotic.operatorNetworkOptInService)
  const watched = new Set<string>([...slasherOf.keys(), ...delegatorOf.keys(), optVault, optNetwork])
  const stored = (await readSourceEvents(ctx.chainLogs, synced.source, { fromBlock: from, toBlock: to })).logs.filter((l) => watched.has(l.address))
  const logs = parseEventLogs({ abi: Object.values(EVENTS), logs: stored as Log[] })
  const chainId = ctx.config.chainId
  const out: WatchedEvent[] = []
  for (const l of logs) {
    if (l.transactionHash === null || l.logIndex === null || l.blockNumber === null) continue
    const emitter = toAddr(l.address)
    const a = (l as unknown as { args: Record<string, unknown> }).args ?? {}
    const common = {
      key: `chain:${chainId}:${l.transactionHash}:${l.logIndex}`,
      protocol: 'symbiotic',
      kind: l.eventName as WatchedEventKind,
      blockNumber: l.blockNumber,
      txHash: l.transactionHash,
      logIndex: l.logIndex,
      emitter,
      relevant: false,
      held: false,
    }
    const sn = typeof a.subnetwork === 'string' ? lowerHex(a.subnetwork) : undefined
    const op = typeof a.operator === 'string' ? toAddr(a.operator) : undefined
    switch (l.eventName) {
      case 'Slash':
      case 'RequestSlash': {
        const vault = slasherOf.get(emitter)
        if (!vault || !sn || !op) continue
        const amount = (a.slashedAmount ?? a.slashAmount) as bigint | undefined
        out.push({
          ...common,
          vault,
          subnetwork: sn,
          operator: op,
          network: networkOf(sn),
          amount,
          captureTimestamp: a.captureTimestamp === undefined ? undefined : BigInt(a.captureTimestamp as number),
          ...(a.slashIndex !== undefined ? { slashIndex: a.slashIndex as bigint } : {}),
          ...(a.vetoDeadline !== undefined ? { vetoDeadline: BigInt(a.vetoDeadline as number) } : {}),
          relevant: true,
        })
        break
      }
      case 'ExecuteSlash':
      case 'VetoSlash': {
        const vault = slasherOf.get(emitter)
        if (!vault) continue
        out.push({ ...common, vault, slashIndex: a.slashIndex as bigint, ...(a.slashedAmount !== undefined ? { amount: a.slashedAmount as bigint } : {}), relevant: true })
        break
      }
      case 'SetMaxNetworkLimit': {
        const vault = delegatorOf.get(emitter)
        if (!vault || !sn) continue
        out.push({ ...common, vault, subnetwork: sn, network: networkOf(sn), amount: a.amount as bigint, relevant: true })
        break
      }
      case 'OptIn':
      case 'OptOut': {
        const who = toAddr(String(a.who))
        const where = toAddr(String(a.where))
        if (emitter === optVault && vaults.includes(where)) out.push({ ...common, vault: where, operator: who, relevant: true })
        else if (emitter === optNetwork) out.push({ ...common, operator: who, network: where, relevant: false })
        break
      }
    }
  }
  // Veto requests named by index only: read their subnetwork and operator.
  const byIndex = out.filter((e) => (e.kind === 'ExecuteSlash' || e.kind === 'VetoSlash') && e.slashIndex !== undefined)
  if (byIndex.length > 0) {
    const reqs = await ctx.client.multicall({
      contracts: byIndex.map((e) => ({ address: e.emitter, abi: abis.vetoSlasherAbi, functionName: 'slashRequests', args: [e.slashIndex!] }) as const),
      allowFailure: false,
      blockNumber: to,
    })
    byIndex.forEach((e, i) => {
      const r = reqs[i]!
      e.subnetwork = lowerHex(r[0])
      e.operator = toAddr(r[1])
      e.network = networkOf(r[0])
      e.amount ??= r[2]
      e.captureTimestamp = BigInt(r[3])
    })
  }
  return out.sort((x, y) => (x.blockNumber === y.blockNumber ? x.logIndex - y.logIndex : x.blockNumber < y.blockNumber ? -1 : 1))
}
