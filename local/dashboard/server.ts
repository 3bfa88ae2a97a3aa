/**
 * The curator's dashboard server: Hono on @hono/node-server, bound to 127.0.0.1 only, with a strict CSP and a
 * Host check against DNS rebinding. Serves the page (plain ES modules from ./public), `/api/state` (live chain
 * read + recorded runs), `/api/runs/:id` and `/api/events` (Server-Sent Events: "update" whenever a run starts or
 * ends). Read-only (GET/HEAD; every other method is 405 and no route reaches a signer) unless `controls` is given:
 * then `/api/control/prepare` and `/api/control/confirm` (POST, two steps: what would happen, then do it) pause,
 * resume or de-risk an operator through the same claim, pause flag and audit trail as the signed webhook.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { type SSEStreamingApi, streamSSE } from 'hono/streaming'
import { RestakeError } from '../../shared/errors.js'
import { type ApplyControlActionParameters, WebhookBodySchema, applyControlAction } from '../../shared/services/handleWebhook.js'
import { labeler } from '../../shared/label.js'
import type { RunKind, RunRecord, RunStore } from '../../shared/store/runs.js'
import { parsePolicy } from '../../shared/domain/index.js'
import { type WhatIfChange, WhatIfChangeError, whatIf } from '../../shared/domain/whatif.js'
import { explainRecord } from '../cli/explain.js'
import type { LiveState } from './live.js'
import { PERIOD_SECONDS, type YieldPeriod, type YieldReader } from './realised.js'
import { buildDashboardState, detailView, relabeler, runView, whatIfChangeFromQuery, whatIfView } from './view.js'

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
  /**
   * Enables pause / resume / de-risk from the page through {@link applyControlAction} (events claim, pause flag,
   * notification). `who` names the curator in the event id (`console:<who>:<nonce>`), e.g. the OS user or the AWS
   * caller. Absent = read-only.
   */
  controls?: ApplyControlActionParameters & { who: string }
  /** Realised yield and losses over time (`/api/yield`; see createYieldReader); absent = the section says it is not available. */
  readYield?: YieldReader
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
/** How long a prepared control order waits for its confirmation, ms. */
export const CONFIRM_TTL_MS = 120_000
/** Header every control request must carry: a cross-site form cannot set it, and a cross-site fetch with it needs a preflight this server never grants. */
export const CONTROL_HEADER = 'x-autopilot-console'

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
  const fingerprint = async () =>
    (await Promise.all((['rebalance', 'watch', 'score'] as RunKind[]).map((k) => p.runs.list(k, 2))))
      .flat()
      .map((r) => `${r.runId}:${r.status}`)
      .join(',')

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
  const isControl = (path: string) => p.controls !== undefined && (path === '/api/control/prepare' || path === '/api/control/confirm')
  app.use('*', async (c, next) => {
    // DNS rebinding: only our own loopback host names may address this server.
    const host = (c.req.header('host') ?? '').toLowerCase()
    const hosts = [`${HOST}:${port}`, `localhost:${port}`, `[::1]:${port}`]
    if (!hosts.includes(host)) return c.text('forbidden host\n', 403)
    if (c.req.method === 'POST' && (isControl(c.req.path) || c.req.path === '/api/whatif')) {
      // Cross-site requests: a browser sends Origin on every POST; only our own page may control.
      const origin = c.req.header('origin')
      if (origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) return c.text('forbidden origin\n', 403)
      if (c.req.header(CONTROL_HEADER) !== '1' || !(c.req.header('content-type') ?? '').startsWith('application/json')) return c.text(`control requests need ${CONTROL_HEADER}: 1 and a JSON body\n`, 400)
    } else if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return c.text('read-only: only GET and HEAD\n', 405, { Allow: 'GET, HEAD' })
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
  // Controls, in two steps: prepare says what would happen and returns a one-time token; confirm does it.
  const pending = new Map<string, { order: { action: 'pause' | 'resume' | 'derisk-operator' | 'rebalance'; operator?: string; reason?: string }; expires: number }>()
  app.get('/api/control', async (c) => {
    if (!p.controls) return c.json({ enabled: false })
    const pause = await p.controls.ctx.control.getPause()
    return c.json({ enabled: true, who: p.controls.who, pause })
  })
  app.post('/api/control/prepare', async (c) => {
    const controls = p.controls!
    const token = randomBytes(16).toString('hex')
    const raw = (await c.req.json().catch(() => null)) as Record<string, unknown> | null
    const parsed = WebhookBodySchema.safeParse({ ...(raw && typeof raw === 'object' ? raw : {}), id: token })
    if (!parsed.success) return c.json({ error: 'invalid order', issues: parsed.error.issues.map((i) => ({ path: `$.${i.path.join('.')}`, message: i.message })) }, 400)
    const { id: _id, ...order } = parsed.data
    const now = Date.now()
    for (const [k, v] of pending) if (v.expires < now) pending.delete(k)
    pending.set(token, { order, expires: now + CONFIRM_TTL_MS })
    const labels = (live && (await live.promise.catch(() => undefined))?.labels) ?? p.labels ?? {}
    const pause = await controls.ctx.control.getPause()
    return c.json({ token, expiresInSeconds: CONFIRM_TTL_MS / 1000, order, summary: controlSummary(order, pause.paused, (k) => labels[k.toLowerCase()] ?? k), by: controls.who })
  })
  app.post('/api/control/confirm', async (c) => {
    const controls = p.controls!
    const { token } = ((await c.req.json().catch(() => ({}))) ?? {}) as { token?: unknown }
    const entry = typeof token === 'string' ? pending.get(token) : undefined
    if (typeof token === 'string') pending.delete(token)
    if (!entry || entry.expires < Date.now()) return c.json({ error: 'no such prepared order (expired, already confirmed, or never prepared): prepare it again' }, 409)
    const who = controls.who.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 64)
    const res = await applyControlAction(controls, { ...entry.order, eventId: `console:${who}:${token}`, source: 'console' })
    return new Response(res.body, { status: res.statusCode, headers: res.headers })
  })
  // What-if: plan under a hypothetical change (pure; nothing is written). GET for slash / deny, POST for an edited policy.
  const whatIfAnswer = async (change: WhatIfChange | { error: string }) => {
    if ('error' in change) return Response.json({ error: change.error }, { status: 400 })
    const state = await readLive()
    try {
      return Response.json(whatIfView(whatIf({ universe: state.universe, policy: state.policy, change, now: state.universe.timestamp }), state))
    } catch (e) {
      if (e instanceof WhatIfChangeError) return Response.json({ error: `${e.name}: ${e.shortMessage}` }, { status: 400 })
      throw e
    }
  }
  // Drill-down: one operator or service, now (live read) and over the stored runs that carry scores.
  app.get('/api/detail/:kind/:id', async (c) => {
    const kind = c.req.param('kind')
    if (kind !== 'operator' && kind !== 'service') return c.json({ error: 'kind must be operator or service' }, 404)
    const [state, runs] = await Promise.all([readLive(), Promise.all([p.runs.list('score', 200), p.runs.list('rebalance', 200)]).then((x) => x.flat())])
    const view = detailView(kind, c.req.param('id'), state, runs)
    return view ? c.json(view) : c.json({ error: `${kind} ${c.req.param('id')} is not in the universe read` }, 404)
  })
  // Realised yield and losses per period of chain time, beside what the stored runs planned.
  app.get('/api/yield', async (c) => {
    const period = (c.req.query('period') ?? 'week') as YieldPeriod
    if (!Object.hasOwn(PERIOD_SECONDS, period)) return c.json({ error: 'period must be day, week or month' }, 400)
    if (!p.readYield) return c.json({ error: 'realised yield is not available in this console (no chain reader)' }, 404)
    const [state, runs] = await Promise.all([readLive(), p.runs.list('rebalance', 500)])
    return c.json(await p.readYield({ period, live: state, runs }))
  })
  app.get('/api/whatif', (c) => whatIfAnswer(whatIfChangeFromQuery((k) => c.req.query(k))))
  app.post('/api/whatif', async (c) => {
    const parsed = parsePolicy(await c.req.json().catch(() => null))
    return whatIfAnswer(parsed.ok ? { kind: 'policy', policy: parsed.policy, label: '(edited in the console)' } : { error: `the edited policy is invalid: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}` })
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

/** What a control order will do, in words, for the confirmation step. */
export function controlSummary(order: { action: string; operator?: string; reason?: string }, paused: boolean, label: (k: string) => string): string {
  const why = order.reason ? ` Reason recorded: “${order.reason}”.` : ''
  switch (order.action) {
    case 'pause':
      return `Pause rebalancing${paused ? ' (already paused)' : ''}: runs keep reading, planning and recording, but send nothing until resumed. Slash de-risking is paused too.${why}`
    case 'resume':
      return `Resume rebalancing${paused ? '' : ' (not paused now)'}: the next scheduled run sends its calls again.${why}`
    case 'derisk-operator':
      return `De-risk operator ${label(order.operator ?? '')} (${order.operator}) now: a run removes its stake per the policy’s slashResponse and sends the calls${paused ? ' — but rebalancing is paused, so they are planned and recorded, not sent' : ''}.${why}`
    default:
      return `Rebalance now: one run plans under the current policy and sends its calls${paused ? ' — paused, so nothing is sent' : ''}.${why}`
  }
}

function errorText(e: unknown): string {
  const err = e as Error & { shortMessage?: string }
  return `${err?.name ?? 'Error'}: ${(err?.shortMessage ?? err?.message ?? String(e)).split('\n')[0]}`
}
