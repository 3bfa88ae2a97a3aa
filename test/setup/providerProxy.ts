/**
 * A provider-shaped JSON-RPC proxy in front of Anvil: named profiles (infura, alchemy, quicknode, ankr, llamarpc,
 * publicnode, strict) reproduce each provider's limits with its exact refusals (docs/rpc.md): the `eth_getLogs` block
 * span and result caps (with the suggested range where the provider gives one), the `eth_call` / `eth_estimateGas`
 * gas cap (`out of gas (gas capped at: N)`, code -32000), the JSON-RPC batch size, and periodic rate limits — a whole
 * request answered HTTP 429 with `Retry-After`, or one item of an HTTP 200 batch answered with the provider's
 * per-item error. Every limit can be overridden so tests use proportionally smaller limits on a short local chain.
 * It counts HTTP requests, JSON-RPC items and bytes both ways (for benches). Faults (drops, lies) are
 * `test/faults/rpcProxy.ts`'s job; both share `jsonRpcServer.ts`.
 */
import { type JsonRpcExchange, type RpcAnswer, type RpcRequest, forwardJsonRpc, serveJsonRpc } from './jsonRpcServer.js'

/** A refusal as the provider sends it: a JSON-RPC error for that item, or an HTTP error for the whole request. */
export type Refusal = { error: { code: number; message: string; data?: unknown } } | { http: number; body: string }

/** Where a refused `eth_getLogs` stood: the span asked, the cap hit, and the last block that would have fit. */
export interface GetLogsRefusalContext {
  fromBlock: bigint
  toBlock: bigint
  limit: number
  /** For a result cap: the last block whose logs still fit under the cap (≥ fromBlock). */
  fitsTo: bigint
}

/** One provider's limits and wording. Absent limit = none. */
export interface ProviderProfile {
  name: string
  /** Largest `eth_getLogs` span in blocks. */
  maxLogsRange?: number | undefined
  /** Most logs in one `eth_getLogs` answer. */
  maxLogsResults?: number | undefined
  /** Alchemy: refuse only when the span AND the result count are over their caps (either alone is accepted). */
  logsCapsCombined?: boolean | undefined
  rangeRefusal?: ((c: GetLogsRefusalContext) => Refusal) | undefined
  resultsRefusal?: ((c: GetLogsRefusalContext) => Refusal) | undefined
  /** `eth_call` / `eth_estimateGas` gas cap. */
  gasCap?: bigint | undefined
  /** Most JSON-RPC items in one HTTP batch. */
  maxBatch?: number | undefined
  batchRefusal?: ((size: number, limit: number) => Refusal) | undefined
  /** Every Nth HTTP request (N, 2N, …) is answered HTTP 429 with `Retry-After: retryAfterSeconds`. */
  http429Every?: number | undefined
  retryAfterSeconds?: number | undefined
  /** Every Nth item inside a batch is answered with `rateLimitItem` (the rest of the batch is served). */
  item429Every?: number | undefined
  rateLimitItem?: { code: number; message: string; data?: unknown } | undefined
}

const hex = (n: bigint) => `0x${n.toString(16)}`
const HEX = (n: bigint) => `0x${n.toString(16).toUpperCase()}`
const err = (code: number, message: string, data?: unknown): Refusal => ({ error: { code, message, ...(data === undefined ? {} : { data }) } })

