/**
 * The bot's RPC transport: several URLs ranked in config order over viem's `fallback`, each an `http` transport that
 * batches JSON-RPC within `batchSize` and is refused unless its `eth_chainId` is the configured one (checked once,
 * before anything else is sent to it). Around them, one retry loop with backoff that honours `Retry-After` (and
 * Infura's `data.backoff_seconds`), also for a 429 inside an HTTP 200 batch answer, which viem does not retry
 * (wevm/viem 3680). Reverts, range refusals and the gas cap are final answers: never retried here.
 */
import { ExecutionRevertedError, HttpRequestError, TimeoutError, type Transport, fallback, http } from 'viem'
import { RestakeError } from '../../errors.js'
import { GAS_CAP_PATTERN, causes, getLogsAdvice, httpOf, providerText, rpcCode, RATE_LIMIT_PATTERN } from './refusals.js'

/** A node answered a chain id other than the configured one: nothing was read from it or sent to it. */
export class WrongChainIdError extends RestakeError {
  override name = 'WrongChainIdError' as const
  readonly url: string
  readonly expected: number
  readonly actual: number
  constructor(p: { url: string; expected: number; actual: number }) {
    super(`RPC ${p.url} answered chain id ${p.actual}, not the configured ${p.expected}; refused before anything was read or signed.`, {
      details: `point the RPC URL at chain ${p.expected}, or fix chainId in the config`,
    })
    this.url = p.url
    this.expected = p.expected
    this.actual = p.actual
  }
}

/** A URL resting after a rate limit or a failure: skipped without a request, so the next URL serves meanwhile. */
export class RpcRestingError extends RestakeError {
  override name = 'RpcRestingError' as const
  readonly waitMs: number
  constructor(p: { url: string; waitMs: number }) {
    super(`RPC ${p.url} is resting for ${p.waitMs} ms after a rate limit or a failure.`)
    this.waitMs = p.waitMs
  }
}

/** How long a URL rests after a rate limit or failure that names no wait, and at most. */
const REST_MS = 2_000
const MAX_REST_MS = 60_000

