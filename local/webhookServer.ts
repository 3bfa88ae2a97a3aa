/**
 * Serves the webhook Lambda handler on 127.0.0.1 (hono + @hono/node-server): each request becomes the API
 * Gateway HTTP API (payload 2.0) event the handler gets in AWS, so the local path runs the same code.
 * Prints nothing itself; `curlExample` is a ready-to-paste signed request (valid for 5 minutes).
 */
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { SIGNATURE_HEADER, signWebhook } from '../shared/services/handleWebhook.js'

/** Parameters of {@link startWebhookServer}. */
export interface StartWebhookServerParameters {
  /** The webhook Lambda handler (functions/webhook/handler.ts `handler`). */
  handler: (event: unknown) => Promise<unknown>
  /** Port on 127.0.0.1 (default 8787; 0 = any free port). */
  port?: number
  /** The HMAC secret the handler verifies with (used here only to sign the curl example). */
  secret: string
  /** Path of the webhook (default `/webhook`, as in the stack's HTTP API route). */
  path?: string
}

/** A running local webhook server. */
export interface WebhookServer {
  /** e.g. `http://127.0.0.1:8787/webhook` */
  url: string
  stop: () => Promise<void>
  /** A signed `curl` command for a `rebalance` request, valid for 5 minutes from start. */
  curlExample: string
  /** A freshly signed `curl` command for any body. */
  curl: (body: Record<string, unknown>) => string
}

/** Starts the server; resolves once it listens. */
export async function startWebhookServer(p: StartWebhookServerParameters): Promise<WebhookServer> {
  const path = p.path ?? '/webhook'
  const app = new Hono()
  // Transport guard only; the handler itself answers 413 above its 16 KiB limit.
  app.use(path, bodyLimit({ maxSize: 1024 * 1024, onError: (c) => c.json({ error: 'body too large' }, 413) }))
  app.all(path, async (c) => {
    const raw = new Uint8Array(await c.req.arrayBuffer())
    const url = new URL(c.req.url)
    const headers: Record<string, string> = {}
    c.req.raw.headers.forEach((v, k) => (headers[k.toLowerCase()] = v))
    const now = new Date()
    const event = {
      version: '2.0',
      routeKey: `POST ${path}`,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      body: Buffer.from(raw).toString('base64'),
      isBase64Encoded: true,
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: url.host,
        http: { method: c.req.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
        requestId: randomUUID(),
        routeKey: `POST ${path}`,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
    }
    try {
      const res = (await p.handler(event)) as { statusCode: number; headers?: Record<string, string>; body?: string }
      return new Response(res.body ?? '', { status: res.statusCode, headers: res.headers ?? {} })
    } catch (e) {
      return c.json({ error: 'handler threw', name: (e as Error).name, message: (e as Error).message }, 500)
    }
  })
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: p.port ?? 8787, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server: s, port: info.port }))
    s.once('error', reject)
  })
  const url = `http://127.0.0.1:${port}${path}`
  const curl = (body: Record<string, unknown>) => signedCurl({ url, secret: p.secret, body })
  return {
    url,
    curl,
    curlExample: curl({ id: `manual-${Date.now()}`, action: 'rebalance' }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A `curl` command that POSTs `body` to `url` signed with `secret` at the current time. */
export function signedCurl(p: { url: string; secret: string; body: Record<string, unknown>; timestamp?: number }): string {
  const body = JSON.stringify(p.body)
  const signature = signWebhook({ secret: p.secret, body, timestamp: p.timestamp ?? Math.floor(Date.now() / 1000) })
  return `curl -sS -X POST '${p.url}' -H 'content-type: application/json' -H '${SIGNATURE_HEADER}: ${signature}' --data '${body.replace(/'/g, "'\\''")}'`
}
