/**
 * The EigenLayer sync source (docs/sync.md): the core's events the reader replays (operator sets and their members,
 * slashes, registered operators, reward submissions), kept in the `chainLogs` store by the chain sync, so a scheduled
 * run reads only the blocks after the source's cursor.
 */
import { type Address, type Hex, type PublicClient, getAbiItem } from 'viem'
import { type ChainSync, type LogQuery, type SyncSource, defineSource, syncedLogs } from '../../chain/sync/index.js'
import { allocationManagerAbi, delegationManagerAbi, rewardsCoordinatorAbi } from './abis.js'
import { REWARD_KINDS } from './rewards.js'

/** The AllocationManager events that define operator sets, memberships and slashes. */
export const ALLOCATION_MANAGER_EVENTS = (['StrategyAddedToOperatorSet', 'StrategyRemovedFromOperatorSet', 'OperatorAddedToOperatorSet', 'OperatorRemovedFromOperatorSet', 'OperatorSlashed'] as const).map((name) =>
  getAbiItem({ abi: allocationManagerAbi, name }),
)
/** The DelegationManager events: registered operators, and the shares each slash took. */
export const OPERATOR_REGISTERED = getAbiItem({ abi: delegationManagerAbi, name: 'OperatorRegistered' })
export const OPERATOR_SHARES_SLASHED = getAbiItem({ abi: delegationManagerAbi, name: 'OperatorSharesSlashed' })
/** Every RewardsCoordinator submission event. */
export const REWARDS_EVENTS = REWARD_KINDS.map(([name]) => getAbiItem({ abi: rewardsCoordinatorAbi, name }))

/** The core contracts whose events the EigenLayer source holds. */
export interface EigenLayerContracts {
  delegationManager: Address
  allocationManager: Address
  rewardsCoordinator: Address
}

/** The EigenLayer source of a chain, from the core's deployment block. */
export function eigenLayerSource(p: EigenLayerContracts & { chainId: number; fromBlock: bigint }): SyncSource {
  return defineSource({
    name: 'eigenlayer',
    chainId: p.chainId,
    addresses: [p.delegationManager, p.allocationManager, p.rewardsCoordinator],
    events: [...ALLOCATION_MANAGER_EVENTS, OPERATOR_REGISTERED, OPERATOR_SHARES_SLASHED, ...REWARDS_EVENTS],
    fromBlock: p.fromBlock,
  })
}

/** Where the EigenLayer reader gets its logs, given the block it reads at. */
export type EigenLayerEvents = (q: { contracts: EigenLayerContracts; head: { number: bigint; hash: Hex } }) => Promise<LogQuery>

/**
 * The reader's logs through the chain sync: syncs the EigenLayer source (only blocks after its cursor) and answers from
 * the store; throws SyncBehindError while a first sync is not caught up.
 */
export function eigenLayerEvents(client: PublicClient, sync: ChainSync, p: { chainId: number; fromBlock: bigint }): EigenLayerEvents {
  return async ({ contracts, head }) => (await syncedLogs(client, sync, eigenLayerSource({ ...contracts, ...p }), head)).query
}
