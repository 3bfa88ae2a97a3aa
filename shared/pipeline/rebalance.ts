/**
 * The one rebalance pipeline, over any protocol adapter:
 *   open signer sessions (mode autopilot) → close runs a crash left open → resume open steps (adapter) → read → score
 *   → plan → decide (adapter) → mode: autopilot executes, propose prepares a batch, dry-run and paused record →
 *   verify (adapter) → record.
 * A run is always recorded (kind `rebalance`, its `protocol` and `triggerKind` typed fields). Another run holding the
 * signer's lock, or gas above the policy's cap, skips cleanly; any other error fails the run with what was sent.
 */
import { randomUUID } from 'node:crypto'
import { type Decision, type DecisionStep, type DeriskRequest, type Plan, type Universe, assertPositionsKnown, guardDrain, planAllocation, scoreUniverse } from '../domain/index.js'
import { configuredPositionIds } from '../config/config.js'
import { errorSummary } from '../errors.js'
import { GasPriceTooHighError } from '../execution/errors.js'
import { type SessionFor, createSessionPool } from '../execution/sessionPool.js'
import { gweiToWei } from '../domain/decision.js'
import { SyncBehindError, chainSyncFor } from '../chain/sync/index.js'
import type { AdapterContext, AdapterRead, ProtocolAdapter } from '../protocols/types.js'
import { LockBusyError } from '../store/locks.js'
import type { RecordedAction, TriggerKind } from '../store/runs.js'
import type { AutopilotContext } from '../services/context.js'
import { type ModeName, modeOf } from './modes.js'
import { closeInterruptedRuns } from './interruptedRuns.js'
import { labeler } from '../label.js'
import { universeHash } from './universeHash.js'

/** One row of the before/after allocation table. */
export interface AllocationRow {
  position: string
  service: string
  operator: string
  before: bigint
  target: bigint
  after?: bigint
}

/** Options of one run. */
export interface RebalanceOptions {
  /** What started it, for people (schedule, webhook event id, watcher slash…). */
  trigger?: string
  /** What started it, typed. Default `schedule`. */
  triggerKind?: TriggerKind
  /** De-risk runs (slash response, deny list, webhook) ignore cooldown and the gain threshold. */
  force?: boolean
  /** De-risk orders (slash response): applied as forced moves by the planner; pair with `force: true`. */
  derisk?: DeriskRequest[]
}

/** Result of one run (the adapter's `report` fields are spread in). */
export interface RebalanceResult {
  runId: string
  protocol: string
  mode: ModeName
  status: 'succeeded' | 'skipped' | 'failed'
  decision?: Decision
  actions: RecordedAction[]
  allocations: AllocationRow[]
  plan?: Plan
  /** True when, after sending, the chain holds the plan exactly (adapters that can tell). */
  verified?: boolean
  /** True when steps were planned but not sent because rebalancing is paused. */
  paused?: boolean
  error?: { name: string; message: string }
  [extra: string]: unknown
}

/** The adapter's view of the run's context. */
export function adapterContext(ctx: AutopilotContext): AdapterContext {
  return {
    config: ctx.config,
    client: ctx.client,
    policy: ctx.policy,
    intents: ctx.intents,
    ...(ctx.locks ? { locks: ctx.locks } : {}),
    logger: ctx.logger,
    clock: ctx.clock,
    ...(ctx.account ? { account: ctx.account } : {}),
    label: labeler(ctx.config.labels),
    chainSync: chainSyncFor(ctx),
  }
}

