/**
 * Use case `watch`: poll every configured protocol's events from a block cursor kept `confirmations` blocks behind
 * the head, and answer a slash on stake we hold at once. The watcher is protocol-neutral and imports no protocol: each
 * protocol brings its `ProtocolTriggers` (shared/protocols/types.ts; `ctx.triggers`, required: the watch function
 * passes Symbiotic's through ./triggers.ts `withTriggers`, the eigenlayer function EigenLayer's) — its decoded events,
 * our exposure to a slash, and its pipeline run forced with de-risk orders.
 *
 * One tick: read the cursor → (first tick: start at the safe head) → check the cursor block's hash (a
 * reorg deeper than the confirmation depth rewinds a little; events are deduplicated by tx hash and log
 * index, so a rescan acts once) → sync each protocol's source in the chain sync (docs/sync.md: only the blocks after
 * its cursor, shared with the readers; resumable at the run's deadline) → read from its store, up to the block every
 * source is complete to, each protocol's events of the range (Symbiotic: our vaults' slashers and delegators and the
 * two opt-in services for `Slash`, `RequestSlash`, `ExecuteSlash`, `VetoSlash`,
 * `SetMaxNetworkLimit`, `OptIn`/`OptOut`; EigenLayer: `OperatorSlashed` on our strategies with the
 * `OperatorSharesSlashed` amount) → claim each relevant event in the `events` table (conditional put) → for every
 * slash (Symbiotic `Slash` / `RequestSlash` on a (subnetwork, operator) pair we allocate to; EigenLayer
 * `OperatorSlashed` of an operator our stakers delegate to): one de-risk run per protocol per the policy's
 * `slashResponse` (`zero-out` | `halve` as forced moves with `force: true`; EigenLayer's zero-out starts exit sagas off
 * the operator; `alert-only` sends nothing) and one notification per slash with the tx hashes, the residual exposure
 * window and the protocol's notes (EigenLayer: how long withdrawn stake stays slashable) → mark the events done →
 * advance the cursor (only after everything was handled). `ExecuteSlash` / `VetoSlash` (the request was already
 * answered), `SetMaxNetworkLimit` and opt-in changes are recorded in the watch run; the next scheduled rebalance
 * plans with them. Every tick also counts intents stuck in signed/broadcast (the StuckIntents alarm).
 */
import { randomUUID } from 'node:crypto'
import type { DeriskRequest } from '../domain/index.js'
import { pct } from '../domain/format.js'
import type { ProtocolTriggers, SlashExposure, SyncedWatchedEvents, TriggeredRun, WatchedEvent, WatchedEventKind } from '../protocols/types.js'
import { RestakeError, errorSummary } from '../errors.js'
import { StaleWriteError } from '../store/errors.js'
import { type ClaimedEvent, DuplicateEventError } from '../store/events.js'
import type { AutopilotContext } from './context.js'
import { type Notification, residualLines, residualNotes, units } from './notify.js'
import { labeler } from '../label.js'

export type { WatchedEvent, WatchedEventKind }

/** How long a watched event is remembered, seconds (a rescan within this window acts once). */
export const CHAIN_EVENT_TTL_SECONDS = 30 * 86_400
/** How long a watcher owns a claimed event before another may take it over, ms. */
export const WATCH_LEASE_MS = 15 * 60_000

/** Options of a tick. */
export interface WatchEventsOptions {
  /** Blocks behind the head that are final enough to act on (default: config.confirmations). */
  confirmations?: number
  /** Largest block range handled per tick (the logs come from the sync's store), default 2 000. */
  maxBlockRange?: number
  /** Block to start from on the very first tick (default: the safe head — only new events). */
  startBlock?: bigint
  /** Cursor id (default `symbiotic:<chainId>`). */
  cursorId?: string
  /** An intent older than this in signed/broadcast counts as stuck, ms (default 15 min). */
  stuckAfterMs?: number
  trigger?: string
}

/** Result of a tick. */
export interface WatchEventsResult {
  /** `syncing`: the chain sync has not yet stored the blocks after the cursor (a first sync in progress); the next tick continues. */
  status: 'initialised' | 'up-to-date' | 'syncing' | 'advanced' | 'busy' | 'failed'
  /** Blocks scanned (inclusive), when any. */
  fromBlock?: bigint
  toBlock?: bigint
  /** Cursor after the tick. */
  cursor?: bigint
  events: WatchedEvent[]
  /** The first de-risk run of the tick (one per protocol whose slashes hit stake we hold: all in `derisks`). */
  derisk?: DeriskOutcome
  derisks?: DeriskOutcome[]
  /** Watch run recorded (only when events were seen). */
  runId?: string
  stuckIntents: number
  error?: { name: string; message: string }
}