/** The providers' real limits and exact messages (docs/rpc.md). */
export const PROVIDER_PROFILES = {
  infura: {
    name: 'infura',
    maxLogsResults: 10_000,
    resultsRefusal: (c) => err(-32005, `query returned more than ${c.limit} results. Try with this block range [${HEX(c.fromBlock)}, ${HEX(c.fitsTo)}].`, { from: HEX(c.fromBlock), limit: c.limit, to: HEX(c.fitsTo) }),
    gasCap: 50_000_000n,
    http429Every: 0,
    retryAfterSeconds: 1,
    rateLimitItem: { code: -32005, message: 'project ID request rate exceeded', data: { see: 'https://infura.io/dashboard', current_rps: 13.333, allowed_rps: 10.0, backoff_seconds: 1.0 } },
  },
  alchemy: {
    name: 'alchemy',
    maxLogsRange: 2_000,
    maxLogsResults: 10_000,
    logsCapsCombined: true,
    resultsRefusal: (c) =>
      err(
        -32602,
        `Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [${hex(c.fromBlock)}, ${hex(c.fitsTo)}]`,
      ),
    gasCap: 550_000_000n,
    maxBatch: 1_000,
    // The limit is documented, the wording of its refusal is ours.
    batchRefusal: (size, limit) => err(-32600, `Batch size too large: ${size} requests, the limit is ${limit}`),
    retryAfterSeconds: 1,
    rateLimitItem: {
      code: 429,
      message: 'Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message. If not, check out https://docs.alchemy.com/reference/throughput',
    },
  },
  quicknode: {
    name: 'quicknode',
    maxLogsRange: 10_000,
    // viem surfaces it as an HttpRequestError: not a JSON-RPC error object.
    rangeRefusal: (c) => ({ http: 413, body: JSON.stringify({ jsonrpc: '2.0', id: null, error: `eth_getLogs is limited to a ${c.limit.toLocaleString('en-US')} range` }) }),
    gasCap: 50_000_000n,
    retryAfterSeconds: 1,
    rateLimitItem: { code: -32007, message: '15/second request limit reached - reduce calls per second or upgrade your account at quicknode.com' },
  },
  ankr: {
    name: 'ankr',
    maxLogsResults: 200_000,
    resultsRefusal: () => err(-32600, 'query exceeds max results'),
    // Ankr documents the message, not the span: 3,000 blocks is our assumption.
    maxLogsRange: 3_000,
    rangeRefusal: () => err(-32600, 'block range is too wide'),
    gasCap: 50_000_000n,
    retryAfterSeconds: 1,
    rateLimitItem: { code: 429, message: 'Too Many Requests' },
  },
  llamarpc: {
    name: 'llamarpc',
    maxLogsResults: 20_000,
    resultsRefusal: (c) => err(-32602, `query exceeds max results ${c.limit}, retry with the range ${c.fromBlock}-${c.fitsTo}`),
    gasCap: 50_000_000n,
    retryAfterSeconds: 1,
    rateLimitItem: { code: 429, message: 'Too Many Requests' },
  },
  publicnode: {
    name: 'publicnode',
    maxLogsRange: 50_000,
    rangeRefusal: (c) => err(-32000, `exceed maximum block range: ${c.limit}`),
    gasCap: 50_000_000n,
    retryAfterSeconds: 1,
    rateLimitItem: { code: 429, message: 'Too Many Requests' },
  },
  /** The strictest mix, in wordings no row of the bot's table names (only its catch-all): it must halve. */
  strict: {
    name: 'strict',
    maxLogsRange: 5,
    rangeRefusal: () => err(-32000, 'block range too large'),
    maxLogsResults: 1_000,
    resultsRefusal: () => err(-32000, 'too many results'),
    gasCap: 50_000_000n,
    maxBatch: 10,
    batchRefusal: (size, limit) => err(-32600, `batch of ${size} exceeds the limit of ${limit}`),
    http429Every: 7,
    item429Every: 5,
    retryAfterSeconds: 1,
    rateLimitItem: { code: 429, message: 'Too Many Requests' },
  },
} satisfies Record<string, ProviderProfile>

export type ProviderName = keyof typeof PROVIDER_PROFILES

/** A named profile with some limits overridden (e.g. `{ maxLogsResults: 20 }` on a short local chain). */
export function providerProfile(name: ProviderName, overrides: Partial<ProviderProfile> = {}): ProviderProfile {
  return { ...PROVIDER_PROFILES[name], ...overrides }
}

/**
 * Each profile's log caps scaled to the default local world (a few hundred blocks): small enough that every read of
 * its history is refused and must adapt, as mainnet history is against the real caps.
 */
export const LOCAL_WORLD_LIMITS: Record<ProviderName, Partial<ProviderProfile>> = {
  infura: { maxLogsResults: 3 },
  alchemy: { maxLogsRange: 40, maxLogsResults: 3, maxBatch: 20 },
  quicknode: { maxLogsRange: 50 },
  ankr: { maxLogsRange: 100, maxLogsResults: 5 },
  llamarpc: { maxLogsResults: 4 },
  publicnode: { maxLogsRange: 30 },
  strict: { maxLogsRange: 5, maxLogsResults: 2 },
}

/**
 * A profile as the integration tests run it on the local world: its log caps scaled ({@link LOCAL_WORLD_LIMITS}), a
 * whole-request 429 every 9th HTTP request and a per-item 429 every 7th batch item, with waits short enough for CI.
 */
