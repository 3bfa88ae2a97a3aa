/**
 * Use case `rebalance`: read → score → plan → diff → check roles → simulate → send exactly once → confirm →
 * re-read and verify → record. Modes: `dry-run` and `propose` never send.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorSummary } from '../errors.js'
import { assertCuratorRoles, buildCuratorCall } from '../protocols/symbiotic/buildCuratorCall.js'
import { GasPriceTooHighError } from '../execution/errors.js'
import { executeCalls } from '../execution/executeCalls.js'
import { type SignerSession, openSignerSession } from '../execution/signerSession.js'
import { simulateAsSafe, wrapWithRole } from '../chain/safe/execWithRole.js'
import { type ProposeBatchReturnType, proposalFiles, proposeBatch } from '../chain/safe/propose.js'
import { type DeriskRequest, type Plan, type Universe, planAllocation, scoreUniverse } from '../domain/index.js'
import { type Decision, diffPlan } from '../protocols/symbiotic/diff.js'
import { LockBusyError } from '../store/locks.js'
import { closeInterruptedRuns } from '../pipeline/interruptedRuns.js'
import { ROLE_NAMES } from '../protocols/symbiotic/roles.js'
import type { RecordedAction } from '../store/runs.js'
import type { AutopilotContext } from './context.js'
import { labeler, readUniverse } from './readUniverse.js'

/** One row of the before/after allocation table. */
export interface AllocationRow {
  position: string
  service: string
  operator: string
  before: bigint
  target: bigint
  after?: bigint
}

/** Result of a rebalance run. */
export interface RunRebalanceResult {
  runId: string
  status: 'succeeded' | 'skipped' | 'failed'
  decision?: Decision
  actions: RecordedAction[]
  allocations: AllocationRow[]
  /** True when, after sending, every (service, operator) stake on chain equals the plan exactly. */
  verified?: boolean
  /** True when calls were planned but not sent because rebalancing is paused (ctx.control). */
  paused?: boolean
  /** `propose` mode: the batch for the DAO's signers, and the files written (when `config.proposalsDir` is set). */
  proposal?: ProposeBatchReturnType & { files: string[] }
  error?: { name: string; message: string }
}

/** Options of a rebalance run. */
export interface RunRebalanceOptions {
  trigger?: string
  /** De-risk runs (slash response, deny list) ignore cooldown and the gain threshold. */
  force?: boolean
  /** De-risk orders (slash response): applied as forced moves by the planner; pair with `force: true`. */
  derisk?: DeriskRequest[]
}

