/** viem clients for the bot: one chain definition with Multicall3, an HTTP transport that batches JSON-RPC, and RPC-call counting. */
import { type Chain, type PublicClient, createPublicClient, defineChain, http } from 'viem'

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

/** Options for {@link createReader}. */
export interface CreateReaderParameters {
  rpcUrl: string
  chainId: number
  /** Called once per HTTP request to the node (a JSON-RPC batch counts once): lets tests count round trips. */
  onRequest?: () => void
  /** Per-request timeout in ms (default 15 000). */
  timeoutMs?: number
}

/** A public client whose concurrent requests share one HTTP round trip (JSON-RPC batch). */
export function createReader({ rpcUrl, chainId, onRequest, timeoutMs = 15_000 }: CreateReaderParameters): PublicClient {
  return createPublicClient({
    chain: localChain(chainId, rpcUrl),
    transport: http(rpcUrl, {
      batch: { batchSize: 1000, wait: 0 },
      timeout: timeoutMs,
      retryCount: 2,
      onFetchRequest: onRequest ? () => { onRequest() } : undefined,
    }),
    batch: { multicall: false },
    pollingInterval: 250,
  })
}
