/**
 * viem clients for the bot: one chain definition with Multicall3 and a provider-proof transport (ranked URLs with
 * failover, chain-id check, batches within a size, retries honouring `Retry-After`; see `rpc/` and docs/rpc.md), with
 * `getLogs` in adaptive ranges and `multicall` split by gas, and RPC-call counting.
 */
import { type Chain, type Client, type PublicClient, createClient, defineChain } from 'viem'
import { estimateFeesPerGas, getBlock, getBlockNumber, getChainId, getCode, getLogs, getTransaction, getTransactionCount, getTransactionReceipt, multicall, readContract, sendRawTransaction, simulateContract } from 'viem/actions'
import { adaptiveGetLogs } from './rpc/getLogs.js'
import { multicallWithinGas } from './rpc/multicall.js'
import { providerTransport } from './rpc/transport.js'

/** Canonical Multicall3 address (deployed on every mainnet; the local world puts the same code there). */
export const MULTICALL3_ADDRESS = '0xcA11bde05977b3631167028862bE2a173976CA11' as const

/** A chain definition for `chainId` with Multicall3 at its canonical address. */
export function localChain(chainId: number, rpcUrl = 'http://127.0.0.1:8545'): Chain {
  return defineChain({
    id: chainId,
    name: chainId === 31337 ? 'anvil' : `chain-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
    contracts: { multicall3: { address: MULTICALL3_ADDRESS } },
  })
}

/** First `eth_getLogs` span of the reader's `getLogs` (= the largest): a provider that allows it answers in one request. */
const READER_INITIAL_LOGS_RANGE = 1_000_000

/** Provider limits the reader keeps within (config `rpc`, docs/rpc.md). */
export interface RpcOptions {
  /** A fixed `eth_getLogs` span in blocks; absent = adaptive (start 500, take the provider's hint, halve, grow ×1.05). */
  getLogsRange?: number | undefined
  /** JSON-RPC requests per HTTP batch (default 50). */
  batchSize?: number | undefined
  /** The node's `eth_call` gas cap: multicalls are split to stay under it (default 50,000,000). */
  maxCallGas?: number | bigint | undefined
}

/** Options for {@link createReader}. */
export interface CreateReaderParameters {
  /** The preferred RPC URL. */
  rpcUrl: string
  /** Further RPC URLs, in order of preference, used when the ones before fail (config `rpcUrls`). */
  rpcUrls?: readonly string[] | undefined
  chainId: number
  /** Provider limits (config `rpc`). */
  rpc?: RpcOptions | undefined
  /** Called once per HTTP request to the node (a JSON-RPC batch counts once): lets tests count round trips. */
  onRequest?: () => void
  /** Per-request timeout in ms (default 15 000). */
  timeoutMs?: number
}

/**
 * The public actions the bot calls, bound to a client. A subset of viem's `publicActions` imported one by one from
 * `viem/actions`, so the Lambda bundles tree-shake the rest (≈ 100 KB). A unit test scans the sources and fails when
 * code calls a client method that is not listed here.
 */
export function readerActions(client: Client) {
  type Args<F extends (c: never, a: never) => unknown> = Parameters<F>[1]
  const c = client as never
  return {
    estimateFeesPerGas: (a?: Args<typeof estimateFeesPerGas>) => estimateFeesPerGas(c, a),
    getBlock: (a?: Args<typeof getBlock>) => getBlock(c, a),
    getBlockNumber: (a?: Args<typeof getBlockNumber>) => getBlockNumber(c, a),
    getChainId: () => getChainId(c),
    getCode: (a: Args<typeof getCode>) => getCode(c, a),
    getLogs: (a?: Args<typeof getLogs>) => getLogs(c, a),
    getTransaction: (a: Args<typeof getTransaction>) => getTransaction(c, a),
    getTransactionCount: (a: Args<typeof getTransactionCount>) => getTransactionCount(c, a),
    getTransactionReceipt: (a: Args<typeof getTransactionReceipt>) => getTransactionReceipt(c, a),
    multicall: (a: Args<typeof multicall>) => multicall(c, a),
    readContract: (a: Args<typeof readContract>) => readContract(c, a),
    sendRawTransaction: (a: Args<typeof sendRawTransaction>) => sendRawTransaction(c, a),
    simulateContract: (a: Args<typeof simulateContract>) => simulateContract(c, a),
  }
}

/**
 * A public client whose concurrent requests share one HTTP round trip (JSON-RPC batch), over every configured URL with
 * failover, refusing a node on another chain. It carries only {@link readerActions}, with `getLogs` in adaptive ranges
 * and `multicall` split by gas (typed as viem's `PublicClient` so adapters stay plain viem code).
 */
export function createReader({ rpcUrl, rpcUrls = [], chainId, rpc = {}, onRequest, timeoutMs = 15_000 }: CreateReaderParameters): PublicClient {
  return createClient({
    chain: localChain(chainId, rpcUrl),
    transport: providerTransport({ urls: [rpcUrl, ...rpcUrls], chainId, batchSize: rpc.batchSize, timeoutMs, onRequest: onRequest ? () => onRequest() : undefined }),
    batch: { multicall: false },
    pollingInterval: 250,
  }).extend(((client: Client) => ({
    ...readerActions(client),
    // Full-history reads try the whole span first (one request where the provider allows it), then learn its limit.
    getLogs: adaptiveGetLogs(client, { fixedRange: rpc.getLogsRange, initialRange: READER_INITIAL_LOGS_RANGE }) as never,
    multicall: (a: Parameters<typeof multicall>[1]) => multicallWithinGas(client, a, { maxCallGas: rpc.maxCallGas }) as ReturnType<typeof multicall>,
  })) as never) as unknown as PublicClient
}
