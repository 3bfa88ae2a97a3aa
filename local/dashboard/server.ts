/**
 * The curator's dashboard server: Hono on @hono/node-server, bound to 127.0.0.1 only, read-only (GET/HEAD;
 * every other method is 405 and no route reaches a signer), with a strict CSP and a Host check against DNS
 * rebinding. Serves the page (plain ES modules from ./public), `/api/state` (live chain read + recorded
 * runs), `/api/runs/:id` and `/api/events` (Server-Sent Events: "update" whenever a run starts or ends).
 */
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { type SSEStreamingApi, streamSSE } from 'hono/streaming'
import { RestakeError } from '../../shared/errors.js'
import { labeler } from '../../shared/label.js'
import type { RunKind, RunRecord, RunStore } from '../../shared/store/runs.js'
import { explainRecord } from '../cli/explain.js'
import type { LiveState } from './live.js'
import { buildDashboardState, relabeler, runView } from './view.js'

/** Options of {@link startDashboard}. */
export interface StartDashboardParameters {
  /** Where runs are recorded (read only: `list` and `get`). */
  runs: Pick<RunStore, 'list' | 'get'>
  /** Reads the chain now (see createLiveReader). */
  readLive: () => Promise<LiveState>
  /** TCP port on 127.0.0.1 (default 8787; 0 = any free port). */
  port?: number
  /** How often the server looks for new runs while a page listens, ms (default 2 000). */
  pollMs?: number
  /** A live read younger than this is reused, ms (default 1 500): many tabs, one chain read. */
  liveTtlMs?: number
  /** Extra labels (address / subnetwork id → name) for runs recorded before the live read succeeds. */
  labels?: Record<string, string>
}

/** A running dashboard. */
export interface Dashboard {
  /** e.g. `http://127.0.0.1:8787/` */
  url: string
  port: number
  /** Stops listening and closes open event streams. */
  stop: () => Promise<void>
}

/** The dashboard could not start (e.g. the port is taken). */
export class DashboardStartError extends RestakeError {
  override name = 'DashboardStartError' as const
  constructor(p: { port: number; cause: unknown }) {
    super(`The dashboard could not listen on 127.0.0.1:${p.port}.`, { details: (p.cause as Error)?.message ?? String(p.cause), cause: p.cause })
  }
}
/** {@link DashboardStartError} with its literal name. */
export type DashboardStartErrorType = DashboardStartError & { name: 'DashboardStartError' }

const HOST = '127.0.0.1'
const STATIC: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
}
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
const RUN_LIMITS: Record<RunKind, number> = { rebalance: 60, watch: 30, score: 1 }

/**
 * Starts the dashboard on 127.0.0.1.
 * @example const d = await startDashboard({ runs, readLive: createLiveReader(ctx) }); console.log(d.url)
 * @returns its URL and a stop function
 */
