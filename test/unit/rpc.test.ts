/** Provider-proof requests: reading each provider's refusal, adapting eth_getLogs spans, splitting by gas, when to retry. */
import { HttpRequestError, RpcRequestError, TimeoutError } from 'viem'
import { describe, expect, it } from 'vitest'
import { type LogRange, createLogRange, fetchInRanges, grownRange, rangeAfterRefusal } from '../../shared/chain/rpc/getLogs.js'
import { chunkByGas } from '../../shared/chain/rpc/multicall.js'
import { getLogsAdvice, isGasCapError } from '../../shared/chain/rpc/refusals.js'
import { isFinalAnswer, namedWaitMs, retryWaitMs } from '../../shared/chain/rpc/transport.js'
import { configFromEnv, parseConfig } from '../../shared/config/config.js'
import { TABLES } from '../../shared/store/tables.js'

/** An error as viem's http transport raises it for a JSON-RPC error answer. */
const rpcError = (code: number, message: string, p: { status?: number; headers?: Record<string, string>; data?: unknown } = {}) =>
  new RpcRequestError({ body: { method: 'eth_getLogs' }, error: { code, message, data: p.data }, url: 'http://node', status: p.status, headers: p.headers ? new Headers(p.headers) : undefined })

describe('getLogsAdvice: every provider refusal in docs/rpc.md', () => {
  it('reads the suggested range of Infura, Alchemy and llamarpc', () => {
    expect(getLogsAdvice(rpcError(-32005, 'query returned more than 10000 results. Try with this block range [0xBDE5F8, 0x102DBCC].'))).toEqual({ kind: 'range', fromBlock: 0xbde5f8n, toBlock: 0x102dbccn })
    expect(
      getLogsAdvice(
        rpcError(
          -32602,
          'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x0, 0xd043b8]',
        ),
      ),
    ).toEqual({ kind: 'range', fromBlock: 0n, toBlock: 0xd043b8n })
    expect(getLogsAdvice(rpcError(-32602, 'query exceeds max results 20000, retry with the range 18000000-18000499'))).toEqual({ kind: 'range', fromBlock: 18_000_000n, toBlock: 18_000_499n })
  })

  it('reads the stated span limit of QuickNode (an HTTP error) and publicnode', () => {
    const quicknode = new HttpRequestError({ url: 'http://node', status: 413, details: '"eth_getLogs is limited to a 10,000 range"' })
    expect(getLogsAdvice(quicknode)).toEqual({ kind: 'limit', blocks: 10_000n })
    expect(getLogsAdvice(rpcError(-32000, 'exceed maximum block range: 50000'))).toEqual({ kind: 'limit', blocks: 50_000n })
  })

  it('halves on result caps, timeouts and unknown wordings; a rate limit or a revert is not about the range', () => {
    for (const m of ['query returned more than 10000 results', 'query timeout exceeded', 'block range is too wide', 'query exceeds max results', 'Log response size exceeded.', 'too many logs in range (xyz)', 'range too large, max 1000'])
      expect(getLogsAdvice(rpcError(-32000, m)), m).toEqual({ kind: 'shrink' })
    expect(getLogsAdvice(new TimeoutError({ body: {}, url: 'http://node' }))).toEqual({ kind: 'shrink' })
    expect(getLogsAdvice(rpcError(-32005, 'project ID request rate exceeded'))).toBeUndefined()
    expect(getLogsAdvice(rpcError(3, 'execution reverted'))).toBeUndefined()
  })

  it('recognises the 50M eth_call gas cap', () => {
    expect(isGasCapError(rpcError(-32000, 'out of gas (gas capped at: 50000000)'))).toBe(true)
    expect(isGasCapError(rpcError(3, 'execution reverted: AlreadySet()'))).toBe(false)
  })
})

