/**
 * The page's data: turns the live state and the recorded runs into plain JSON (labels resolved, amounts
 * formatted from bigint with viem's formatUnits, fractions as numbers) so the browser only renders.
 */
import { formatUnits } from 'viem'
import { type Decision, type Plan, type PositionPlan, type ScoreTerm, short } from '../../shared/domain/index.js'
import { label as labelOf } from '../../shared/label.js'
import type { RecordedAction, RunRecord } from '../../shared/store/runs.js'
import { tokens } from '../format.js'
import type { LiveState } from './live.js'

/** A figure against the policy's limit (fractions; `limit` absent when the policy sets none). */
export interface RiskFigure {
  key: string
  label: string
  now: number
  planned?: number
  limit?: number
  /** How the numbers are shown: percent or a plain ratio. */
  unit: '%' | 'x' | 'index'
  explanation: string
}

/** One (service, operator) cell of a position's allocation. */
export interface AllocationCell {
  service: string
  serviceLabel: string
  operator: string
  operatorLabel: string
  stake: string
  stakeValue: number
  /** Stake ÷ the vault's active stake. */
  share: number
  planned?: string
  plannedValue?: number
}

/** A position (vault) as the page shows it. */
export interface PositionView {
  id: string
  label: string
  vault: string
  delegatorKind: string
  activeStake: string
  activeStakeValue: number
  allocated: string
  operators: { address: string; label: string; stake: string; share: number }[]
  services: { id: string; label: string; networkLimit: string; maxNetworkLimit: string; stake: string; share: number }[]
  cells: AllocationCell[]
  risk: RiskFigure[]
}

/** A score term for the page. */
export interface TermView {
  name: string
  value: string
  explanation: string
}

/** One run in the timeline. */
export interface RunView {
  runId: string
  kind: string
  status: string
  trigger: string
  startedAt: string
  startedAtMs: number
  blockNumber?: string
  summary: string
  actions: { index: number; description: string; status: string; txHash?: string; gasUsed?: string; reasons: string[] }[]
  error?: string
}

/** Everything the page renders. */
export interface DashboardState {
  generatedAt: string
  token: string
  chain?: { chainId: number; blockNumber: string; timestamp: string }
  policy?: { mode: string; slashResponse: string; riskBudget: number; maxCompoundedSlashProbability: number; leverageCap: number; perOperator: number; perService: number; minOperatorsPerService: number }
  positions: PositionView[]
  services: { id: string; label: string; rewardRate: number; slashProbability: number; severity: number; contractFactor: number; expectedLoss: number; operators: number; slashes: number; score: number; band: string; terms: TermView[] }[]
  operators: { address: string; label: string; services: number; netYield: number; compoundedSlashProbability: number; expectedLoss: number; concentration: number; bestNetValue: number; stake: string; stakeValue: number; score: number; band: string; terms: TermView[] }[]
  slashes: { time: string; blockNumber: string; txHash: string; service: string; operator: string; vault: string; amount: string; fraction: number }[]
  runs: RunView[]
  /** Σ over services of each operator's stake, per rebalance run (oldest first) and now. */
  allocationHistory: { operators: string[]; points: { t: number; label: string; values: Record<string, number> }[] }
  warnings: string[]
  errors: { live?: string; runs?: string }
}

const num = (wei: bigint) => Number(formatUnits(wei, 18))
const frac = (a: bigint, b: bigint) => (b === 0n ? 0 : Number((a * 10n ** 12n) / b) / 1e12)

function termView(t: ScoreTerm): TermView {
  const v = t.unit === '%/yr' ? `${(t.value * 100).toFixed(3)} %/yr` : t.unit === 'fraction' ? `${(t.value * 100).toFixed(2)} %` : t.unit === 'years' ? `${t.value.toFixed(2)} yr` : t.unit === 'x' ? `${t.value.toFixed(3)}×` : `${Number(t.value.toFixed(3))}`
  return { name: t.name, value: v, explanation: t.explanation }
}

/**
 * Replaces the short ids the domain writes in reasons (`0xabcd…1234`) by their labels, where the short form
 * names exactly one labelled address or subnetwork.
 */
