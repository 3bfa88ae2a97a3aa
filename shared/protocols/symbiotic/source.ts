/**
 * The Symbiotic sync source (docs/sync.md): every event the reader and the watcher read, from each vault's delegator,
 * slasher and staker rewards and the two opt-in services, kept in the `chainLogs` store by the chain sync. One source
 * serves both, so a scheduled run reads only the blocks after the source's cursor.
 */
import { type Address, type Hex, type PublicClient, getAbiItem, zeroAddress } from 'viem'
import { toAddr } from '../../address.js'
import { MulticallBatch, runBatch } from '../../chain/multicall.js'
import { type ChainSync, type LogQuery, type SyncSource, defineSource, syncedLogs } from '../../chain/sync/index.js'
import * as abis from './abis.js'

/**
 * The Symbiotic events the reader and the watcher read, by the contracts that emit them (what a sync source serving
 * them must hold; the reader needs all but `VetoSlash` and `OptOut`, the watcher all but `DistributeRewards`).
 */
export const SYMBIOTIC_EVENTS = {
  /** Emitted by each vault's delegator. */
  SetMaxNetworkLimit: getAbiItem({ abi: abis.networkRestakeDelegatorAbi, name: 'SetMaxNetworkLimit' }),
  /** Emitted by the opt-in services (operator→vault, operator→network). */
  OptIn: getAbiItem({ abi: abis.optInServiceAbi, name: 'OptIn' }),
  OptOut: getAbiItem({ abi: abis.optInServiceAbi, name: 'OptOut' }),
  /** Emitted by each vault's slasher (instant: Slash; veto: the other three). */
  Slash: getAbiItem({ abi: abis.slasherAbi, name: 'Slash' }),
  RequestSlash: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'RequestSlash' }),
  ExecuteSlash: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'ExecuteSlash' }),
  VetoSlash: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'VetoSlash' }),
  /** Emitted by each vault's DefaultStakerRewards. */
  DistributeRewards: getAbiItem({ abi: abis.defaultStakerRewardsAbi, name: 'DistributeRewards' }),
} as const

/** A vault and the contracts it was initialised with (fixed once set: a vault's delegator and slasher never change). */
export interface VaultStructure {
  address: Address
  delegator: Address
  /** The zero address when the vault has no slasher. */
  slasher: Address
  collateral: Address
  epochDuration: number
}

/** The contracts whose events the Symbiotic source holds. */
export interface SymbioticContracts {
  operatorVaultOptInService: Address
  operatorNetworkOptInService: Address
  vaults: readonly { address: Address; delegator: Address; slasher: Address; stakerRewards: readonly Address[] }[]
}

/**
 * Each vault's delegator, slasher, collateral and epoch in one multicall (typed by the vault ABI).
 * @example const [v] = await readVaultStructure(client, [vault]) // v.delegator, v.slasher
 */
export async function readVaultStructure(client: PublicClient, vaults: readonly Address[], blockNumber?: bigint): Promise<VaultStructure[]> {
  const batch = new MulticallBatch()
  const slots = vaults.map((address) => ({
    address,
    delegator: batch.add({ address, abi: abis.vaultAbi, functionName: 'delegator' }),
    slasher: batch.add({ address, abi: abis.vaultAbi, functionName: 'slasher' }),
    collateral: batch.add({ address, abi: abis.vaultAbi, functionName: 'collateral' }),
    epochDuration: batch.add({ address, abi: abis.vaultAbi, functionName: 'epochDuration' }),
  }))
  const get = await runBatch(client, batch, { blockNumber })
  return slots.map((s) => ({ address: toAddr(s.address), delegator: toAddr(get(s.delegator)), slasher: toAddr(get(s.slasher)), collateral: toAddr(get(s.collateral)), epochDuration: Number(get(s.epochDuration)) }))
}

/** The Symbiotic source of a chain: every event of {@link SYMBIOTIC_EVENTS} of the given contracts, from `fromBlock`. */
export function symbioticSource(p: SymbioticContracts & { chainId: number; fromBlock: bigint }): SyncSource {
  const addresses = [...p.vaults.flatMap((v) => [v.delegator, v.slasher, ...v.stakerRewards].filter((a) => a.toLowerCase() !== zeroAddress)), p.operatorVaultOptInService, p.operatorNetworkOptInService]
  return defineSource({ name: 'symbiotic', chainId: p.chainId, addresses, events: Object.values(SYMBIOTIC_EVENTS), fromBlock: p.fromBlock })
}

/** Where the Symbiotic reader gets its logs, once it knows the contracts and the block it reads at. */
export type SymbioticEvents = (q: { contracts: SymbioticContracts; head: { number: bigint; hash: Hex } }) => Promise<LogQuery>

/**
 * The reader's logs through the chain sync: syncs the Symbiotic source (only blocks after its cursor) and answers
 * from the store; throws SyncBehindError while a first sync or a new vault's backfill is not caught up.
 * @example readSymbioticUniverse(client, { …, events: symbioticEvents(client, sync, { chainId, fromBlock }) })
 */
export function symbioticEvents(client: PublicClient, sync: ChainSync, p: { chainId: number; fromBlock: bigint }): SymbioticEvents {
  return async ({ contracts, head }) => (await syncedLogs(client, sync, symbioticSource({ ...contracts, ...p }), head)).query
}
