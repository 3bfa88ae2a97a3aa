/**
 * Multicall split by gas as well as by calldata size: a node caps `eth_call` gas (geth and reth default 50M, answering
 * `out of gas (gas capped at: 50000000)`), so one Multicall3 `aggregate3` over thousands of reads fails however small
 * its calldata. Calls are chunked by an estimated gas budget per call, chunks run concurrently (viem batches them into
 * one HTTP request), and a chunk the node still refuses for gas is halved until it fits.
 */
import type { Client } from 'viem'
import { multicall as viemMulticall } from 'viem/actions'
import { isGasCapError } from './refusals.js'

/** Multicall parameters as viem's `multicall` action takes them. */
export type MulticallWithinGasParameters = Parameters<typeof viemMulticall>[1]

/** One call of a multicall (what {@link MulticallGasOptions.gasPerCall} is asked about). */
export type MulticallCall = MulticallWithinGasParameters['contracts'][number]

/** Gas options of {@link multicallWithinGas}. */
export interface MulticallGasOptions {
  /** The node's `eth_call` gas cap (config `rpc.maxCallGas`, default 50,000,000). Chunks are planned at 80% of it. */
  maxCallGas?: bigint | number | undefined
  /**
   * Estimated gas of one call (default 14,000). The readers' views (checkpoint searches over a few cold slots) measure
   * 8,800–9,700 gas a call on the mainnet-sized local world (`npm run bench`, benchSync: 17.65M gas for a chunk of
   * 2,000 calls), so a chunk planned at 14,000 a call within 80% of the cap uses about half the cap. An underestimate
   * costs one extra split (a chunk the node refuses for gas is halved); an overestimate only more chunks, and so more
   * HTTP requests per run.
   */
  gasPerCall?: bigint | ((call: MulticallCall) => bigint) | undefined
}

/** Default per-call gas estimate. */
export const DEFAULT_GAS_PER_CALL = 14_000n

/** Splits `calls` into consecutive chunks whose estimated gas stays within `budget` (a call over budget goes alone). */
export function chunkByGas<T>(calls: readonly T[], budget: bigint, gasOf: (c: T) => bigint): T[][] {
  const chunks: T[][] = []
  let current: T[] = []
  let used = 0n
  for (const c of calls) {
    const g = gasOf(c)
    if (current.length > 0 && used + g > budget) {
      chunks.push(current)
      current = []
      used = 0n
    }
    current.push(c)
    used += g
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/**
 * viem's `multicall`, chunked by gas under the node's cap (see the file header). Same parameters and results.
 * @example const out = await multicallWithinGas(client, { contracts, allowFailure: false, blockNumber, batchSize: 200_000 }, { maxCallGas: 50_000_000n })
 */
export async function multicallWithinGas(client: Client, args: MulticallWithinGasParameters, o: MulticallGasOptions = {}): Promise<unknown[]> {
  const budget = (BigInt(o.maxCallGas ?? 50_000_000) * 8n) / 10n
  const per = o.gasPerCall ?? DEFAULT_GAS_PER_CALL
  const gasOf = typeof per === 'function' ? per : () => per
  const run = async (calls: MulticallCall[]): Promise<unknown[]> => {
    let out: unknown[] | undefined
    let refused: unknown
    try {
      out = (await viemMulticall(client as never, { ...args, contracts: calls } as never)) as unknown[]
    } catch (e) {
      refused = e
    }
    // With allowFailure, viem reports a refused eth_call as a failure of every call in it.
    const failures = out?.filter((r) => (r as { status?: string }).status === 'failure') as { error?: unknown }[] | undefined
    if (out && failures?.length === calls.length && calls.length > 1 && isGasCapError(failures[0]?.error)) refused = failures[0]?.error
    else if (out) return out
    if (calls.length < 2 || !isGasCapError(refused)) throw refused
    const mid = Math.ceil(calls.length / 2)
    return (await Promise.all([run(calls.slice(0, mid)), run(calls.slice(mid))])).flat()
  }
  const chunks = chunkByGas(args.contracts as readonly MulticallCall[], budget, gasOf)
  return (await Promise.all(chunks.map(run))).flat()
}