describe('rangeAfterRefusal and growth', () => {
  it('takes a suggested range or stated limit only when smaller than what was refused, else halves', () => {
    expect(rangeAfterRefusal({ kind: 'range', fromBlock: 100n, toBlock: 149n }, 100n, 1099n)).toBe(50n)
    expect(rangeAfterRefusal({ kind: 'limit', blocks: 300n }, 100n, 1099n)).toBe(300n)
    expect(rangeAfterRefusal({ kind: 'limit', blocks: 5000n }, 100n, 1099n)).toBe(500n)
    expect(rangeAfterRefusal({ kind: 'shrink' }, 100n, 1099n)).toBe(500n)
    expect(rangeAfterRefusal({ kind: 'shrink' }, 100n, 100n)).toBe(0n)
  })

  it('grows ×1.05 (at least one block) up to the maximum; a fixed range starts at it', () => {
    const r = createLogRange({ initialRange: 10, maxRange: 12 })
    expect(grownRange(r)).toBe(11n)
    r.current = 11n
    expect(grownRange(r)).toBe(12n)
    r.current = 12n
    expect(grownRange(r)).toBe(12n)
    expect(createLogRange({ fixedRange: 2000 }).current).toBe(2000n)
    expect(createLogRange().current).toBe(500n)
  })
})

/** A provider over logs at given blocks: refuses a span over `maxSpan` blocks, or over `maxResults` results with Infura's hint. */
function provider(blocks: bigint[], limits: { maxSpan?: bigint; maxResults?: number; unstated?: boolean }) {
  const asked: { address: string[] | undefined; fromBlock: bigint; toBlock: bigint }[] = []
  const fetch = async (q: { address: `0x${string}`[] | undefined; fromBlock: bigint; toBlock: bigint }) => {
    asked.push(q)
    if (limits.maxSpan && q.toBlock - q.fromBlock + 1n > limits.maxSpan) throw rpcError(-32000, limits.unstated ? 'block range too large' : `exceed maximum block range: ${limits.maxSpan}`)
    const hits = blocks.filter((b) => b >= q.fromBlock && b <= q.toBlock).flatMap((b) => (q.address ?? ['0x0']).map((a, i) => ({ blockNumber: b, logIndex: i, address: a })))
    if (limits.maxResults !== undefined && hits.length > limits.maxResults) {
      const last = hits[limits.maxResults]!.blockNumber - 1n
      throw rpcError(-32005, `query returned more than ${limits.maxResults} results. Try with this block range [0x${q.fromBlock.toString(16)}, 0x${(last < q.fromBlock ? q.fromBlock : last).toString(16)}].`)
    }
    return hits
  }
  return { fetch, asked }
}