/** One de-risk run the watcher started. */
export interface DeriskOutcome {
  protocol: string
  runId: string
  status: TriggeredRun['status']
  txHashes: string[]
  error?: { name: string; message: string }
}

/** Every protocol's watched events of [from, to], in chain order. */
async function readWatchedEvents(sources: readonly SyncedWatchedEvents[], from: bigint, to: bigint): Promise<WatchedEvent[]> {
  const all = (await Promise.all(sources.map((s) => s.read(from, to)))).flat()
  return all.sort((x, y) => (x.blockNumber === y.blockNumber ? x.logIndex - y.logIndex : x.blockNumber < y.blockNumber ? -1 : 1))
}

/** The context the watcher needs: cursors, events and the protocols' triggers are required. */
export type WatchContext = AutopilotContext & Required<Pick<AutopilotContext, 'cursors' | 'events' | 'triggers'>>

/** The watcher could not finish a tick; the cursor was not advanced (the next tick retries). */
export class WatchTickError extends RestakeError {
  override name = 'WatchTickError' as const
  constructor(p: { reason: string; cause?: unknown }) {
    super(`The watch tick did not finish: ${p.reason}; the cursor stays where it was.`, { details: p.reason, cause: p.cause })
  }
}

/** Narrows a context to a {@link WatchContext}; throws WatchTickError when the cursor or events store or the triggers are missing. */
export function asWatchContext(ctx: AutopilotContext): WatchContext {
  if (!ctx.cursors || !ctx.events) throw new WatchTickError({ reason: 'the context has no cursors/events store' })
  if (!ctx.triggers?.length) throw new WatchTickError({ reason: 'the context names no protocol triggers (shared/services/triggers.ts withTriggers)' })
  return ctx as WatchContext
}

// Every Symbiotic event but the rewards.

/** One watcher tick (see the module comment); never throws for chain/store trouble: returns `failed`. */
export async function watchEvents(ctx: WatchContext, opts: WatchEventsOptions = {}): Promise<WatchEventsResult> {
  const confirmations = BigInt(opts.confirmations ?? ctx.config.confirmations)
  const cursorId = opts.cursorId ?? `symbiotic:${ctx.config.chainId}`
  const stuckIntents = ctx.findStuckIntents ? (await ctx.findStuckIntents(ctx.clock() - (opts.stuckAfterMs ?? 15 * 60_000))).length : 0
  const base = { events: [] as WatchedEvent[], stuckIntents }
  try {
    const latest = await ctx.client.getBlock({ blockTag: 'latest' })
    const head = latest.number
    const safe = head > confirmations ? head - confirmations : 0n
    const cursor = await ctx.cursors.get(cursorId)
    if (!cursor) {
      const start = opts.startBlock !== undefined ? (opts.startBlock > 0n ? opts.startBlock - 1n : 0n) : safe
      const block = await ctx.client.getBlock({ blockNumber: start })
      await ctx.cursors.advance(cursorId, { from: undefined, to: start, blockHash: block.hash, now: ctx.clock() })
      ctx.logger.info('watch cursor initialised', { cursorId, block: start })
      return { ...base, status: 'initialised', cursor: start }
    }
    // A reorg deeper than the confirmation depth replaced the cursor block: rescan a little (dedup by key).
    let from = cursor.block + 1n
    const cursorBlock = await ctx.client.getBlock({ blockNumber: cursor.block })
    if (cursorBlock.hash !== cursor.blockHash) {
      const back = confirmations + 16n
      from = cursor.block > back ? cursor.block - back : 0n
      ctx.logger.warn('watch cursor block was reorganised; rescanning', { cursorId, cursor: cursor.block, from })
    }
    // Only blocks the chain sync has stored (shared with the reader): the tick reads them from the store.
    const sources = await Promise.all(ctx.triggers.map((t) => t.syncEvents({ number: latest.number, hash: latest.hash }, { confirmations: Number(confirmations) })))
    const syncedTo = sources.reduce((m, x) => (x.syncedTo < m ? x.syncedTo : m), safe)
    const limit = [safe, cursor.block + BigInt(opts.maxBlockRange ?? 2_000), syncedTo]
    const to = limit.reduce((m, x) => (x < m ? x : m))
    if (to < from) return { ...base, status: syncedTo < safe && syncedTo < from ? 'syncing' : 'up-to-date', cursor: cursor.block }

    const events = await readWatchedEvents(sources, from, to)
    base.events = events
    const result: WatchEventsResult = { ...base, status: 'advanced', fromBlock: from, toBlock: to, cursor: to }
    if (events.some((e) => e.relevant)) {
      const handled = await handleEvents(ctx, events, opts.trigger ?? 'schedule')
      if (handled.busy) return { ...result, status: 'busy', cursor: cursor.block, runId: handled.runId }
      if (handled.derisks?.length) {
        result.derisk = handled.derisks[0]!
        result.derisks = handled.derisks
      }
      result.runId = handled.runId
      if (handled.failed) return { ...result, status: 'failed', cursor: cursor.block, error: handled.derisks?.find((d) => d.error)?.error ?? { name: 'WatchTickError', message: 'de-risk failed' } }
    }
    const toBlock = await ctx.client.getBlock({ blockNumber: to })
    await ctx.cursors.advance(cursorId, { from: cursor.block, to, blockHash: toBlock.hash, now: ctx.clock() })
    return result
  } catch (e) {
    const error = errorSummary(e)
    ctx.logger.error('watch tick failed', { cursorId, error })
    return { ...base, status: e instanceof StaleWriteError ? 'busy' : 'failed', error }
  }
}

