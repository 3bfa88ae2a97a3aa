/**
 * Typed multicall batches. viem types `multicall` results only for a fixed tuple of contracts; the readers build
 * their batches in loops (per vault, per staker, per subnetwork), which would lose the types and leave positional
 * reads (`out[i * 4 + 2] as bigint`). A {@link MulticallBatch} hands back a typed {@link Slot} per call instead, and
 * runs as the one `multicall` it always was, so round trips do not change.
 */
import type { Abi, ContractFunctionArgs, ContractFunctionName, ContractFunctionParameters, ContractFunctionReturnType, PublicClient } from 'viem'

type ReadOnly = 'pure' | 'view'

/** Where one call's result lands in its batch; `T` is the call's return type, inferred from its ABI. */
export interface Slot<T> {
  readonly index: number
  /** Type only: never set. */
  readonly __result?: T
}

/** Calls collected for one multicall; each {@link MulticallBatch.add} returns the typed slot of its result. */
export class MulticallBatch {
  readonly contracts: ContractFunctionParameters[] = []

  /** Adds one read; the slot's type is the function's return type (`bigint`, `boolean`, a tuple…). */
  add<const abi extends Abi, functionName extends ContractFunctionName<abi, ReadOnly>, const args extends ContractFunctionArgs<abi, ReadOnly, functionName>>(
    call: ContractFunctionParameters<abi, ReadOnly, functionName, args>,
  ): Slot<ContractFunctionReturnType<abi, ReadOnly, functionName, args>> {
    this.contracts.push(call as ContractFunctionParameters)
    return { index: this.contracts.length - 1 }
  }

  get size(): number {
    return this.contracts.length
  }
}

/** The results of a batch, read back by slot. */
export type BatchResults = <T>(slot: Slot<T>) => T

/** Parameters of {@link runBatch}. */
export interface RunBatchParameters {
  /** Block to read at (default: latest). */
  blockNumber?: bigint | undefined
}

/**
 * Runs a batch as one viem `multicall` (Multicall3, `allowFailure: false`: any revert fails the read) and returns its
 * typed reader. An empty batch makes no request.
 */
export async function runBatch(client: PublicClient, batch: MulticallBatch, p: RunBatchParameters = {}): Promise<BatchResults> {
  const out: readonly unknown[] = batch.size === 0 ? [] : await client.multicall({ contracts: batch.contracts, allowFailure: false, blockNumber: p.blockNumber, batchSize: 200_000 })
  return <T>(slot: Slot<T>) => out[slot.index] as T
}