describe('fetchInRanges', () => {
  const blocks = Array.from({ length: 300 }, (_, i) => BigInt(i * 7))

  it('returns exactly the logs of one unlimited query, under a span limit and a result cap', async () => {
    const all = await fetchInRanges(createLogRange({ maxRange: 1e9 }), { addresses: undefined, fromBlock: 0n, toBlock: 2100n }, provider(blocks, {}).fetch)
    for (const limits of [{ maxSpan: 100n }, { maxResults: 25 }, { maxSpan: 333n, maxResults: 40 }]) {
      const p = provider(blocks, limits)
      const got = await fetchInRanges(createLogRange(), { addresses: undefined, fromBlock: 0n, toBlock: 2100n }, p.fetch)
      expect(got).toEqual(all)
      expect(p.asked.every((q, i) => i === 0 || q.fromBlock <= p.asked[i - 1]!.toBlock + 1n)).toBe(true)
    }
  })

  it('keeps a stated span limit as a ceiling for later queries', async () => {
    const range: LogRange = createLogRange({ initialRange: 1000 })
    const p = provider(blocks, { maxSpan: 100n })
    await fetchInRanges(range, { addresses: undefined, fromBlock: 0n, toBlock: 2100n }, p.fetch)
    const refused = p.asked.filter((q) => q.toBlock - q.fromBlock + 1n > 100n).length
    expect(refused).toBe(1)
    p.asked.length = 0
    await fetchInRanges(range, { addresses: undefined, fromBlock: 0n, toBlock: 2100n }, p.fetch)
    expect(p.asked.every((q) => q.toBlock - q.fromBlock + 1n <= 100n)).toBe(true)
    expect(p.asked).toHaveLength(22)
  })

  it('an unstated span limit: halves, then grows only up to just under the refused span (few refusals)', async () => {
    const p = provider(blocks, { maxSpan: 5n, unstated: true })
    const got = await fetchInRanges(createLogRange({ initialRange: 64 }), { addresses: undefined, fromBlock: 0n, toBlock: 2100n }, p.fetch)
    expect(got).toEqual(await fetchInRanges(createLogRange({ maxRange: 1e9 }), { addresses: undefined, fromBlock: 0n, toBlock: 2100n }, provider(blocks, {}).fetch))
    const refused = p.asked.filter((q) => q.toBlock - q.fromBlock + 1n > 5n).length
    // 64 → 32 → 16 → 8 → 4 at first; then one probe above the ceiling every RETRY_REFUSED_AFTER successes.
    expect(refused).toBeLessThanOrEqual(4 + Math.ceil(2101 / 5 / 20) + 1)
    expect(p.asked.length).toBeLessThan(2101 / 4 + refused) // spans of 5 once learnt
  })

  it('grows ×1.05 after successes once a result cap has shrunk the span', async () => {
    const range: LogRange = createLogRange({ initialRange: 1000 })
    const sparse = provider([...Array.from({ length: 40 }, (_, i) => BigInt(i)), 5000n], { maxResults: 10 })
    await fetchInRanges(range, { addresses: undefined, fromBlock: 0n, toBlock: 9000n }, sparse.fetch)
    const spans = sparse.asked.map((q) => q.toBlock - q.fromBlock + 1n)
    expect(spans[0]).toBe(1000n)
    expect(spans[1]).toBe(10n)
    expect(spans.at(-2)! > spans[1]!).toBe(true)
  })

  it('splits a long address list into groups of 50 and merges the logs in chain order', async () => {
    const addresses = Array.from({ length: 120 }, (_, i) => `0x${i.toString(16).padStart(40, '0')}` as const)
    const p = provider([5n, 9n], {})
    const got = await fetchInRanges(createLogRange(), { addresses, fromBlock: 0n, toBlock: 10n }, p.fetch)
    expect(p.asked.map((q) => q.address!.length)).toEqual([50, 50, 20])
    expect(got).toHaveLength(240)
    expect(got.map((l) => l.blockNumber)).toEqual([...Array(120).fill(5n), ...Array(120).fill(9n)])
  })

  it('throws a named error when a single block is over the result cap, and passes other errors through', async () => {
    await expect(fetchInRanges(createLogRange(), { addresses: ['0x0000000000000000000000000000000000000001'], fromBlock: 0n, toBlock: 10n }, provider([5n, 5n, 5n], { maxResults: 1 }).fetch)).rejects.toThrow(/GetLogsRefused|cannot be split/)
    await expect(
      fetchInRanges(createLogRange(), { addresses: undefined, fromBlock: 0n, toBlock: 10n }, async () => {
        throw rpcError(-32601, 'method not found')
      }),
    ).rejects.toThrow(/method not found/)
  })
})

describe('chunkByGas', () => {
  it('keeps every chunk within the budget, in order, a call over budget alone', () => {
    const gas = [10n, 20n, 30n, 5n, 100n, 1n, 1n]
    const chunks = chunkByGas(gas, 40n, (g) => g)
    expect(chunks).toEqual([[10n, 20n], [30n, 5n], [100n], [1n, 1n]])
    expect(chunks.flat()).toEqual(gas)
  })
})

