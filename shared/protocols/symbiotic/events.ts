/**
 * The Symbiotic events the watcher acts on, read and decoded: `Slash` / `RequestSlash` (the de-risk triggers),
 * `ExecuteSlash` / `VetoSlash`, `SetMaxNetworkLimit` and opt-ins on our vaults' slashers, delegators and the opt-in
 * services, in one getLogs over a block range (plus one multicall to name veto requests by their pair).
 */
import type { Address, Hex, PublicClient } from 'viem'
import { toAddr, lowerHex, zeroAddr } from '../../address.js'
import type { Config } from '../../config/config.js'
import type { WatchedEvent, WatchedEventKind } from '../types.js'
import * as abis from './abis.js'
import { SYMBIOTIC_EVENTS } from './reader.js'
import { validateVaults } from './validateVault.js'

export type { WatchedEvent, WatchedEventKind }

const { DistributeRewards: _rewards, ...EVENTS } = SYMBIOTIC_EVENTS

const networkOf = (sn: string) => toAddr(`0x${sn.slice(2, 42)}`)

/** Reads and decodes the watched events of [from, to] in one getLogs (plus one multicall for veto requests). */
export async function readSymbioticEvents(ctx: { client: PublicClient; config: Config }, from: bigint, to: bigint): Promise<WatchedEvent[]> {
  const vaults = ctx.config.vaults.map((v) => v.address)
  // Each vault's wiring, refusing by name what is not a supported Symbiotic vault (validateVault.ts) before any log is read.
  const structure = await validateVaults(ctx.client, { vaults, vaultFactory: ctx.config.symbiotic.vaultFactory, blockNumber: to })
  const slasherOf = new Map<string, Address>()
  const delegatorOf = new Map<string, Address>()
  vaults.forEach((v, i) => {
    const s = toAddr(structure[i]!.slasher)
    if (s !== zeroAddr) slasherOf.set(s, v)
    delegatorOf.set(toAddr(structure[i]!.delegator), v)
  })
  const optVault = ctx.config.symbiotic.operatorVaultOptInService
  const optNetwork = ctx.config.symbiotic.operatorNetworkOptInService
  const logs = await ctx.client.getLogs({
    address: [...slasherOf.keys(), ...delegatorOf.keys(), optVault, optNetwork] as Address[],
    events: Object.values(EVENTS),
    fromBlock: from,
    toBlock: to,
  })
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
    const reqs = (await ctx.client.multicall({
      contracts: byIndex.map((e) => ({ address: e.emitter, abi: abis.vetoSlasherAbi, functionName: 'slashRequests', args: [e.slashIndex!] })) as never,
      allowFailure: false,
      blockNumber: to,
    })) as [Hex, Address, bigint, number][]
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