export function relabeler(labels: Record<string, string>): (text: string) => string {
  const byShort = new Map<string, string | null>()
  for (const [k, v] of Object.entries(labels)) {
    if (!/^0x[0-9a-f]{40}([0-9a-f]{24})?$/i.test(k)) continue
    const sh = short(k).toLowerCase()
    byShort.set(sh, byShort.has(sh) && byShort.get(sh) !== v ? null : v)
  }
  if (byShort.size === 0) return (t) => t
  return (text) => text.replace(/0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}/g, (m) => byShort.get(m.toLowerCase()) ?? m)
}

/** The timeline entry of a run record. */
export function runView(r: RunRecord, label: (k: string) => string, relabel: (text: string) => string = (t) => t): RunView {
  const d = r.decision as (Decision & { paused?: boolean }) | { events?: { kind: string; operator?: string; subnetwork?: string; outcome?: string }[]; derisk?: { status: string; txHashes?: string[] } } | undefined
  let summary: string = r.status
  const eigen = eigenLayerSummary(r.decision)
  if (r.error) summary = `${r.error.name}: ${r.error.message.split('\n')[0]}`
  else if (eigen) summary = eigen
  else if (r.kind === 'watch') {
    const events = (d as { events?: { kind: string; operator?: string; subnetwork?: string; outcome?: string }[] } | undefined)?.events ?? []
    const derisk = (d as { derisk?: { status: string; txHashes?: string[] } } | undefined)?.derisk
    const slashes = events.filter((e) => e.kind === 'Slash' || e.kind === 'RequestSlash')
    summary = `${events.length} event(s)${slashes.length ? `: ${slashes.map((e) => `${e.kind} of ${label(e.operator ?? '')} by ${label(e.subnetwork ?? '')} (${e.outcome ?? '…'})`).join('; ')}` : ''}${derisk ? `; de-risk run ${derisk.status}, ${derisk.txHashes?.length ?? 0} tx` : ''}`
  } else if (d && 'kind' in d && d.kind === 'skip') summary = `skip (${d.reason}): ${d.detail}`
  else if (d && 'kind' in d && d.kind === 'act') summary = `${d.actions.length} call(s)${d.derisk ? ' — de-risk' : ''}, expected +${(d.gainPerYear / 1e18).toFixed(4)}/yr${d.paused ? ' (paused: not sent)' : ''}`
  return {
    runId: r.runId,
    kind: r.kind,
    status: r.status,
    trigger: r.trigger,
    startedAt: new Date(r.startedAt).toISOString(),
    startedAtMs: r.startedAt,
    ...(r.blockNumber !== undefined ? { blockNumber: r.blockNumber.toString() } : {}),
    summary: relabel(summary),
    actions: (r.actions ?? []).map((a: RecordedAction) => ({ index: a.index, description: a.description, status: a.status, reasons: a.reasons.map(relabel), ...(a.txHash ? { txHash: a.txHash } : {}), ...(a.gasUsed !== undefined ? { gasUsed: a.gasUsed.toString() } : {}) })),
    ...(r.error ? { error: `${r.error.name}: ${r.error.message}` } : {}),
  }
}