interface Handled {
  busy?: boolean
  failed?: boolean
  runId?: string
  derisks?: DeriskOutcome[]
}

/** Claims the relevant events, de-risks slashed pairs we hold, notifies, marks the events done and records a watch run. */
async function handleEvents(ctx: WatchContext, events: WatchedEvent[], trigger: string): Promise<Handled> {
  const startedAt = ctx.clock()
  const runId = `watch-${new Date(startedAt).toISOString()}-${randomUUID().slice(0, 8)}`
  await ctx.runs.start({ runId, kind: 'watch', trigger, startedAt })
  const label = labeler(ctx.config.labels)
  const claimed: { event: WatchedEvent; claim: ClaimedEvent }[] = []
  const finishRun = async (status: 'succeeded' | 'skipped' | 'failed', extra: Record<string, unknown> = {}, error?: { name: string; message: string }) =>
    ctx.runs.finish(runId, { status, finishedAt: ctx.clock(), decision: { events: events.filter((e) => e.relevant).map(summary), ...extra }, ...(error ? { error } : {}) })
  try {
    // 1. Claim: an event done before (a rescan, a retried tick) is not acted on again.
    for (const event of events.filter((e) => e.relevant)) {
      try {
        const claim = await ctx.events.claim({ eventId: event.key, source: 'chain', status: 'running', now: ctx.clock(), ttlSeconds: CHAIN_EVENT_TTL_SECONDS, leaseMs: WATCH_LEASE_MS, detail: JSON.stringify(summary(event)) })
        claimed.push({ event, claim })
      } catch (e) {
        if (!(e instanceof DuplicateEventError)) throw e
        if (e.existing?.status === 'done') {
          event.outcome = 'already-handled'
          continue
        }
        // Another watcher holds it under a live lease: leave the range to it.
        await releaseAll(ctx, claimed, 'failed')
        await finishRun('skipped', { busy: event.key })
        return { busy: true, runId }
      }
    }

    // 2. Which claimed slashes hit stake we hold? One read per protocol answers for all of its slashes.
    const triggers = ctx.triggers
    const triggerOf = (e: WatchedEvent) => triggers.find((t) => t.protocol === (e.protocol ?? 'symbiotic'))
    const slashes = claimed.filter(({ event }) => triggerOf(event)?.isSlash(event) === true)
    const exposures = new Map<ProtocolTriggers, SlashExposure>()
    for (const t of triggers) {
      const mine = slashes.filter(({ event }) => triggerOf(event) === t).map(({ event }) => event)
      if (mine.length > 0) exposures.set(t, await t.exposure(mine))
    }
    const before = new Map<string, bigint>()
    for (const { event, claim } of slashes) {
      const exposure = exposures.get(triggerOf(event)!)!
      event.held = exposure.held(event)
      before.set(event.key, exposure.stake(event))
      // A takeover of an event whose de-risk run was recorded and did not fail: it was acted on; do not act twice.
      const prev = claim.previous?.result ? (JSON.parse(claim.previous.result) as { runId?: string }) : undefined
      if (prev?.runId) {
        const run = await ctx.runs.get(prev.runId)
        if (run && run.status !== 'failed') {
          event.held = false
          event.outcome = 'already-handled'
        }
      }
    }

    // 3. De-risk in this invocation, per the policy: one forced run per protocol with held slashes.
    const response = ctx.policy.slashResponse
    const results = new Map<ProtocolTriggers, TriggeredRun & { notes?: string[] }>()
    const derisks: DeriskOutcome[] = []
    for (const t of triggers) {
      const held = slashes.filter(({ event }) => triggerOf(event) === t && event.held)
      if (held.length === 0 || response === 'alert-only') continue
      const pairs = new Map<string, DeriskRequest>()
      for (const { event } of held) {
        const k = `${event.subnetwork}|${event.operator}`
        if (!pairs.has(k))
          pairs.set(k, {
            operator: event.operator!,
            service: event.subnetwork!,
            response,
            reason: `slash response ${response}: ${event.kind} of ${label(event.operator!)} by ${label(event.subnetwork!)} at block ${event.blockNumber} (tx ${event.txHash})`,
          })
      }
      const triggerText = `watch:slash:${held[0]!.event.key}${held.length > 1 ? `(+${held.length - 1})` : ''}`
      // Record the de-risk run id on the events as soon as it is known (before anything is sent), so a
      // takeover after a crash can tell that the response already ran.
      const marks: Promise<unknown>[] = []
      const onRunStarted = (runId: string) => {
        for (const { event } of held) marks.push(ctx.events.transition(event.key, ['running'], 'running', { now: ctx.clock(), result: JSON.stringify({ runId }), leaseMs: WATCH_LEASE_MS }).catch(() => undefined))
      }
      const result = await t.derisk({ orders: [...pairs.values()], trigger: triggerText, triggerKind: 'watch', onRunStarted })
      await Promise.all(marks)
      results.set(t, result)
      derisks.push({ protocol: t.protocol, runId: result.runId, status: result.status, txHashes: txHashesOf(result), ...(result.error ? { error: result.error } : {}) })
    }
    const failed = derisks.some((d) => d.status === 'failed')

    // 4. Notify once per slash on held stake (residual exposure from the de-risk run's plan).
    for (const t of triggers) {
      const mine = slashes.filter(({ event }) => triggerOf(event) === t)
      if (mine.length === 0) continue
      const result = results.get(t)
      const run = result ? await ctx.runs.get(result.runId) : undefined
      const residual = (run?.plan as { positions?: { residualExposure?: { service: string; operator: string; stake: bigint; until: bigint }[] }[] } | undefined)?.positions?.flatMap((p) => p.residualExposure ?? []) ?? []
      const notes = [...new Set([...(result?.notes ?? []), ...(exposures.get(t)?.notes ?? [])])]
      for (const { event } of mine) {
        if (!event.held) {
          event.outcome ??= 'recorded'
          continue
        }
        event.outcome = result && result.status !== 'failed' ? 'derisked' : 'alerted'
        await ctx.notify?.(slashNotification(ctx, event, { response, result, notes, before: before.get(event.key) ?? 0n, residual: residual.filter((r) => r.service === event.subnetwork && r.operator === event.operator), label }))
      }
    }
    for (const { event } of claimed) event.outcome ??= 'recorded'

    // 5. Done (or failed: the next tick takes the events over and retries).
    const derisk = derisks[0]
    const failure = derisks.find((d) => d.status === 'failed')
    await releaseAll(ctx, claimed, failed ? 'failed' : 'done', (e) => derisks.find((d) => d.protocol === (e.protocol ?? 'symbiotic')))
    await finishRun(
      failed ? 'failed' : 'succeeded',
      derisk ? { derisk, ...(derisks.length > 1 ? { derisks } : {}) } : {},
      failure ? { name: 'DeriskFailed', message: `de-risk run ${failure.runId} failed: ${failure.error?.name}: ${failure.error?.message}` } : undefined,
    )
    return { runId, failed, derisks }
  } catch (e) {
    await releaseAll(ctx, claimed, 'failed').catch(() => undefined)
    const error = errorSummary(e)
    await ctx.runs.finish(runId, { status: 'failed', finishedAt: ctx.clock(), error }).catch(() => undefined)
    throw e
  }
}

