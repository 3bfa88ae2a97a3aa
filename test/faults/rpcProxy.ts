/**
 * A JSON-RPC proxy on 127.0.0.1 in front of Anvil that injects faults per method and count: HTTP 5xx, timeouts
 * (the request reaches Anvil, the answer never comes back), dropped connections (before or after Anvil saw the
 * request), and a lying node (stale `eth_getTransactionCount`, `eth_getTransactionReceipt` answering null for a
 * mined transaction, a receipt whose status is flipped, a result that is not a quantity). Handles JSON-RPC batches (viem batches concurrent reads).
 */
import { type JsonRpcExchange, forwardJsonRpc, serveJsonRpc } from '../setup/jsonRpcServer.js'

/** What to do to a matching request. */
export type FaultKind =
  /** Answer HTTP 503 without forwarding. */
  | 'http503'
  /** Forward to Anvil, then never answer (the client times out); the socket is closed after `holdMs`. */
  | 'timeout'
  /** Forward to Anvil, then destroy the connection without an answer. */
  | 'dropAfter'
  /** Destroy the connection without forwarding. */
  | 'dropBefore'
  /** Forward, then answer `eth_getTransactionCount` with (real − 1): a node behind the chain. */
  | 'staleNonce'
  /** Forward, then answer `eth_getTransactionReceipt` with null although the transaction is mined. */
  | 'nullReceipt'
  /** Forward, then answer `eth_getTransactionReceipt` with the opposite `status` (success ↔ reverted): a receipt that lies. */
  | 'flipReceipt'
  /** Forward, then answer with a result that is not a quantity (`"lots"`): a node that lies about the format. */
  | 'notQuantity'
  /** Hold the request for `holdMs`, then forward it and answer normally (a slow node or network). */
  | 'delay'
  /** Run the rule's `run` (e.g. set the node's clock), then forward and answer normally. */
  | 'hook'

/** One fault rule: the `times` matching requests after the first `skip` ones get `fault`. */
export interface FaultRule {
  method: string
  fault: FaultKind
  times: number
  skip?: number
  /** For `timeout`: how long to keep the socket open; for `delay`: how long to hold the request (default 5000 ms). */
  holdMs?: number
  /** For `hook`: what to do before the request is forwarded. */
  run?: () => Promise<void>
}

/** Counters of what the proxy saw and did. */
export interface ProxyStats {
  requests: Record<string, number>
  injected: Record<string, number>
}

/** A running proxy. */
export interface RpcProxy {
  url: string
  /** Replaces the fault rules (counts start from zero). */
  setFaults(rules: FaultRule[]): void
  stats(): ProxyStats
  /** Injected faults per `method:fault`. */
  injectedTotal(): number
  close(): Promise<void>
}

/** Starts the proxy in front of `target`. */
export async function startRpcProxy(target: string): Promise<RpcProxy> {
  let rules: (FaultRule & { seen: number; done: number })[] = []
  let stats: ProxyStats = { requests: {}, injected: {} }

  const take = (method: string, kinds: FaultKind[]): FaultRule | undefined => {
    for (const r of rules) {
      if (r.method !== method || !kinds.includes(r.fault)) continue
      r.seen++
      if (r.seen > (r.skip ?? 0) && r.done < r.times) {
        r.done++
        stats.injected[`${method}:${r.fault}`] = (stats.injected[`${method}:${r.fault}`] ?? 0) + 1
        return r
      }
    }
    return undefined
  }

  const handle = async ({ req, res, body, list }: JsonRpcExchange): Promise<void> => {
    for (const r of list) stats.requests[r.method] = (stats.requests[r.method] ?? 0) + 1

    // Transport faults: the first element that matches decides for the whole HTTP request.
    let transport: FaultRule | undefined
    for (const r of list) {
      transport = take(r.method, ['http503', 'timeout', 'dropAfter', 'dropBefore'])
      if (transport) break
    }
    if (transport?.fault === 'http503') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('injected 503')
      return
    }
    if (transport?.fault === 'dropBefore') {
      req.socket.destroy()
      return
    }
    for (const r of list) {
      const hook = take(r.method, ['hook'])
      if (hook) await hook.run?.()
    }
    let delayed: FaultRule | undefined
    for (const r of list) {
      delayed = take(r.method, ['delay'])
      if (delayed) break
    }
    if (delayed) await new Promise((resolve) => setTimeout(resolve, delayed.holdMs ?? 5000))
    const answer = await forwardJsonRpc(target, body)
    if (transport?.fault === 'dropAfter') {
      req.socket.destroy()
      return
    }
    if (transport?.fault === 'timeout') {
      const socket = req.socket
      setTimeout(() => socket.destroy(), transport.holdMs ?? 5000).unref()
      return
    }
    // Lies: rewrite individual answers.
    let out: unknown = JSON.parse(answer)
    const answers = Array.isArray(out) ? (out as { id: unknown; result?: unknown }[]) : [out as { id: unknown; result?: unknown }]
    for (const r of list) {
      const a = answers.find((x) => x.id === r.id)
      if (!a || a.result === undefined) continue
      if (r.method === 'eth_getTransactionCount' && typeof a.result === 'string' && BigInt(a.result) > 0n && take(r.method, ['staleNonce'])) a.result = `0x${(BigInt(a.result) - 1n).toString(16)}`
      if (r.method === 'eth_getTransactionReceipt' && a.result !== null && take(r.method, ['nullReceipt'])) a.result = null
      if (r.method === 'eth_getTransactionReceipt' && a.result !== null && take(r.method, ['flipReceipt'])) {
        const receipt = a.result as { status?: string }
        a.result = { ...receipt, status: receipt.status === '0x1' ? '0x0' : '0x1' }
      }
      if (typeof a.result === 'string' && take(r.method, ['notQuantity'])) a.result = 'lots'
    }
    out = Array.isArray(out) ? answers : answers[0]
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out))
  }

  const server = await serveJsonRpc(handle)
  return {
    url: server.url,
    setFaults(next) {
      rules = next.map((r) => ({ ...r, seen: 0, done: 0 }))
      stats = { requests: {}, injected: {} }
    },
    stats: () => structuredClone(stats),
    injectedTotal: () => Object.values(stats.injected).reduce((a, b) => a + b, 0),
    close: () => server.close(),
  }
}
