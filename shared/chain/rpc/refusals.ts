/**
 * What JSON-RPC providers answer when a request exceeds their limits, in one place: the `eth_getLogs` range/result
 * refusals (with the range the provider suggests when its message carries one), the `eth_call` gas cap, and rate
 * limits. Matched with patterns, never exact strings (providers reword their messages). See docs/rpc.md.
 */
import { BaseError, HttpRequestError, ResponseBodyTooLargeError, RpcRequestError, TimeoutError } from 'viem'

/** What a refused `eth_getLogs` says about the range to use next. */
export type RangeAdvice =
  /** The provider names a block range that should work (Infura, Alchemy, llamarpc). */
  | { kind: 'range'; fromBlock: bigint; toBlock: bigint }
  /** The provider names its maximum span in blocks (QuickNode, publicnode). */
  | { kind: 'limit'; blocks: bigint }
  /** Too many results, range too large or a timeout, without a usable number: halve. */
  | { kind: 'shrink' }

const num = (s: string) => BigInt(s.replace(/,/g, ''))
const suggested = (m: RegExpMatchArray): RangeAdvice => ({ kind: 'range', fromBlock: BigInt(m[1]!), toBlock: BigInt(m[2]!) })
const limit = (m: RegExpMatchArray): RangeAdvice => ({ kind: 'limit', blocks: num(m[1]!) })
const shrink = (): RangeAdvice => ({ kind: 'shrink' })

/**
 * Every `eth_getLogs` refusal we recognise, first match wins (so a message that carries a suggested range is read
 * for its range before its "too many results" part). The last row is the catch-all for unknown wordings.
 */
export const GET_LOGS_REFUSALS: readonly { provider: string; pattern: RegExp; advice: (m: RegExpMatchArray) => RangeAdvice }[] = [
  { provider: 'infura', pattern: /try with this block range \[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i, advice: suggested },
  { provider: 'alchemy', pattern: /this block range should work: \[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i, advice: suggested },
  { provider: 'llamarpc', pattern: /retry with the range (\d+)\s*-\s*(\d+)/i, advice: suggested },
  { provider: 'quicknode', pattern: /eth_getLogs is limited to a ([\d,]+) range/i, advice: limit },
  { provider: 'publicnode', pattern: /exceed maximum block range: ([\d,]+)/i, advice: limit },
  { provider: 'infura', pattern: /query returned more than [\d,]+ results/i, advice: shrink },
  { provider: 'infura', pattern: /query timeout exceeded/i, advice: shrink },
  { provider: 'alchemy', pattern: /log response size exceeded/i, advice: shrink },
  { provider: 'ankr', pattern: /block range is too wide/i, advice: shrink },
  { provider: 'ankr, llamarpc', pattern: /query exceeds max results/i, advice: shrink },
  {
    provider: 'any',
    pattern: /too many (results|logs)|more than [\d,]+ (results|logs)|(block )?range (is )?too (large|wide|big|long)|response (size|is too (large|big))|max(imum)? (block )?range|timed? ?out|timeout/i,
    advice: shrink,
  },
]

/** A node's `eth_call` / `eth_estimateGas` gas cap answer (geth, reth: `out of gas (gas capped at: 50000000)`). */
export const GAS_CAP_PATTERN = /gas capped at|out of gas|gas limit (reached|exceeded)|exceeds (the )?(rpc )?gas ?cap/i

/** Rate-limit answers that come without HTTP 429 (per batch item, Infura's -32005, QuickNode's -32007). */
export const RATE_LIMIT_PATTERN = /rate exceeded|rate limit|request count exceeded|too many requests|request limit reached|compute units per second|capacity exceeded/i

/** Every error in a cause chain, outermost first. */
export function causes(e: unknown): unknown[] {
  const out: unknown[] = []
  for (let c = e; c !== undefined && c !== null && out.length < 20; c = (c as { cause?: unknown }).cause) out.push(c)
  return out
}

/** The provider's own words in an error chain: viem's `details` (the node's message), never the request body or URL. */
export function providerText(e: unknown): string {
  return causes(e)
    .map((c) => (c instanceof BaseError ? c.details || c.shortMessage : c instanceof Error ? c.message : typeof c === 'string' ? c : ''))
    .join('\n')
}

/** The first numeric JSON-RPC `code` in an error chain. */
export function rpcCode(e: unknown): number | undefined {
  for (const c of causes(e)) if (typeof (c as { code?: unknown }).code === 'number') return (c as { code: number }).code
  return undefined
}

/** The HTTP response status and headers carried by an error chain (viem `HttpRequestError` / `RpcRequestError`). */
export function httpOf(e: unknown): { status?: number; headers?: Headers } {
  for (const c of causes(e)) if (c instanceof HttpRequestError || c instanceof RpcRequestError) return { status: c.status, headers: c.headers }
  return {}
}

/** How to continue after a refused `eth_getLogs`, or undefined when the error is not about the range (a rate limit, a node down). */
export function getLogsAdvice(e: unknown): RangeAdvice | undefined {
  const list = causes(e)
  if (list.some((c) => c instanceof TimeoutError || c instanceof ResponseBodyTooLargeError)) return { kind: 'shrink' }
  const text = providerText(e)
  if (RATE_LIMIT_PATTERN.test(text)) return undefined
  for (const row of GET_LOGS_REFUSALS) {
    const m = text.match(row.pattern)
    if (m) return row.advice(m)
  }
  if (httpOf(e).status === 413) return { kind: 'shrink' }
  return undefined
}

/** Whether an error is the node's `eth_call` gas cap (the multicall must be split). */
export function isGasCapError(e: unknown): boolean {
  return GAS_CAP_PATTERN.test(providerText(e))
}