/** One line for an EigenLayer rebalance (its decision carries `eigenlayer.moves`), or undefined for other runs. */
export function eigenLayerSummary(decision: unknown): string | undefined {
  const el = (decision as { eigenlayer?: { moves?: { status?: string; note?: string }[]; exits?: unknown[]; resumed?: unknown[] } } | undefined)?.eigenlayer
  if (!el || typeof el !== 'object') return undefined
  const moves = Array.isArray(el.moves) ? el.moves : []
  const counts = new Map<string, number>()
  for (const m of moves) counts.set(m.status ?? '?', (counts.get(m.status ?? '?') ?? 0) + 1)
  const parts = [`${moves.length} move(s)${counts.size ? ` (${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}`]
  if (Array.isArray(el.exits) && el.exits.length) parts.push(`${el.exits.length} exit(s)`)
  if (Array.isArray(el.resumed) && el.resumed.length) parts.push(`${el.resumed.length} resumed`)
  const note = moves.find((m) => typeof m.note === 'string')?.note
  const d = decision as { kind?: string; reason?: string; detail?: string }
  const head = d.kind === 'skip' ? `skip (${d.reason}): ${d.detail}` : `EigenLayer: ${parts.join(', ')}`
  return note && d.kind !== 'skip' ? `${head} — ${note}` : head
}

/** Allocation per operator after each rebalance run (Σ over services; `after` when sent, else the stake before). */
function allocationHistory(runs: RunRecord[], live: LiveState | undefined, label: (k: string) => string): DashboardState['allocationHistory'] {
  const points: DashboardState['allocationHistory']['points'] = []
  const ops = new Set<string>()
  for (const r of [...runs].filter((x) => x.kind === 'rebalance' && Array.isArray(x.allocations)).sort((a, b) => a.startedAt - b.startedAt)) {
    const rows = r.allocations as { operator: string; before: bigint; target: bigint; after?: bigint }[]
    if (rows.length === 0) continue
    // A run that sent moved the stake to `after` (verified on chain); any other left it at `before`.
    const start: Record<string, number> = {}
    const end: Record<string, number> = {}
    for (const row of rows) {
      const op = label(row.operator)
      ops.add(op)
      start[op] = (start[op] ?? 0) + num(row.before)
      end[op] = (end[op] ?? 0) + num(r.status === 'succeeded' ? (row.after ?? row.target) : row.before)
    }
    points.push({ t: r.startedAt, label: `${r.runId} (before)`, values: start })
    if (r.status === 'succeeded') points.push({ t: r.finishedAt ?? r.startedAt, label: r.runId, values: end })
  }
  if (live) {
    const now: Record<string, number> = {}
    for (const p of live.universe.positions)
      for (const a of p.allocations) {
        const op = label(a.operator)
        ops.add(op)
        now[op] = (now[op] ?? 0) + num(a.stake)
      }
    points.push({ t: live.readAt, label: `now (block ${live.universe.blockNumber})`, values: now })
  }
  const operators = [...ops].sort()
  for (const p of points) for (const op of operators) p.values[op] ??= 0
  return { operators, points }
}

function riskFigures(pos: LiveState['universe']['positions'][number], live: LiveState, pp: PositionPlan | undefined): RiskFigure[] {
  const { scores, policy } = live
  const pair = new Map(scores.pairs.map((x) => [`${x.service}|${x.operator}`, x]))
  const active = pos.activeStake
  let loss = 0
  let survive = 1
  const perOp = new Map<string, { stake: bigint; survive: number }>()
  const perSvc = new Map<string, bigint>()
  for (const a of pos.allocations) {
    if (a.stake === 0n) continue
    const s = pair.get(`${a.service.toLowerCase()}|${a.operator.toLowerCase()}`)
    const p = s?.slashProbabilityPerYear ?? 0
    loss += (s?.expectedLossPerYear ?? 0) * num(a.stake)
    survive *= 1 - p
    const o = perOp.get(a.operator) ?? { stake: 0n, survive: 1 }
    perOp.set(a.operator, { stake: o.stake + a.stake, survive: o.survive * (1 - p) })
    perSvc.set(a.service, (perSvc.get(a.service) ?? 0n) + a.stake)
  }
  const maxOpP = Math.max(0, ...[...perOp.values()].map((o) => 1 - o.survive))
  const maxOpShare = Math.max(0, ...[...perOp.values()].map((o) => frac(o.stake, active)))
  const maxSvcShare = Math.max(0, ...[...perSvc.values()].map((v) => frac(v, active)))
  const leverage = frac(pos.services.reduce((acc, s) => acc + (s.networkLimit < s.maxNetworkLimit ? s.networkLimit : s.maxNetworkLimit), 0n), active)
  const hhi = scores.positions.find((x) => x.position === pos.id)?.herfindahl ?? 0
  const activeNum = num(active)
  return [
    { key: 'expectedLoss', label: 'Expected loss', now: activeNum === 0 ? 0 : loss / activeNum, ...(pp ? { planned: pp.expectedAnnualLoss / 1e18 / (activeNum || 1) } : {}), limit: policy.riskBudget, unit: '%', explanation: 'Σ p·sev·h·stake ÷ active stake, per year; the policy’s riskBudget' },
    { key: 'compounded', label: 'Compounded slash probability (worst operator)', now: maxOpP, ...(pp ? { planned: pp.maxOperatorCompoundedSlashProbability } : {}), limit: policy.maxCompoundedSlashProbability, unit: '%', explanation: '1 − Π(1 − p) over the services an operator secures for this vault; the policy’s maxCompoundedSlashProbability' },
    { key: 'vaultCompounded', label: 'P(vault slashed at least once / yr)', now: 1 - survive, ...(pp ? { planned: pp.compoundedSlashProbability } : {}), unit: '%', explanation: '1 − Π(1 − p) over every pair holding stake (slashing amplification)' },
    { key: 'operatorShare', label: 'Largest operator share', now: maxOpShare, limit: policy.caps.perOperator, unit: '%', explanation: 'stake one operator secures across services ÷ active stake; caps.perOperator' },
    { key: 'serviceShare', label: 'Largest service share', now: maxSvcShare, limit: policy.caps.perService, unit: '%', explanation: 'stake allocated to one service ÷ active stake; caps.perService' },
    { key: 'herfindahl', label: 'Concentration (Herfindahl)', now: hhi, ...(pp ? { planned: pp.herfindahl } : {}), unit: 'index', explanation: 'Σ (operator share of our allocation)²: 1 = one operator, 1/n = even over n' },
    { key: 'leverage', label: 'Restaking leverage', now: leverage, ...(pp ? { planned: pp.leverage } : {}), limit: policy.leverageCap, unit: 'x', explanation: 'Σ network limits ÷ active stake; the policy’s leverageCap' },
  ]
}

/** Builds the page's state from the live read (if it succeeded) and the recorded runs. */
export function buildDashboardState(p: { live?: LiveState; liveError?: string; runs: RunRecord[]; runsError?: string; labels?: Record<string, string> }): DashboardState {
  const { live } = p
  const labels = { ...(p.labels ?? {}), ...(live?.labels ?? {}) }
  const label = (k: string) => (k ? labelOf(labels, k) : '—')
  const relabel = relabeler(labels)
  const runs = [...p.runs].sort((a, b) => b.startedAt - a.startedAt)
  const timeline = runs.filter((r) => r.kind !== 'score').map((r) => runView(r, label, relabel))
  const lastScore = runs.find((r) => r.kind === 'score')
  if (lastScore) timeline.push(runView(lastScore, label, relabel))
  timeline.sort((a, b) => b.startedAtMs - a.startedAtMs)
  const state: DashboardState = {
    generatedAt: new Date().toISOString(),
    token: 'tokens',
    positions: [],
    services: [],
    operators: [],
    slashes: [],
    runs: timeline,
    allocationHistory: allocationHistory(runs, live, label),
    warnings: [],
    errors: { ...(p.liveError ? { live: p.liveError } : {}), ...(p.runsError ? { runs: p.runsError } : {}) },
  }
  if (!live) return state
  const { universe, scores, plan, policy } = live
  const collateral = universe.positions[0]?.collateral
  state.token = (collateral && labels[collateral.toLowerCase()]) || 'tokens'
  state.chain = { chainId: universe.chainId, blockNumber: universe.blockNumber.toString(), timestamp: new Date(Number(universe.timestamp) * 1000).toISOString() }
  state.policy = { mode: policy.mode, slashResponse: policy.slashResponse, riskBudget: policy.riskBudget, maxCompoundedSlashProbability: policy.maxCompoundedSlashProbability, leverageCap: policy.leverageCap, perOperator: policy.caps.perOperator, perService: policy.caps.perService, minOperatorsPerService: policy.minOperatorsPerService }
  state.warnings = [...(plan?.warnings ?? []), ...(live.planError ? [`the policy cannot be met now: ${live.planError.name}: ${live.planError.message.split('\n')[0]}`] : [])]
  const ourStake = new Map<string, bigint>()
  for (const pos of universe.positions) for (const a of pos.allocations) ourStake.set(a.operator.toLowerCase(), (ourStake.get(a.operator.toLowerCase()) ?? 0n) + a.stake)

  state.positions = universe.positions.map((pos) => {
    const pp = plan?.positions.find((x) => x.position === pos.id)
    const cells: AllocationCell[] = []
    const keys = new Set([...pos.allocations.filter((a) => a.stake > 0n).map((a) => `${a.service}|${a.operator}`), ...(pp?.targets ?? []).filter((t) => t.stake > 0n).map((t) => `${t.service}|${t.operator}`)])
    for (const key of [...keys].sort()) {
      const [service, operator] = key.split('|') as [string, string]
      const stake = pos.allocations.find((a) => a.service === service && a.operator === operator)?.stake ?? 0n
      const planned = pp?.targets.find((t) => t.service === service && t.operator === operator)?.stake
      cells.push({ service, serviceLabel: label(service), operator, operatorLabel: label(operator), stake: tokens(stake), stakeValue: num(stake), share: frac(stake, pos.activeStake), ...(planned !== undefined ? { planned: tokens(planned), plannedValue: num(planned) } : {}) })
    }
    const opTotals = new Map<string, bigint>()
    const svcTotals = new Map<string, bigint>()
    for (const a of pos.allocations) {
      opTotals.set(a.operator, (opTotals.get(a.operator) ?? 0n) + a.stake)
      svcTotals.set(a.service, (svcTotals.get(a.service) ?? 0n) + a.stake)
    }
    const allocated = [...svcTotals.values()].reduce((x, y) => x + y, 0n)
    return {
      id: pos.id,
      label: pos.label,
      vault: pos.vault,
      delegatorKind: pos.delegatorKind,
      activeStake: tokens(pos.activeStake),
      activeStakeValue: num(pos.activeStake),
      allocated: tokens(allocated),
      operators: [...opTotals].filter(([, v]) => v > 0n).sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0)).map(([op, v]) => ({ address: op, label: label(op), stake: tokens(v), share: frac(v, pos.activeStake) })),
      services: pos.services.map((s) => ({ id: s.service, label: label(s.service), networkLimit: tokens(s.networkLimit), maxNetworkLimit: tokens(s.maxNetworkLimit), stake: tokens(svcTotals.get(s.service) ?? 0n), share: frac(svcTotals.get(s.service) ?? 0n, pos.activeStake) })),
      cells,
      risk: riskFigures(pos, live, pp),
    }
  })
  state.services = scores.services.map((s) => ({ id: s.service, label: s.label, rewardRate: s.rewardRatePerYear, slashProbability: s.slashProbabilityPerYear, severity: s.severity, contractFactor: s.contractFactor, expectedLoss: s.expectedLossPerYear, operators: s.operatorCount, slashes: s.slashEvents, score: s.score, band: s.band, terms: s.terms.map(termView) }))
  state.operators = scores.operators.map((o) => {
    const pairs = scores.pairs.filter((x) => x.operator === o.operator)
    const stake = ourStake.get(o.operator.toLowerCase()) ?? 0n
    return {
      address: o.operator,
      label: o.label,
      services: o.serviceCount,
      netYield: Math.max(0, ...pairs.map((x) => x.netYieldPerYear)),
      compoundedSlashProbability: o.compoundedSlashProbability,
      expectedLoss: o.expectedLossPerYear,
      concentration: o.concentration,
      bestNetValue: o.bestNetValuePerYear,
      stake: tokens(stake),
      stakeValue: num(stake),
      score: o.score,
      band: o.band,
      terms: o.terms.map(termView),
    }
  })
  state.slashes = universe.services
    .flatMap((s) => s.slashes)
    .sort((a, b) => (a.blockNumber > b.blockNumber ? -1 : a.blockNumber < b.blockNumber ? 1 : 0))
    .map((s) => ({ time: new Date(Number(s.timestamp) * 1000).toISOString(), blockNumber: s.blockNumber.toString(), txHash: s.txHash, service: label(s.service), operator: label(s.operator), vault: s.position ? label(s.position) : '—', amount: tokens(s.amount), fraction: frac(s.amount, s.stakeAtCapture) }))
  return state
}

/** Plan facts worth a line (exported for tests and the run detail). */
export function bindingLines(plan: Plan | undefined): string[] {
  return (plan?.binding ?? []).map((b) => b.message)
}