/** Runs the pipeline once for one protocol; always records the run. */
export async function runRebalancePipeline<D, S extends DecisionStep>(ctx: AutopilotContext, adapter: ProtocolAdapter<D, S>, opts: RebalanceOptions = {}): Promise<RebalanceResult> {
  const startedAt = ctx.clock()
  const protocol = adapter.protocol
  const runId = `rebalance-${protocol}-${new Date(startedAt).toISOString()}-${randomUUID().slice(0, 8)}`
  const trigger = opts.trigger ?? 'schedule'
  await ctx.runs.start({ runId, kind: 'rebalance', protocol, trigger, triggerKind: opts.triggerKind ?? 'schedule', startedAt })
  const actx = adapterContext(ctx)
  const mode = modeOf(ctx.policy, (await ctx.control?.isPaused()) ?? false)
  const feeCap = gweiToWei(ctx.policy.gas.maxFeePerGasGwei)
  const out: RebalanceResult = { runId, protocol, mode: mode.name, status: 'skipped', actions: [], allocations: [] }
  // Every transaction the bot signs goes through one lease-fenced session per signer, opened on first use; a session
  // that settles what a crashed run left open closes that run (the executor never touches the run store).
  const pool = ctx.locks
    ? createSessionPool({
        client: ctx.client,
        intents: ctx.intents,
        locks: ctx.locks,
        runId,
        confirmations: ctx.config.confirmations,
        feeCap,
        onOpened: async (s) => void (await closeInterruptedRuns(ctx.runs, ctx.intents, s.resumed.interruptedRuns, runId)),
      })
    : undefined
  const sessionFor: SessionFor = (account) => {
    if (!pool) throw new Error('sending needs the locks store (the signer lease and nonce)')
    return pool.sessionFor(account)
  }
  let sent = false
  try {
    // Exactly once (docs/execution.md): hold the curator signer's lock for the whole run and settle what earlier runs
    // left open first, so the read below already sees it. A busy lock skips the run.
    if (mode.sends && ctx.account && ctx.locks && adapter.sendsAsCurator) await sessionFor(ctx.account)
    if (mode.sends && adapter.resume) {
      const resumed = await adapter.resume(actx, sessionFor)
      out.actions.push(...resumed.actions)
      sent ||= resumed.sent
      Object.assign(out, resumed.details ?? {})
    }
    const read = await adapter.read(actx)
    const { universe } = read
    ctx.onProgress?.({ type: 'read', runId, blockNumber: universe.blockNumber, positions: universe.positions.length, operators: universe.operators.length, services: universe.services.length })
    // A policy position that names nothing read (here or by another protocol's run) fails the run (UnknownPositionError).
    assertPositionsKnown(universe.positions, ctx.policy, configuredPositionIds(ctx.config))
    const now = universe.timestamp
    const scores = scoreUniverse(universe, ctx.policy, { now })
    // The drain guard (docs/policy.md): a plan that would empty a position other than by a slash response or a deny
    // list throws DrainRefusedError here, before anything is decided or sent; the run is recorded failed with it.
    const plan = guardDrain(planAllocation(universe, scores, ctx.policy, { now, ...(opts.derisk?.length ? { derisk: opts.derisk } : {}) }), ctx.policy)
    out.plan = plan
    out.allocations = allocationRows(universe, plan)
    const last = await ctx.runs.latest('rebalance', 'succeeded', { protocol })
    const gasPriceWei = (await ctx.client.estimateFeesPerGas()).maxFeePerGas
    const decision = await adapter.decide(actx, { read, scores, plan, now, ...(last ? { lastRebalanceAt: BigInt(Math.floor(last.startedAt / 1000)) } : {}), gasPriceWei, force: opts.force === true, sending: mode.sends })
    out.decision = decision
    const common = { chainId: universe.chainId, blockNumber: universe.blockNumber, universeHash: universeHash(universe), scores, plan }
    let recordDecision: Record<string, unknown> = { ...decision }

    if (decision.kind === 'skip') {
      ctx.onProgress?.({ type: 'decided', runId, summary: `skip (${decision.reason}): ${decision.detail}` })
    } else {
      out.actions.push(...decision.actions.map((a) => ({ index: 0, kind: a.kind, description: a.description, reasons: a.reasons, status: 'planned' as const })))
      ctx.onProgress?.({ type: 'decided', runId, summary: `${decision.actions.length} step(s), +${decision.gainPerYear.toFixed(4)} collateral/yr expected` })
      if (mode.proposes && adapter.propose) {
        const p = await adapter.propose(actx, decision, read, runId)
        if (p.actions) out.actions.splice(out.actions.length - decision.actions.length, decision.actions.length, ...p.actions)
        recordDecision = { ...recordDecision, ...p.decisionPatch }
        Object.assign(out, p.result)
        ctx.onProgress?.({ type: 'decided', runId, summary: p.summary })
      } else if (!mode.sends) {
        if (mode.name === 'paused') {
          out.paused = true
          recordDecision = { ...recordDecision, paused: true }
        }
        ctx.onProgress?.({ type: 'decided', runId, summary: mode.note ?? `mode ${mode.name}: nothing sent` })
      } else {
        const planned = out.actions.length
        const executed = await adapter.execute(actx, decision, read, sessionFor)
        out.actions.splice(planned - decision.actions.length, decision.actions.length, ...executed.actions)
        for (const a of executed.actions) if (a.txHash) ctx.onProgress?.({ type: 'sent', runId, index: a.index, description: a.description, txHash: a.txHash })
        sent ||= executed.sent
        if (executed.error !== undefined) out.error = errorSummary(executed.error)
        if (sent && !out.error && adapter.verify) {
          const v = await adapter.verify(actx, plan, read)
          out.verified = v.verified
          Object.assign(out, v.record)
          if (Array.isArray(v.record.allocations)) out.allocations = v.record.allocations as AllocationRow[]
        }
      }
    }
    out.actions = out.actions.map((a, index) => ({ ...a, index }))
    // The adapter's report joins the result; its `decision` part joins the recorded decision only.
    const { decision: reportDecision, ...report } = adapter.report ? await adapter.report(actx, { read, sent, decision }) : {}
    Object.assign(out, report)
    if (reportDecision && typeof reportDecision === 'object') recordDecision = { ...recordDecision, ...reportDecision }
    out.status = out.error ? 'failed' : sent ? 'succeeded' : 'skipped'
    await ctx.runs.finish(runId, { ...common, decision: recordDecision, status: out.status, finishedAt: ctx.clock(), actions: out.actions, allocations: out.allocations, ...(out.error ? { error: out.error } : {}) })
    return out
  } catch (e) {
    const error = errorSummary(e)
    out.actions = out.actions.map((a, index) => ({ ...a, index }))
    // Another run holds the signer's lock, the network is above the policy's gas cap, or the chain sync has not caught
    // up yet (a first sync spreads over runs; nothing is planned on partial history): skip cleanly (nothing more sent).
    if (e instanceof LockBusyError || e instanceof GasPriceTooHighError || e instanceof SyncBehindError) {
      const decision: Decision | undefined = e instanceof GasPriceTooHighError ? { kind: 'skip', reason: 'gasTooHigh', detail: e.shortMessage } : undefined
      ctx.logger.info('rebalance skipped', { runId, error })
      await ctx.runs.finish(runId, { status: 'skipped', finishedAt: ctx.clock(), error, actions: out.actions, allocations: out.allocations, ...(decision ? { decision } : {}) })
      return { ...out, status: 'skipped', error, ...(decision ? { decision } : {}) }
    }
    ctx.logger.error('rebalance run failed', { runId, protocol, error })
    await ctx.runs.finish(runId, { status: 'failed', finishedAt: ctx.clock(), error, actions: out.actions, allocations: out.allocations })
    return { ...out, status: 'failed', error }
  } finally {
    await pool?.close()
  }
}

/** Before/target rows per (position, service, operator): every pair planned or held now. */
export function allocationRows(universe: Universe, plan: Plan): AllocationRow[] {
  const rows: AllocationRow[] = []
  for (const pp of plan.positions) {
    const pos = universe.positions.find((p) => p.id === pp.position)
    const keys = new Set([...pp.targets.map((t) => `${t.service}|${t.operator}`), ...(pos?.allocations ?? []).map((a) => `${a.service}|${a.operator}`)])
    for (const key of [...keys].sort()) {
      const [service, operator] = key.split('|') as [string, string]
      const before = pos?.allocations.find((a) => a.service === service && a.operator === operator)?.stake ?? 0n
      const target = pp.targets.find((t) => t.service === service && t.operator === operator)?.stake ?? 0n
      rows.push({ position: pp.position, service, operator, before, target })
    }
  }
  return rows
}

/** The rows with the stake read after sending. */
export function withAfter(rows: AllocationRow[], after: Universe): AllocationRow[] {
  return rows.map((r) => {
    const pos = after.positions.find((p) => p.id === r.position)
    return { ...r, after: pos?.allocations.find((a) => a.service === r.service && a.operator === r.operator)?.stake ?? 0n }
  })
}

export type { AdapterRead }