export async function startDashboard(p: StartDashboardParameters): Promise<Dashboard> {
  const files = new Map(Object.keys(STATIC).map((name) => [name, readFileSync(new URL(`./public/${name}`, import.meta.url))]))
  const pollMs = p.pollMs ?? 2_000
  const liveTtlMs = p.liveTtlMs ?? 1_500
  let port = p.port ?? 8787
  let stopped = false

  // One live read at a time, reused for liveTtlMs.
  let live: { at: number; promise: Promise<LiveState> } | undefined
  const readLive = () => {
    if (!live || Date.now() - live.at > liveTtlMs) {
      const entry = { at: Date.now(), promise: p.readLive() }
      entry.promise.catch(() => {
        if (live === entry) live = undefined
      })
      live = entry
    }
    return live.promise
  }
  const readRuns = async (): Promise<RunRecord[]> => (await Promise.all((Object.keys(RUN_LIMITS) as RunKind[]).map((k) => p.runs.list(k, RUN_LIMITS[k])))).flat()
  const fingerprint = async () => (await Promise.all((['rebalance', 'watch', 'score'] as RunKind[]).map((k) => p.runs.list(k, 2)))).flat().map((r) => `${r.runId}:${r.status}`).join(',')

  // Live updates: while a page listens, look for new or finished runs and tell every listener.
  const streams = new Set<SSEStreamingApi>()
  let version = ''
  let polling = false
  const timers = new Set<NodeJS.Timeout>()
  const poll = setInterval(() => {
    if (streams.size === 0 || polling || stopped) return
    polling = true
    fingerprint()
      .then((v) => {
        if (v !== version) {
          version = v
          for (const s of streams) void s.writeSSE({ event: 'update', data: v }).catch(() => streams.delete(s))
        }
      })
      .catch(() => undefined)
      .finally(() => {
        polling = false
      })
  }, pollMs)
  poll.unref()
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t)
        resolve()
      }, ms)
      t.unref()
      timers.add(t)
    })

  const app = new Hono()
  app.use('*', async (c, next) => {
    // DNS rebinding: only our own loopback host names may address this server.
    const host = (c.req.header('host') ?? '').toLowerCase()
    if (![`${HOST}:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host)) return c.text('forbidden host\n', 403)
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return c.text('read-only: only GET and HEAD\n', 405, { Allow: 'GET, HEAD' })
    await next()
    c.header('Content-Security-Policy', CSP)
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('Referrer-Policy', 'no-referrer')
    c.header('X-Frame-Options', 'DENY')
    c.header('Cross-Origin-Resource-Policy', 'same-origin')
    if (!c.res.headers.get('Cache-Control')) c.header('Cache-Control', 'no-store')
  })
  const file = (name: string) => new Response(files.get(name), { headers: { 'Content-Type': STATIC[name]! } })
  app.get('/', () => file('index.html'))
  app.get('/static/:name', (c) => (Object.hasOwn(STATIC, c.req.param('name')) ? file(c.req.param('name')) : c.text('not found\n', 404)))
  app.get('/favicon.ico', () => file('favicon.svg'))
  app.get('/healthz', (c) => c.json({ ok: true }))
  app.get('/api/state', async (c) => {
    const [liveResult, runsResult] = await Promise.allSettled([readLive(), readRuns()])
    const state = buildDashboardState({
      ...(liveResult.status === 'fulfilled' ? { live: liveResult.value } : { liveError: errorText(liveResult.reason) }),
      runs: runsResult.status === 'fulfilled' ? runsResult.value : [],
      ...(runsResult.status === 'rejected' ? { runsError: errorText(runsResult.reason) } : {}),
      labels: p.labels,
    })
    return c.json(state)
  })
  app.get('/api/runs/:id', async (c) => {
    const run = await p.runs.get(c.req.param('id')).catch(() => undefined)
    if (!run) return c.json({ error: 'run not found' }, 404)
    const labels = { ...(p.labels ?? {}), ...((live && (await live.promise.catch(() => undefined))?.labels) ?? {}) }
    const plan = run.plan as { binding?: { message: string }[]; warnings?: string[] } | undefined
    return c.json({ run: runView(run, labeler(labels), relabeler(labels)), binding: plan?.binding?.map((b) => b.message) ?? [], warnings: plan?.warnings ?? [], explain: explainRecord(run) })
  })
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      streams.add(stream)
      stream.onAbort(() => {
        streams.delete(stream)
      })
      await stream.writeSSE({ event: 'hello', data: version, retry: 3000 })
      while (!stream.aborted && !stopped) {
        await pause(15_000)
        if (!stream.aborted && !stopped) await stream.writeSSE({ event: 'ping', data: '' }).catch(() => undefined)
      }
      streams.delete(stream)
    }),
  )
  app.notFound((c) => c.text('not found\n', 404))
  app.onError((e, c) => c.json({ error: errorText(e) }, 500))

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: HOST, port }, (info: AddressInfo) => {
      port = info.port
      resolve(s)
    })
    s.once('error', (e) => reject(new DashboardStartError({ port, cause: e })))
  })
  // Seed the version so the first poll only reports real changes.
  version = await fingerprint().catch(() => '')
  return {
    url: `http://${HOST}:${port}/`,
    port,
    stop: async () => {
      if (stopped) return
      stopped = true
      clearInterval(poll)
      for (const t of timers) clearTimeout(t)
      for (const s of streams) s.abort()
      streams.clear()
      await new Promise<void>((resolve) => {
        const http = server as import('node:http').Server
        http.close(() => resolve())
        http.closeAllConnections?.()
      })
    },
  }
}

function errorText(e: unknown): string {
  const err = e as Error & { shortMessage?: string }
  return `${err?.name ?? 'Error'}: ${(err?.shortMessage ?? err?.message ?? String(e)).split('\n')[0]}`
}