export function localWorldProfile(name: ProviderName, overrides: Partial<ProviderProfile> = {}): ProviderProfile {
  const base: { code: number; message: string; data?: unknown } = PROVIDER_PROFILES[name].rateLimitItem
  const item = base.data ? { ...base, data: { ...(base.data as object), backoff_seconds: 0.05 } } : base
  return providerProfile(name, { http429Every: 9, item429Every: 7, retryAfterSeconds: 0, rateLimitItem: item, ...LOCAL_WORLD_LIMITS[name], ...overrides })
}

/** What the proxy saw and refused (reset with `reset()`). */
export interface ProviderProxyStats {
  httpRequests: number
  items: number
  byMethod: Record<string, number>
  bytesIn: number
  bytesOut: number
  /** Refusals per kind: `logsRange`, `logsResults`, `gasCap`, `batch`, `http429`, `item429`. */
  refused: Record<string, number>
  /** Largest `eth_estimateGas` of an `eth_call` seen (only with `measureCallGas`). */
  maxCallGas: bigint
}

/** A running provider proxy. */
export interface ProviderProxy {
  url: string
  profile: ProviderProfile
  /** Replaces the profile; its periodic 429s count from zero again (the stats keep running). */
  setProfile(p: ProviderProfile): void
  stats(): ProviderProxyStats
  reset(): void
  close(): Promise<void>
}

/** Options of {@link startProviderProxy}. */
export interface StartProviderProxyParameters {
  /** The node behind (Anvil). */
  target: string
  profile: ProviderProfile
  /** Also estimate the gas of every `eth_call` (for benches; doubles the node's work). */
  measureCallGas?: boolean
}

const fresh = (): ProviderProxyStats => ({ httpRequests: 0, items: 0, byMethod: {}, bytesIn: 0, bytesOut: 0, refused: {}, maxCallGas: 0n })