/** An RPC URL without credentials, query string or API-key path segments (for errors and logs). */
export function redactRpcUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? '/…' : ''}`
  } catch {
    return '(invalid url)'
  }
}

/** Parameters of {@link providerTransport}. */
export interface ProviderTransportParameters {
  /** RPC URLs, best first (the config's `rpcUrl` then `rpcUrls`). */
  urls: readonly string[]
  chainId: number
  /** JSON-RPC requests per HTTP batch (default 50: Alchemy advises < 50). */
  batchSize?: number | undefined
  /** Per-request timeout in ms (default 15 000). */
  timeoutMs?: number | undefined
  /** Retries after a rate limit or a transient failure of every URL (default 6). */
  retryCount?: number | undefined
  /** Backoff base in ms: base × 2^attempt when the answer names no wait (default 125, as Ponder). */
  retryDelayMs?: number | undefined
  /** A named wait longer than this is not waited for: the error is thrown (default 30 000 ms). */
  maxRetryWaitMs?: number | undefined
  /** Called once per HTTP request (a JSON-RPC batch counts once). */
  onRequest?: ((url: string) => void) | undefined
}

/** `Retry-After` (seconds or HTTP date) or `data.backoff_seconds` of an error chain, in ms. */
export function namedWaitMs(e: unknown, now = Date.now()): number | undefined {
  const h = httpOf(e).headers?.get('retry-after')
  if (h) {
    const s = Number(h)
    if (Number.isFinite(s)) return Math.max(0, s * 1000)
    const at = Date.parse(h)
    if (Number.isFinite(at)) return Math.max(0, at - now)
  }
  for (const c of causes(e)) {
    const b = (c as { data?: { backoff_seconds?: unknown } }).data?.backoff_seconds
    if (typeof b === 'number' && Number.isFinite(b)) return Math.max(0, b * 1000)
  }
  return undefined
}

/** Whether an error is a rate limit: HTTP 429, JSON-RPC code 429 / -32007, or a rate-limit message (Infura's -32005). */
export function isRateLimited(e: unknown): boolean {
  const code = rpcCode(e)
  return httpOf(e).status === 429 || code === 429 || code === -32007 || RATE_LIMIT_PATTERN.test(providerText(e))
}

/** A final answer about the request itself: a revert, a range refusal, the gas cap, a wrong chain. Never retried, never failed over. */
export function isFinalAnswer(e: unknown, method: string): boolean {
  if (causes(e).some((c) => c instanceof WrongChainIdError || c instanceof ExecutionRevertedError)) return true
  const text = providerText(e)
  if (ExecutionRevertedError.nodeMessage.test(text) || GAS_CAP_PATTERN.test(text)) return true
  const code = rpcCode(e)
  if (code === 3 || code === 4001 || code === -32003) return true
  return method === 'eth_getLogs' && !isRateLimited(e) && getLogsAdvice(e) !== undefined
}

/**
 * The wait before retrying `method` after `e` (attempt 0 = first retry), or undefined when it must not be retried:
 * the wait the answer names (`Retry-After`, `backoff_seconds`), from the second retry on at least the backoff
 * `retryDelayMs × 2^(attempt − 1)`; with no named wait, the backoff `retryDelayMs × 2^attempt`. Rate limits and
 * transient failures (HTTP 408/5xx, a dropped connection, a timeout — except for `eth_getLogs`, whose timeout means
 * "range too large") are retried; everything else is an answer.
 */
export function retryWaitMs(e: unknown, method: string, attempt: number, p: { retryDelayMs: number; maxRetryWaitMs: number }): number | undefined {
  if (isFinalAnswer(e, method)) return undefined
  const resting = causes(e).find((c): c is RpcRestingError => c instanceof RpcRestingError)
  if (resting) return resting.waitMs <= p.maxRetryWaitMs ? resting.waitMs : undefined
  const status = httpOf(e).status
  const timedOut = causes(e).some((c) => c instanceof TimeoutError)
  const dropped = causes(e).some((c) => c instanceof HttpRequestError && c.status === undefined)
  // A provider that answers a whole batch with one eth_getLogs refusal (QuickNode's HTTP error) fails the other items too.
  const collateral = method !== 'eth_getLogs' && getLogsAdvice(e) !== undefined
  const transient = (status !== undefined && [408, 500, 502, 503, 504].includes(status)) || dropped || collateral || (timedOut && method !== 'eth_getLogs')
  if (!isRateLimited(e) && !transient) return undefined
  const backoff = (n: number) => Math.min(p.retryDelayMs * 2 ** n, p.maxRetryWaitMs)
  const named = namedWaitMs(e)
  if (named === undefined) return backoff(attempt)
  if (named > p.maxRetryWaitMs) return undefined
  // A named wait is honoured, but a request refused again also backs off: a `Retry-After: 0` retried at once each time
  // can land on the limiter's next refusal again and again while other requests fill its window (benchSync's first
  // sync, every 7th request refused: one batch was refused on all seven attempts).
  return attempt === 0 ? named : Math.max(named, backoff(attempt - 1))
}

/** Errors a URL answered that are final for their request (marked where the method is known, read by `fallback`). */
const finalAnswers = new WeakSet<object>()

/**
 * One URL: viem `http` with batching, no retries of its own, refused unless its chain id is `chainId`. With `rest`
 * (several URLs), a URL that answered a rate limit or failed rests for the wait it named (else 2 s, at most 60 s):
 * requests skip it at no cost and the next URL serves, so a 429ing or dead first URL does not double every request.
 */
function chainCheckedHttp(url: string, p: ProviderTransportParameters, rest: boolean): Transport {
  const inner = http(url, {
    batch: { batchSize: p.batchSize ?? 50, wait: 0 },
    retryCount: 0,
    timeout: p.timeoutMs ?? 15_000,
    // The hook's return value would replace the request: return nothing.
    onFetchRequest: p.onRequest ? () => void p.onRequest?.(url) : undefined,
  })
  let checked: Promise<void> | undefined
  let restUntil = 0
  const opts = { retryDelayMs: REST_MS, maxRetryWaitMs: MAX_REST_MS }
  return (params) => {
    const t = inner({ ...params, retryCount: 0 })
    const check = () =>
      (checked ??= (t.request({ method: 'eth_chainId' }) as Promise<string>).then(
        (id) => {
          const actual = Number(BigInt(id))
          if (actual !== p.chainId) throw new WrongChainIdError({ url: redactRpcUrl(url), expected: p.chainId, actual })
        },
        (e: unknown) => {
          checked = undefined // a node that did not answer is checked again next time
          throw e
        },
      ))
    return {
      ...t,
      request: async (args, options) => {
        const now = Date.now()
        if (rest && now < restUntil) throw new RpcRestingError({ url: redactRpcUrl(url), waitMs: restUntil - now })
        try {
          // eth_chainId itself is the check's question: answered as it is (a probe may ask which chain a URL serves).
          if (args.method !== 'eth_chainId') await check()
          return await t.request(args, options)
        } catch (e) {
          if (e !== null && typeof e === 'object' && isFinalAnswer(e, args.method)) finalAnswers.add(e)
          else if (rest && (isRateLimited(e) || retryWaitMs(e, args.method, 0, opts) !== undefined)) restUntil = Math.max(restUntil, Date.now() + Math.min(namedWaitMs(e) ?? REST_MS, MAX_REST_MS))
          throw e
        }
      },
    } as typeof t
  }
}

/**
 * A viem transport over several RPC URLs (ranked in the given order, failing over on errors that are not final answers),
 * each chain-id-checked and batched, with retries that honour `Retry-After` — including per-item 429s in a batch.
 * @example createClient({ chain, transport: providerTransport({ urls: [config.rpcUrl, ...config.rpcUrls], chainId: config.chainId }) })
 */
export function providerTransport(p: ProviderTransportParameters): Transport {
  if (p.urls.length === 0) throw new RestakeError('No RPC URL configured.', { details: 'set rpcUrl (and optionally rpcUrls) in the config' })
  const urls = [...new Set(p.urls)]
  const opts = { retryDelayMs: p.retryDelayMs ?? 125, maxRetryWaitMs: p.maxRetryWaitMs ?? 30_000 }
  const retryCount = p.retryCount ?? 6
  // A final answer (or a wrong chain) is thrown at once; anything else fails over to the next URL.
  const inner = fallback(
    urls.map((u) => chainCheckedHttp(u, p, urls.length > 1)),
    { retryCount: 0, shouldThrow: (e: Error) => finalAnswers.has(e) || causes(e).some((c) => c instanceof WrongChainIdError) },
  )
  return (params) => {
    const t = inner({ ...params, retryCount: 0 })
    return {
      ...t,
      config: { ...t.config, key: 'provider', name: 'Provider-proof JSON-RPC', retryCount: 0 },
      // Not wrapped in viem's request builder: our errors (WrongChainIdError) reach the caller as they are.
      request: async (args, options) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await t.request(args, options)
          } catch (e) {
            const wrong = causes(e).find((c) => c instanceof WrongChainIdError)
            if (wrong) throw wrong
            const wait = attempt < retryCount ? retryWaitMs(e, args.method, attempt, opts) : undefined
            if (wait === undefined) throw e
            await new Promise((resolve) => setTimeout(resolve, wait))
          }
        }
      },
    } as typeof t
  }
}
