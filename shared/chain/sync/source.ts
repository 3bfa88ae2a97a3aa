/** Sync sources (a named, hashed filter: addresses × event topics from a deployment block) and the log fetcher they are read with. */
import { type AbiEvent, type Address, type Hex, type Log, type PublicClient, formatLog, keccak256, numberToHex, stringToHex, toEventSelector } from 'viem'
import { InvalidSyncSourceError } from './errors.js'

/** One `eth_getLogs` request: every log of `address` matching `topics` in [fromBlock, toBlock]. */
export interface LogFetcherRequest {
  address: Address[]
  topics?: (Hex | Hex[] | null)[]
  fromBlock: bigint
  toBlock: bigint
}

/**
 * Fetches the logs of one request however the provider needs (the adaptive fetcher of `shared/chain/rpc` splits
 * ranges and address lists); the default is one plain `eth_getLogs` per request ({@link createLogFetcher}).
 */
export type LogFetcher = (req: LogFetcherRequest) => Promise<Log[]>

/** Parameters of {@link defineSource}. */
export interface DefineSourceParameters {
  /** Stable name, e.g. `symbiotic` (the cursor and the logs are stored under chain id + name). */
  name: string
  chainId: number
  /** Contracts whose logs are kept. */
  addresses: readonly Address[]
  /** Events kept: ABI events or their topic0 selectors. */
  events: readonly (AbiEvent | Hex)[]
  /** First block to read (the core's deployment block). */
  fromBlock: bigint
}

/** A normalised source: lower-case sorted unique addresses and topic0s, and the hash of that filter. */
export interface SyncSource {
  name: string
  chainId: number
  addresses: Address[]
  /** topic0 of every kept event. */
  topics: Hex[]
  fromBlock: bigint
  /** keccak256 of the canonical filter (chain, addresses, topics, fromBlock): changes whenever the filter does. */
  filterHash: Hex
}

const sortedUnique = <T extends string>(xs: readonly T[]) => [...new Set(xs.map((x) => x.toLowerCase() as T))].sort()

/** Validates and normalises a source; throws {@link InvalidSyncSourceError} on an empty or malformed filter. */
export function defineSource(p: DefineSourceParameters): SyncSource {
  const problems: string[] = []
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(p.name)) problems.push(`name "${p.name}" must be 1–64 of A-Z a-z 0-9 . _ : -`)
  if (!Number.isSafeInteger(p.chainId) || p.chainId <= 0) problems.push(`chainId ${p.chainId} is not a positive integer`)
  if (p.fromBlock < 0n) problems.push(`fromBlock ${p.fromBlock} is negative`)
  const addresses = sortedUnique(p.addresses)
  if (addresses.length === 0) problems.push('no address')
  for (const a of addresses) if (!/^0x[0-9a-f]{40}$/.test(a)) problems.push(`address ${a} is not a 20-byte hex address`)
  const topics = sortedUnique(p.events.map((e) => (typeof e === 'string' ? e : toEventSelector(e))))
  if (topics.length === 0) problems.push('no event')
  for (const t of topics) if (!/^0x[0-9a-f]{64}$/.test(t)) problems.push(`event topic ${t} is not a 32-byte hex selector`)
  if (problems.length > 0) throw new InvalidSyncSourceError({ source: p.name, problems })
  const filterHash = keccak256(stringToHex(JSON.stringify({ chainId: p.chainId, addresses, topics, fromBlock: p.fromBlock.toString() })))
  return { name: p.name, chainId: p.chainId, addresses, topics, fromBlock: p.fromBlock, filterHash }
}

/** The default {@link LogFetcher}: one plain `eth_getLogs` per request through `client` (no splitting). */
export function createLogFetcher(client: Pick<PublicClient, 'request'>): LogFetcher {
  return async (req) => {
    const logs = await client.request({
      method: 'eth_getLogs',
      params: [{ address: req.address, ...(req.topics ? { topics: req.topics } : {}), fromBlock: numberToHex(req.fromBlock), toBlock: numberToHex(req.toBlock) }],
    })
    return logs.map((l) => formatLog(l))
  }
}
