/**
 * Adaptive `eth_getLogs` over any block span, whatever the provider's limits: start with a modest range, take the
 * range the provider suggests when its refusal carries one, halve on an unrecognised "too many results / range too
 * large / timeout" answer, grow again (×1.05) after each success, split long address lists (≤ 50 per request), or use a
 * fixed range from config. viem retries Infura's -32005 on the same range and never splits one: splitting is ours.
 * The refusals recognised are listed once in `refusals.ts`; docs/rpc.md says what the bot does against each provider.
 */
import { type Address, type Client, type Hex, type Log, type RpcLog, formatLog, numberToHex } from 'viem'
import { getLogs as viemGetLogs } from 'viem/actions'
import { RestakeError } from '../../errors.js'
import { type RangeAdvice, getLogsAdvice, providerText } from './refusals.js'

/** One `eth_getLogs` query over an inclusive block span. The chain-sync layer consumes exactly this type. */
export type LogFetcher = (req: { address: Address[]; topics?: (Hex | Hex[] | null)[]; fromBlock: bigint; toBlock: bigint }) => Promise<Log[]>

/** Options of {@link createLogFetcher} and the reader's adaptive `getLogs`. */
export interface LogRangeOptions {
  /** A fixed span in blocks (config `rpc.getLogsRange`): every request spans at most this, without probing upward. */
  fixedRange?: number | bigint | undefined
  /** First span tried when no fixed range is set (default 500 blocks, as Ponder). */
  initialRange?: number | bigint | undefined
  /** Largest span ever tried (default 1,000,000 blocks). */
  maxRange?: number | bigint | undefined
  /** Growth factor after a success (default 1.05). */
  growth?: number | undefined
  /** Addresses per request (default 50). */
  maxAddresses?: number | undefined
  /** Called with each refusal and the span chosen next (for logs and tests). */
  onRefusal?: ((p: { fromBlock: bigint; toBlock: bigint; advice: RangeAdvice; nextRange: bigint }) => void) | undefined
}

/** A provider refused a span we cannot shrink further (one block over its result cap), or a refusal we cannot act on. */
export class GetLogsRefusedError extends RestakeError {
  override name = 'GetLogsRefusedError' as const
  constructor(p: { fromBlock: bigint; toBlock: bigint; cause: unknown }) {
    super(`eth_getLogs over blocks ${p.fromBlock}–${p.toBlock} was refused and cannot be split further.`, { details: providerText(p.cause).split('\n')[0], cause: p.cause })
  }
}

/** The learned span of one client: shared by every query so what one refusal taught holds for the next. */
export interface LogRange {
  /** Span of the next request, in blocks. */
  current: bigint
  /** Largest span tried; lowered for good when a provider states its limit. */
  max: bigint
  readonly growth: number
  readonly fixed: boolean
  /** Just under the last refused span: growth stops there until `RETRY_REFUSED_AFTER` successes in a row. */
  ceiling?: bigint | undefined
  /** Full-span successes since the last refusal. */
  successes: number
}

/** Successes in a row after which a span that was refused is probed again (result density changes along a chain). */
export const RETRY_REFUSED_AFTER = 20

/** A fresh {@link LogRange} from options. */
export function createLogRange(o: LogRangeOptions = {}): LogRange {
  const fixed = o.fixedRange !== undefined
  const max = BigInt(o.fixedRange ?? o.maxRange ?? 1_000_000)
  return { current: fixed ? max : BigInt(o.initialRange ?? 500), max, growth: o.growth ?? 1.05, fixed, successes: 0 }
}

/** The span after a success: ×growth (at least +1 block), capped at the maximum and at a recent refusal's ceiling. */
export function grownRange(r: LogRange): bigint {
  const next = BigInt(Math.ceil(Number(r.current) * r.growth))
  const grown = next > r.current ? next : r.current + 1n
  const cap = r.ceiling !== undefined && r.ceiling < r.max && r.successes < RETRY_REFUSED_AFTER ? r.ceiling : r.max
  return grown < cap ? grown : cap > r.current ? cap : r.current
}

/**
 * The span to try after the provider refused `[fromBlock, toBlock]`: its suggested range or its stated limit when
 * that is smaller than what was refused, else half. Returns 0 when a single block was refused (cannot split).
 */
export function rangeAfterRefusal(advice: RangeAdvice, fromBlock: bigint, toBlock: bigint): bigint {
  const refused = toBlock - fromBlock + 1n
  const half = refused / 2n
  const told = advice.kind === 'range' ? advice.toBlock - (advice.fromBlock > fromBlock ? advice.fromBlock : fromBlock) + 1n : advice.kind === 'limit' ? advice.blocks : 0n
  if (told > 0n && told < refused) return told
  return half
}

/**
 * Fetches `[fromBlock, toBlock]` in adaptive spans with `fetch`, splitting `addresses` into groups of `maxAddresses`
 * queried concurrently (viem batches them into one HTTP request). Results come back in chain order.
 */