describe('retries', () => {
  const opts = { retryDelayMs: 100, maxRetryWaitMs: 30_000 }
  it('honours Retry-After (seconds or date) and Infura backoff_seconds; backs off exponentially otherwise', () => {
    expect(retryWaitMs(new HttpRequestError({ url: 'u', status: 429, headers: new Headers({ 'Retry-After': '2' }) }), 'eth_call', 0, opts)).toBe(2000)
    expect(namedWaitMs(new HttpRequestError({ url: 'u', status: 429, headers: new Headers({ 'Retry-After': new Date(10_000).toUTCString() }) }), 7_000)).toBe(3000)
    expect(retryWaitMs(rpcError(-32005, 'project ID request rate exceeded', { data: { backoff_seconds: 1.5 } }), 'eth_call', 3, opts)).toBe(1500)
    expect(retryWaitMs(rpcError(429, 'Too Many Requests'), 'eth_call', 3, opts)).toBe(800)
    expect(retryWaitMs(new HttpRequestError({ url: 'u', status: 503 }), 'eth_blockNumber', 0, opts)).toBe(100)
    expect(retryWaitMs(new HttpRequestError({ url: 'u', status: 429, headers: new Headers({ 'Retry-After': '3600' }) }), 'eth_call', 0, opts)).toBeUndefined()
  })

  it('honours a named wait once, then backs off too: a request refused again after Retry-After: 0 waits', () => {
    const now = new HttpRequestError({ url: 'u', status: 429, headers: new Headers({ 'Retry-After': '0' }) })
    expect([0, 1, 2, 3].map((attempt) => retryWaitMs(now, 'eth_call', attempt, opts))).toEqual([0, 100, 200, 400])
    expect(retryWaitMs(rpcError(-32005, 'project ID request rate exceeded', { data: { backoff_seconds: 0.3 } }), 'eth_call', 3, opts)).toBe(400)
    expect(retryWaitMs(rpcError(-32005, 'project ID request rate exceeded', { data: { backoff_seconds: 0.3 } }), 'eth_call', 1, opts)).toBe(300)
  })

  it('never retries a revert, a range refusal, the gas cap or a client error; an eth_getLogs timeout is a range refusal', () => {
    expect(retryWaitMs(rpcError(3, 'execution reverted: AlreadySet()'), 'eth_call', 0, opts)).toBeUndefined()
    expect(retryWaitMs(rpcError(-32005, 'query returned more than 10000 results'), 'eth_getLogs', 0, opts)).toBeUndefined()
    expect(retryWaitMs(rpcError(-32000, 'out of gas (gas capped at: 50000000)'), 'eth_call', 0, opts)).toBeUndefined()
    expect(retryWaitMs(rpcError(-32602, 'invalid argument'), 'eth_call', 0, opts)).toBeUndefined()
    expect(retryWaitMs(rpcError(-32603, 'nonce too low'), 'eth_sendRawTransaction', 0, opts)).toBeUndefined()
    const timeout = new TimeoutError({ body: {}, url: 'u' })
    expect(isFinalAnswer(timeout, 'eth_getLogs')).toBe(true)
    expect(retryWaitMs(timeout, 'eth_call', 1, opts)).toBe(200)
  })
})

describe('config: several RPC URLs and provider limits', () => {
  const base = {
    chainId: 1,
    symbiotic: { operatorVaultOptInService: `0x${'1'.repeat(40)}`, operatorNetworkOptInService: `0x${'2'.repeat(40)}` },
    vaults: [{ address: `0x${'3'.repeat(40)}` }],
    tables: Object.fromEntries(TABLES.map((t) => [t.name, `ra-${t.name}`])),
  }
  it('RPC_URL (or the RPC secret) may list several URLs: the first is rpcUrl, the others lead rpcUrls', () => {
    const config = configFromEnv({
      AUTOPILOT_CONFIG: JSON.stringify({ ...base, rpcUrl: 'https://old.example', rpcUrls: ['https://c.example'], rpc: { getLogsRange: 2000, batchSize: 20, maxCallGas: 50_000_000 } }),
      RPC_URL: 'https://a.example/KEY, https://b.example\nhttps://d.example',
    })
    expect(config.rpcUrl).toBe('https://a.example/KEY')
    expect(config.rpcUrls).toEqual(['https://b.example', 'https://d.example', 'https://c.example'])
    expect(config.rpc).toEqual({ getLogsRange: 2000, batchSize: 20, maxCallGas: 50_000_000 })
  })
  it('refuses a non-URL fallback or a gas cap below 1M with the path', () => {
    expect(() => parseConfig({ ...base, rpcUrl: 'https://a.example', rpcUrls: ['nope'] })).toThrow(/\$\.rpcUrls\.0/)
    expect(() => parseConfig({ ...base, rpcUrl: 'https://a.example', rpc: { maxCallGas: 10 } })).toThrow(/\$\.rpc\.maxCallGas/)
  })
})