/** Plans and (in autopilot mode) executes a rebalance; always records the run. */
export async function runRebalance(ctx: AutopilotContext, opts: RunRebalanceOptions = {}): Promise<RunRebalanceResult> {
  const startedAt = ctx.clock()
  const runId = `rebalance-${new Date(startedAt).toISOString()}-${randomUUID().slice(0, 8)}`
  await ctx.runs.start({ runId, kind: 'rebalance', protocol: 'symbiotic', trigger: opts.trigger ?? 'schedule', startedAt })
  const label = labeler(ctx)
  let actions: RecordedAction[] = []
  let allocations: AllocationRow[] = []
  let session: SignerSession | undefined
  const feeCap = BigInt(Math.round(ctx.policy.gas.maxFeePerGasGwei * 1e9))
  try {
    // Exactly once (docs/execution.md): hold the signer's nonce lock for the whole run, and first settle what earlier
    // runs left open (re-broadcast or close as superseded), so the read below already sees it. A busy lock skips the run.
    if (ctx.locks && ctx.account && ctx.policy.mode === 'autopilot' && !((await ctx.control?.isPaused()) ?? false)) {
      session = await openSignerSession({ client: ctx.client, account: ctx.account, intents: ctx.intents, locks: ctx.locks, runId, confirmations: ctx.config.confirmations, feeCap })
      await closeInterruptedRuns(ctx.runs, ctx.intents, session.resumed.interruptedRuns, runId)
    }
    // DAO mode: the Safe holds the curator roles, so its roles are the ones read and checked.
    const dao = ctx.config.dao
    const { universe, universeHash } = await readUniverse(ctx, dao?.safe)
    ctx.onProgress?.({ type: 'read', runId, blockNumber: universe.blockNumber, positions: universe.positions.length, operators: universe.operators.length, services: universe.services.length })
    const now = universe.timestamp
    const scores = scoreUniverse(universe, ctx.policy, { now })
    const plan = planAllocation(universe, scores, ctx.policy, { now, ...(opts.derisk?.length ? { derisk: opts.derisk } : {}) })
    allocations = allocationRows(universe, plan)
    // EigenLayer move runs share the kind but not the Symbiotic cooldown.
    const last = await ctx.runs.latest('rebalance', 'succeeded', { protocol: 'symbiotic' })
    const fees = await ctx.client.estimateFeesPerGas()
    const decision = diffPlan(universe, plan, ctx.policy, { now, lastRebalanceAt: last ? BigInt(Math.floor(last.startedAt / 1000)) : undefined, gasPriceWei: fees.maxFeePerGas, force: opts.force })
    const common = { chainId: universe.chainId, blockNumber: universe.blockNumber, universeHash, scores, plan, decision }
    if (decision.kind === 'skip') {
      ctx.onProgress?.({ type: 'decided', runId, summary: `skip (${decision.reason}): ${decision.detail}` })
      await ctx.runs.finish(runId, { ...common, status: 'skipped', finishedAt: ctx.clock(), actions: [], allocations })
      return { runId, status: 'skipped', decision, actions: [], allocations }
    }
    const calls = decision.actions.map((a) => buildCuratorCall(a, label))
    actions = decision.actions.map((a, index) => ({ index, kind: a.kind, description: calls[index]!.description, reasons: a.reasons, status: 'planned' as const }))
    ctx.onProgress?.({ type: 'decided', runId, summary: `${decision.actions.length} call(s), +${decision.gainPerYear.toFixed(4)} collateral/yr expected` })
    // The pause flag (webhook pause/resume) stops sending, like propose mode: the plan is still recorded.
    const paused = ctx.policy.mode === 'autopilot' && ((await ctx.control?.isPaused()) ?? false)
    if (ctx.policy.mode === 'propose') {
      // Prepare, do not send: the batch (Transaction Builder JSON + MultiSend) for the signers, with every reason.
      if (dao) assertCuratorRoles(decision.actions, universe.positions, dao.safe)
      const batch = proposeBatch(calls, { safe: dao?.safe, chainId: universe.chainId, createdAt: ctx.clock(), multiSendCallOnly: dao?.multiSendCallOnly, name: `restake-autopilot ${runId}`, explanations: actions, summary: `restake-autopilot run ${runId} at block ${universe.blockNumber}: ${calls.length} curator call(s), +${decision.gainPerYear.toFixed(4)} collateral/yr expected` })
      const files: string[] = []
      if (ctx.config.proposalsDir) {
        await mkdir(ctx.config.proposalsDir, { recursive: true })
        for (const f of proposalFiles(runId, batch)) {
          const path = join(ctx.config.proposalsDir, f.name)
          await writeFile(path, f.content)
          files.push(path)
        }
      }
      const proposal = { ...batch, files }
      ctx.onProgress?.({ type: 'decided', runId, summary: `propose: ${calls.length} call(s) prepared for the Safe's signers${files.length ? ` in ${ctx.config.proposalsDir}` : ''}` })
      await ctx.runs.finish(runId, { ...common, decision: { ...decision, proposal: { files, batch: batch.batch, multiSend: batch.multiSend } }, status: 'skipped', finishedAt: ctx.clock(), actions, allocations })
      return { runId, status: 'skipped', decision, actions, allocations, proposal }
    }
    if (ctx.policy.mode !== 'autopilot' || paused) {
      if (paused) ctx.onProgress?.({ type: 'decided', runId, summary: 'paused: the planned calls are recorded, not sent' })
      await ctx.runs.finish(runId, { ...common, ...(paused ? { decision: { ...decision, paused } } : {}), status: 'skipped', finishedAt: ctx.clock(), actions, allocations })
      return { runId, status: 'skipped', decision, actions, allocations, ...(paused ? { paused } : {}) }
    }
    if (!ctx.account) throw new Error('autopilot mode needs a signer account')
    assertCuratorRoles(decision.actions, universe.positions, dao?.safe ?? ctx.account.address)
    // DAO mode: the bot's key only calls the Roles modifier, which checks the scope on-chain and has the Safe execute.
    const sent = dao ? calls.map((c) => wrapWithRole(c, { rolesModifier: dao.rolesModifier, roleKey: dao.roleKey, shouldRevert: true })) : calls
    if (dao) await simulateAsSafe(ctx.client, dao.safe, calls) // names the delegator's revert, which the modifier would hide
    const executed = await executeCalls({
      client: ctx.client,
      account: ctx.account,
      calls: sent,
      intents: ctx.intents,
      runId,
      confirmations: ctx.config.confirmations,
      maxFeePerGas: feeCap,
      session,
      locks: ctx.locks,
      revertArgNames: ROLE_NAMES,
      onMined: (index, txHash, e) => {
        actions[index] = { ...actions[index]!, status: 'mined', txHash, blockNumber: e.blockNumber, gasUsed: e.gasUsed } // kept if a later call defers or fails
        ctx.onProgress?.({ type: 'sent', runId, index, description: sent[index]!.description, txHash })
      },
    })
    for (const e of executed) actions[e.index] = { ...actions[e.index]!, status: 'mined', txHash: e.txHash, blockNumber: e.blockNumber, gasUsed: e.gasUsed }
    // Verify: the chain now holds exactly the planned stakes.
    const after = (await readUniverse(ctx)).universe
    allocations = withAfter(allocations, after)
    const verified = allocations.every((r) => r.after === r.target)
    await ctx.runs.finish(runId, { ...common, status: 'succeeded', finishedAt: ctx.clock(), actions, allocations })
    return { runId, status: 'succeeded', decision, actions, allocations, verified }
  } catch (e) {
    const error = errorSummary(e)
    // Another run holds the signer's lock, or the network is above the policy's gas cap: skip cleanly (nothing more sent).
    if (e instanceof LockBusyError || e instanceof GasPriceTooHighError) {
      const decision: Decision | undefined = e instanceof GasPriceTooHighError ? { kind: 'skip', reason: 'gasTooHigh', detail: e.shortMessage } : undefined
      ctx.logger.info('rebalance skipped', { runId, error })
      await ctx.runs.finish(runId, { status: 'skipped', finishedAt: ctx.clock(), error, actions, allocations, ...(decision ? { decision } : {}) })
      return { runId, status: 'skipped', actions, allocations, error, ...(decision ? { decision } : {}) }
    }
    ctx.logger.error('rebalance run failed', { runId, error })
    await ctx.runs.finish(runId, { status: 'failed', finishedAt: ctx.clock(), error, actions, allocations })
    return { runId, status: 'failed', actions, allocations, error }
  } finally {
    await session?.close()
  }
}

function allocationRows(universe: Universe, plan: Plan): AllocationRow[] {
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

function withAfter(rows: AllocationRow[], after: Universe): AllocationRow[] {
  return rows.map((r) => {
    const pos = after.positions.find((p) => p.id === r.position)
    return { ...r, after: pos?.allocations.find((a) => a.service === r.service && a.operator === r.operator)?.stake ?? 0n }
  })
}