export async function fetchInRanges<T extends { blockNumber: bigint | null; logIndex: number | null }>(
  range: LogRange,
  p: { addresses: readonly Address[] | undefined; fromBlock: bigint; toBlock: bigint; maxAddresses?: number | undefined; onRefusal?: LogRangeOptions['onRefusal'] },
  fetch: (q: { address: Address[] | undefined; fromBlock: bigint; toBlock: bigint }) => Promise<T[]>,
): Promise<T[]> {
  const per = p.maxAddresses ?? 50
  if (p.fromBlock > p.toBlock) return []
  // An empty or short list goes as it is (an empty list keeps eth_getLogs' own meaning).
  const list = p.addresses
  const groups: (Address[] | undefined)[] = !list || list.length <= per ? [list ? [...list] : undefined] : Array.from({ length: Math.ceil(list.length / per) }, (_, i) => list.slice(i * per, i * per + per))
  const one = async (address: Address[] | undefined): Promise<T[]> => {
    const out: T[] = []
    let from = p.fromBlock
    while (from <= p.toBlock) {
      const span = range.current
      const to = from + span - 1n < p.toBlock ? from + span - 1n : p.toBlock
      try {
        out.push(...(await fetch({ address, fromBlock: from, toBlock: to })))
        // Grow only after a full-span success that no concurrent refusal has overtaken.
        if (to - from + 1n === span && range.current === span) {
          range.successes++
          range.current = grownRange(range)
        }
        from = to + 1n
      } catch (cause) {
        const advice = getLogsAdvice(cause)
        if (!advice) throw cause
        const next = rangeAfterRefusal(advice, from, to)
        if (next < 1n) throw new GetLogsRefusedError({ fromBlock: from, toBlock: to, cause })
        p.onRefusal?.({ fromBlock: from, toBlock: to, advice, nextRange: next })
        if (advice.kind === 'limit' && advice.blocks < range.max) range.max = advice.blocks > 0n ? advice.blocks : 1n
        const refused = to - from + 1n
        range.ceiling = range.ceiling !== undefined && range.ceiling < refused - 1n && range.successes < RETRY_REFUSED_AFTER ? range.ceiling : refused - 1n
        range.successes = 0
        if (next < range.current) range.current = next
      }
    }
    return out
  }
  const all = (await Promise.all(groups.map(one))).flat()
  if (groups.length > 1) all.sort((a, b) => (a.blockNumber === b.blockNumber ? (a.logIndex ?? 0) - (b.logIndex ?? 0) : (a.blockNumber ?? 0n) < (b.blockNumber ?? 0n) ? -1 : 1))
  return all
}

/**
 * A {@link LogFetcher} over `client` that survives every provider's `eth_getLogs` limits (see the file header).
 * @example const fetchLogs = createLogFetcher(client, { fixedRange: config.rpc?.getLogsRange })
 * const logs = await fetchLogs({ address: [vault], topics: [topic], fromBlock: 20_000_000n, toBlock: head })
 */
export function createLogFetcher(client: Client, options: LogRangeOptions = {}): LogFetcher {
  const range = createLogRange(options)
  return (req) =>
    fetchInRanges(range, { addresses: req.address, fromBlock: req.fromBlock, toBlock: req.toBlock, maxAddresses: options.maxAddresses, onRefusal: options.onRefusal }, async (q) => {
      const logs = (await client.request({
        method: 'eth_getLogs',
        params: [{ address: q.address, topics: req.topics, fromBlock: numberToHex(q.fromBlock), toBlock: numberToHex(q.toBlock) }],
      })) as RpcLog[]
      return logs.map((l) => formatLog(l))
    })
}

/**
 * viem's `getLogs` action (events decoded, `args` filters) run in adaptive spans: what the reader client exposes as
 * `getLogs`, so every reader's full-history query survives the provider's limits without a call-site change.
 * Spans only apply to numeric `fromBlock`/`toBlock`; a block tag or `blockHash` query goes through as one request.
 */
export function adaptiveGetLogs(client: Client, options: LogRangeOptions = {}) {
  const range = createLogRange(options)
  return async (a?: Parameters<typeof viemGetLogs>[1]): Promise<Awaited<ReturnType<typeof viemGetLogs>>> => {
    const args = (a ?? {}) as { address?: Address | Address[]; fromBlock?: unknown; toBlock?: unknown; blockHash?: unknown }
    if (typeof args.fromBlock !== 'bigint' || typeof args.toBlock !== 'bigint') return viemGetLogs(client as never, a)
    const addresses = args.address === undefined ? undefined : Array.isArray(args.address) ? args.address : [args.address]
    return fetchInRanges(
      range,
      { addresses, fromBlock: args.fromBlock, toBlock: args.toBlock, maxAddresses: options.maxAddresses, onRefusal: options.onRefusal },
      (q) => viemGetLogs(client as never, { ...(a as object), address: q.address, fromBlock: q.fromBlock, toBlock: q.toBlock } as never) as Promise<Log[]>,
    ) as never
  }
}
