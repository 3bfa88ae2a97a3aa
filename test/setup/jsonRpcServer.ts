/**
 * The HTTP scaffolding the test proxies in front of Anvil share: a server on a free 127.0.0.1 port that reads each
 * request body and parses it as JSON-RPC (one request or a batch), tracks sockets so `close()` leaves nothing behind,
 * and a `forward` to the node. What a proxy does with a request is its own (`test/faults/rpcProxy.ts` injects faults,
 * `providerProxy.ts` plays a provider's limits).
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One JSON-RPC request as a client sent it. */
export interface RpcRequest {
  jsonrpc?: string
  id: unknown
  method: string
  params?: unknown[]
}

/** One JSON-RPC answer. */
export interface RpcAnswer {
  jsonrpc: '2.0'
  id: unknown
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

/** What a handler is given for each HTTP request whose body parsed as JSON. */
export interface JsonRpcExchange {
  req: IncomingMessage
  res: ServerResponse
  /** The raw body. */
  body: string
  /** The requests (one element when not a batch). */
  list: RpcRequest[]
  batch: boolean
}

/** A running server. */
export interface JsonRpcServer {
  url: string
  close(): Promise<void>
}

/** Starts a server on a free loopback port; a body that is not JSON gets HTTP 400, a handler failure HTTP 502. */
export async function serveJsonRpc(handle: (x: JsonRpcExchange) => Promise<void>): Promise<JsonRpcServer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const run = async () => {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const body = Buffer.concat(chunks).toString()
      let parsed: RpcRequest | RpcRequest[]
      try {
        parsed = JSON.parse(body) as RpcRequest | RpcRequest[]
      } catch {
        res.writeHead(400).end()
        return
      }
      await handle({ req, res, body, list: Array.isArray(parsed) ? parsed : [parsed], batch: Array.isArray(parsed) })
    }
    run().catch(() => {
      if (!res.headersSent) res.writeHead(502).end()
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** POSTs a JSON-RPC body to `target` and returns the answer's text. */
export async function forwardJsonRpc(target: string, body: string): Promise<string> {
  const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return res.text()
}