async function releaseAll(ctx: WatchContext, claimed: { event: WatchedEvent }[], to: 'done' | 'failed', deriskOf?: (e: WatchedEvent) => DeriskOutcome | undefined): Promise<void> {
  for (const { event } of claimed) {
    const derisk = deriskOf?.(event)
    await ctx.events.transition(event.key, ['running'], to, { now: ctx.clock(), result: JSON.stringify({ outcome: event.outcome, ...(derisk ? { runId: derisk.runId, status: derisk.status, txHashes: derisk.txHashes } : {}) }) })
  }
}

function txHashesOf(r: TriggeredRun): string[] {
  return r.actions.map((a) => a.txHash).filter((h): h is string => typeof h === 'string')
}

function summary(e: WatchedEvent): Record<string, unknown> {
  return {
    key: e.key,
    ...(e.protocol ? { protocol: e.protocol } : {}),
    kind: e.kind,
    block: e.blockNumber.toString(),
    tx: e.txHash,
    vault: e.vault,
    subnetwork: e.subnetwork,
    operator: e.operator,
    amount: e.amount?.toString(),
    held: e.held,
    outcome: e.outcome,
  }
}

/** The notification for one slash on stake we allocate: what, where, the response with tx hashes, stake after, residual window. */
function slashNotification(
  ctx: WatchContext,
  e: WatchedEvent,
  p: {
    response: string
    result: TriggeredRun | undefined
    /** The protocol's own lines (e.g. how long withdrawn stake stays slashable). */
    notes: readonly string[]
    before: bigint
    residual: { service: string; operator: string; stake: bigint; until: bigint }[]
    label: (k: string) => string
  },
): Notification {
  const { label } = p
  const op = label(e.operator!)
  const sn = label(e.subnetwork!)
  const what = e.kind === 'RequestSlash' ? 'requested a slash of' : 'slashed'
  // EigenLayer: a delegated token is exposed to every set of its operator; the response moves stakers, not one pair.
  const operatorWide = e.protocol === 'eigenlayer'
  const after = operatorWide ? undefined : p.result?.allocations.filter((r) => r.service === e.subnetwork && r.operator === e.operator).reduce((s, r) => s + (r.after ?? r.target), 0n)
  const txs = p.result ? txHashesOf(p.result) : []
  const residual = residualNotes(p.residual)
  const by = [e.wadSlashed !== undefined ? `${pct(Number(e.wadSlashed) / 1e18)} of its delegated stake` : '', e.amount !== undefined ? units(e.amount) : ''].filter(Boolean).join(', ')
  const lines = [
    `${e.kind} on chain ${ctx.config.chainId} at block ${e.blockNumber} (tx ${e.txHash}): ${sn} (${e.subnetwork}) ${what} operator ${op} (${e.operator})${by ? ` by ${by}` : ''} in ${label(e.vault!)}${e.captureTimestamp !== undefined ? `, capture timestamp ${e.captureTimestamp}` : ''}.`,
    operatorWide ? `Our stakers delegated to this operator hold ${units(p.before)} (exposed to every operator set it allocates to) when the slash was seen.` : `We allocate to this pair: stake ${units(p.before)} when the slash was seen.`,
    ...(e.vetoDeadline !== undefined ? [`The request can be vetoed until ${new Date(Number(e.vetoDeadline) * 1000).toISOString()} (unix ${e.vetoDeadline}); it executes only after that, unless a resolver vetoes it.`] : []),
  ]
  let subject: string
  if (!p.result) {
    lines.push(`Policy slash response: ${p.response} → nothing sent; the stake stays allocated.`)
    subject = `${e.kind}: ${op} in ${sn} (alert only)`
  } else if (p.result.status === 'failed') {
    lines.push(`Policy slash response: ${p.response} → de-risk run ${p.result.runId} FAILED: ${p.result.error?.name}: ${p.result.error?.message}. The next watch tick retries.`)
    subject = `${e.kind}: ${op} in ${sn} — de-risk FAILED`
  } else {
    const sent = p.result.actions.filter((a) => a.txHash)
    lines.push(
      `Policy slash response: ${p.response} → de-risk run ${p.result.runId} ${p.result.paused ? 'planned but did not send (rebalancing is paused)' : p.result.status === 'succeeded' ? `sent ${sent.length} call(s)` : `sent nothing (${p.result.decision?.kind === 'skip' ? p.result.decision.reason : 'skipped'})`}:`,
      ...p.result.actions.map((a) => `  #${a.index} ${a.description}${a.txHash ? `  tx ${a.txHash}` : ''}`),
    )
    if (after !== undefined) lines.push(`Stake of ${op} in ${sn} now ${units(after)} (was ${units(p.before)}).`)
    lines.push(...residualLines(residual, label))
    subject = `${e.kind}: ${op} in ${sn} — ${p.response}${p.result.status === 'succeeded' ? `, ${sent.length} tx sent` : ''}`
  }
  lines.push(...p.notes)
  return {
    kind: 'slash',
    subject,
    text: lines.join('\n'),
    at: new Date(ctx.clock()).toISOString(),
    ...(p.result ? { runId: p.result.runId } : {}),
    operator: e.operator!,
    service: e.subnetwork!,
    txHashes: [e.txHash, ...txs],
    ...(residual.length ? { residualExposure: residual } : {}),
  }
}