/** Starts the proxy on a free loopback port in front of `target`. */
export async function startProviderProxy({ target, profile: initial, measureCallGas = false }: StartProviderProxyParameters): Promise<ProviderProxy> {
  let profile = initial
  let stats = fresh()
  let httpSeen = 0
  let itemsInBatches = 0
  const limitedItems = new Set<string>()
  const refuse = (kind: string) => (stats.refused[kind] = (stats.refused[kind] ?? 0) + 1)

  const call = async (method: string, params: unknown[]): Promise<RpcAnswer> => JSON.parse(await forwardJsonRpc(target, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))) as RpcAnswer
  const blockOf = async (tag: unknown): Promise<bigint> => {
    if (typeof tag === 'string' && tag.startsWith('0x')) return BigInt(tag)
    if (tag === 'earliest') return 0n
    return BigInt((await call('eth_blockNumber', [])).result as string)
  }

  /** One item: an answer, or a refusal that fails the whole HTTP request. */
  const serve = async (r: RpcRequest): Promise<RpcAnswer | { http: number; body: string }> => {
    const answer = (a: Omit<RpcAnswer, 'jsonrpc' | 'id'>): RpcAnswer => ({ jsonrpc: '2.0', id: r.id, ...a })
    const refusal = (f: Refusal, kind: string) => {
      refuse(kind)
      return 'http' in f ? f : answer({ error: f.error })
    }
    const params = r.params ?? []
    if (r.method === 'eth_getLogs' && (profile.maxLogsRange || profile.maxLogsResults)) {
      const filter = (params[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string }
      if (filter.blockHash) return { ...(await call(r.method, params)), id: r.id }
      const fromBlock = await blockOf(filter.fromBlock ?? 'latest')
      const toBlock = await blockOf(filter.toBlock ?? 'latest')
      const span = Number(toBlock - fromBlock + 1n)
      const overRange = profile.maxLogsRange !== undefined && span > profile.maxLogsRange
      if (overRange && !profile.logsCapsCombined) return refusal((profile.rangeRefusal ?? defaultRange)({ fromBlock, toBlock, limit: profile.maxLogsRange!, fitsTo: fromBlock + BigInt(profile.maxLogsRange!) - 1n }), 'logsRange')
      const got = await call(r.method, [{ ...filter, fromBlock: hex(fromBlock), toBlock: hex(toBlock) }])
      const logs = got.result as { blockNumber: string }[] | undefined
      const max = profile.maxLogsResults
      if (logs && max !== undefined && logs.length > max && (!profile.logsCapsCombined || overRange)) {
        const firstOver = BigInt(logs[max]!.blockNumber)
        const fitsTo = firstOver - 1n >= fromBlock ? firstOver - 1n : fromBlock
        return refusal((profile.resultsRefusal ?? defaultResults)({ fromBlock, toBlock, limit: max, fitsTo }), 'logsResults')
      }
      return { ...got, id: r.id }
    }
    if ((r.method === 'eth_call' || r.method === 'eth_estimateGas') && profile.gasCap !== undefined) {
      const cap = profile.gasCap
      const [tx, ...rest] = params as [{ gas?: string }, ...unknown[]]
      if (r.method === 'eth_estimateGas') {
        const est = await call(r.method, params)
        if (typeof est.result === 'string' && BigInt(est.result) > cap) return refusal(err(-32000, `out of gas (gas capped at: ${cap})`), 'gasCap')
        return { ...est, id: r.id }
      }
      const gas = tx.gas !== undefined && BigInt(tx.gas) < cap ? BigInt(tx.gas) : cap
      const capped = await call(r.method, [{ ...tx, gas: hex(gas) }, ...rest])
      if (capped.error && gas === cap) {
        // The node's own answer with its full gas: if that succeeds, the cap was the reason.
        const full = await call(r.method, params)
        if (!full.error) return refusal(err(-32000, `out of gas (gas capped at: ${cap})`), 'gasCap')
      }
      if (measureCallGas && !capped.error) {
        const est = await call('eth_estimateGas', params)
        if (typeof est.result === 'string' && BigInt(est.result) > stats.maxCallGas) stats.maxCallGas = BigInt(est.result)
      }
      return { ...capped, id: r.id }
    }
    return { ...(await call(r.method, params)), id: r.id }
  }

  const handle = async ({ res, body, list, batch }: JsonRpcExchange): Promise<void> => {
    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      stats.bytesOut += Buffer.byteLength(text)
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text)
    }
    stats.httpRequests++
    stats.items += list.length
    stats.bytesIn += Buffer.byteLength(body)
    for (const r of list) stats.byMethod[r.method] = (stats.byMethod[r.method] ?? 0) + 1
    httpSeen++
    if (profile.http429Every && httpSeen % profile.http429Every === 0) {
      refuse('http429')
      send(429, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: 429, message: 'Too Many Requests' } }), { 'retry-after': String(profile.retryAfterSeconds ?? 1) })
      return
    }
    if (batch && profile.maxBatch !== undefined && list.length > profile.maxBatch) {
      const f = (profile.batchRefusal ?? defaultBatch)(list.length, profile.maxBatch)
      refuse('batch')
      if ('http' in f) send(f.http, f.body)
      else send(200, JSON.stringify({ jsonrpc: '2.0', id: null, error: f.error }))
      return
    }
    const answers = await Promise.all(
      list.map(async (r): Promise<RpcAnswer | { http: number; body: string }> => {
        // A refused item is served when it comes back (its window has passed): a fixed period must not starve one caller.
        const key = `${r.method}:${JSON.stringify(r.params ?? [])}`
        const retried = limitedItems.delete(key)
        if (batch && profile.item429Every && ++itemsInBatches % profile.item429Every === 0 && profile.rateLimitItem && !retried) {
          limitedItems.add(key)
          refuse('item429')
          return { jsonrpc: '2.0', id: r.id, error: profile.rateLimitItem }
        }
        return serve(r)
      }),
    )
    const httpRefusal = answers.find((a): a is { http: number; body: string } => 'http' in a)
    if (httpRefusal) return send(httpRefusal.http, httpRefusal.body)
    send(200, JSON.stringify(batch ? answers : answers[0]))
  }

  const server = await serveJsonRpc(handle)
  return {
    url: server.url,
    get profile() {
      return profile
    },
    setProfile: (p) => {
      profile = p
      httpSeen = 0
      itemsInBatches = 0
    },
    stats: () => ({ ...structuredClone({ ...stats, maxCallGas: 0n }), maxCallGas: stats.maxCallGas }),
    reset: () => {
      stats = fresh()
    },
    close: () => server.close(),
  }
}

const defaultRange = (c: GetLogsRefusalContext): Refusal => err(-32000, `block range too large (max ${c.limit})`)
const defaultResults = (c: GetLogsRefusalContext): Refusal => err(-32000, `query returned more than ${c.limit} results`)
const defaultBatch = (size: number, limit: number): Refusal => err(-32600, `batch of ${size} exceeds the limit of ${limit}`)
