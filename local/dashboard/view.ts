/**
 * The page's data: turns the live state and the recorded runs into plain JSON (labels resolved, amounts
 * formatted from bigint with viem's formatUnits, fractions as numbers) so the browser only renders.
 */
import { formatUnits } from 'viem'
import { type Decision, type Plan, type PlanSecurityFigures, type PolicyBand, type PositionPlan, type ScoreTerm, policyBands, short } from '../../shared/domain/index.js'
import type { WhatIfChange, WhatIfReturnType } from '../../shared/domain/whatif.js'
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
  /** `note`: the receipt was contradicted by the chain's state, or the chain could not confirm it (docs/execution.md). */
  actions: { index: number; description: string; status: string; txHash?: string; gasUsed?: string; reasons: string[]; note?: string }[]
  error?: string
}

/** Everything the page renders. */
export interface DashboardState {
  generatedAt: string
  token: string
  chain?: { chainId: number; blockNumber: string; timestamp: string }
  policy?: { mode: string; slashResponse: string; riskBudget: number; maxCompoundedSlashProbability: number; leverageCap: number; perOperator: number; perService: number; minOperatorsPerService: number; maxFeePerGasGwei: number }
  positions: PositionView[]
  /** `band` is the policy band (shared/domain/bands.ts): how close to a limit the curator set; `because` names it; `planNote` explains a plan that seems to disagree. `score` is the 0–100 risk score. */
  services: ({ id: string; label: string; rewardRate: number; slashProbability: number; severity: number; contractFactor: number; expectedLoss: number; operators: number; slashes: number; score: number; terms: TermView[] } & BandView)[]
  operators: ({
    address: string
    label: string
    services: number
    netYield: number
    compoundedSlashProbability: number
    expectedLoss: number
    concentration: number
    bestNetValue: number
    stake: string
    stakeValue: number
    score: number
    terms: TermView[]
  } & BandView)[]
  slashes: { time: string; blockNumber: string; txHash: string; service: string; operator: string; vault: string; amount: string; fraction: number }[]
  runs: RunView[]
  /** Σ over services of each operator's stake, per rebalance run (oldest first) and now. */
  allocationHistory: { operators: string[]; points: { t: number; label: string; values: Record<string, number> }[] }
  warnings: string[]
  errors: { live?: string; runs?: string }
  /** The latest rebalance run of each protocol when it failed (the page shows a red banner): named error, first line. */
  failedRuns: { runId: string; protocol: string; startedAt: string; error: string }[]
}

/** A policy band for the page. */
export interface BandView {
  band: string
  because: string
  planNote?: string
}

function bandView(b: PolicyBand | undefined): BandView {
  return b ? { band: b.band, because: b.because, ...(b.planNote ? { planNote: b.planNote } : {}) } : { band: 'low', because: 'not scored under the policy' }
}

const num = (wei: bigint) => Number(formatUnits(wei, 18))
const frac = (a: bigint, b: bigint) => (b === 0n ? 0 : Number((a * 10n ** 12n) / b) / 1e12)

function termView(t: ScoreTerm): TermView {
  const v =
    t.unit === '%/yr'
      ? `${(t.value * 100).toFixed(3)} %/yr`
      : t.unit === 'fraction'
        ? `${(t.value * 100).toFixed(2)} %`
        : t.unit === 'years'
          ? `${t.value.toFixed(2)} yr`
          : t.unit === 'x'
            ? `${t.value.toFixed(3)}×`
            : `${Number(t.value.toFixed(3))}`
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

/** One line for a run that decided to act: calls, expected gain in token units and bps/yr, estimated gas in ETH. */
export function actSummary(d: Extract<Decision, { kind: 'act' }> & { paused?: boolean }, token = 'tokens'): string {
  const gas = typeof d.gasCostWei === 'bigint' ? d.gasCostWei : BigInt(String(d.gasCostWei ?? 0))
  return `${d.actions.length} call(s)${d.derisk ? ' — de-risk' : ''}, expected +${(d.gainPerYear / 1e18).toFixed(4)} ${token}/yr (${d.netGainBpsPerYear >= 0 ? '+' : ''}${d.netGainBpsPerYear.toFixed(1)} bps/yr net of gas), est. gas ${ethAmount(gas)}${d.paused ? ' (paused: not sent)' : ''}`
}

/** Wei of ETH (gas) as "0.000123 ETH" (6 decimals, exact truncation; dust shows as < 0.000001 ETH). */
export function ethAmount(wei: bigint): string {
  if (wei > 0n && wei < 10n ** 12n) return '< 0.000001 ETH'
  const [i, f = ''] = formatUnits(wei, 18).split('.')
  return `${i}.${(`${f}000000`).slice(0, 6)} ETH`
}

/** The timeline entry of a run record. */
export function runView(r: RunRecord, label: (k: string) => string, relabel: (text: string) => string = (t) => t, token = 'tokens'): RunView {
  const d = r.decision as (Decision & { paused?: boolean }) | { events?: { kind: string; operator?: string; subnetwork?: string; outcome?: string }[]; derisk?: { status: string; txHashes?: string[] } } | undefined
  let summary: string = r.status
  const eigen = eigenLayerSummary(r.decision)
  if (r.error) summary = `${r.error.name}: ${r.error.message.split('\n')[0]}`
  else if (eigen) summary = eigen
  else if (r.kind === 'watch') {
    const events = (d as { events?: { kind: string; operator?: string; subnetwork?: string; outcome?: string }[] } | undefined)?.events ?? []
    const derisk = (d as { derisk?: { status: string; txHashes?: string[] } } | undefined)?.derisk
    const slashes = events.filter((e) => e.kind === 'Slash' || e.kind === 'RequestSlash' || e.kind === 'OperatorSlashed')
    summary = `${events.length} event(s)${slashes.length ? `: ${slashes.map((e) => `${e.kind} of ${label(e.operator ?? '')} by ${label(e.subnetwork ?? '')} (${e.outcome ?? '…'})`).join('; ')}` : ''}${derisk ? `; de-risk run ${derisk.status}, ${derisk.txHashes?.length ?? 0} tx` : ''}`
  } else if (d && 'kind' in d && d.kind === 'skip') summary = `skip (${d.reason}): ${d.detail}`
  else if (d && 'kind' in d && d.kind === 'act') summary = actSummary(d, token)
  return {
    runId: r.runId,
    kind: r.kind,
    status: r.status,
    trigger: r.trigger,
    startedAt: new Date(r.startedAt).toISOString(),
    startedAtMs: r.startedAt,
    ...(r.blockNumber !== undefined ? { blockNumber: r.blockNumber.toString() } : {}),
    summary: relabel(summary),
    actions: (r.actions ?? []).map((a: RecordedAction) => ({
      index: a.index,
      description: a.description,
      status: a.status,
      reasons: a.reasons.map(relabel),
      ...(a.txHash ? { txHash: a.txHash } : {}),
      ...(a.gasUsed !== undefined ? { gasUsed: a.gasUsed.toString() } : {}),
      ...(a.note ? { note: relabel(a.note) } : {}),
    })),
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
  const leverage = frac(
    pos.services.reduce((acc, s) => acc + (s.networkLimit < s.maxNetworkLimit ? s.networkLimit : s.maxNetworkLimit), 0n),
    active,
  )
  const hhi = scores.positions.find((x) => x.position === pos.id)?.herfindahl ?? 0
  const activeNum = num(active)
  return [
    {
      key: 'expectedLoss',
      label: 'Expected loss',
      now: activeNum === 0 ? 0 : loss / activeNum,
      ...(pp ? { planned: pp.expectedAnnualLoss / 1e18 / (activeNum || 1) } : {}),
      limit: policy.riskBudget,
      unit: '%',
      explanation: 'Σ p·sev·h·stake ÷ active stake, per year; the policy’s riskBudget',
    },
    {
      key: 'compounded',
      label: 'Worst operator: P(slashed)/yr in this vault',
      now: maxOpP,
      ...(pp ? { planned: pp.maxOperatorCompoundedSlashProbability } : {}),
      limit: policy.maxCompoundedSlashProbability,
      unit: '%',
      explanation: 'the largest, over operators, of 1 − Π(1 − p) over the services the operator secures for this vault; the policy’s maxCompoundedSlashProbability',
    },
    {
      key: 'vaultCompounded',
      label: 'P(vault slashed at least once / yr)',
      now: 1 - survive,
      ...(pp ? { planned: pp.compoundedSlashProbability } : {}),
      unit: '%',
      explanation: '1 − Π(1 − p) over every pair holding stake (slashing amplification)',
    },
    { key: 'operatorShare', label: 'Largest operator share', now: maxOpShare, limit: policy.caps.perOperator, unit: '%', explanation: 'stake one operator secures across services ÷ active stake; caps.perOperator' },
    { key: 'serviceShare', label: 'Largest service share', now: maxSvcShare, limit: policy.caps.perService, unit: '%', explanation: 'stake allocated to one service ÷ active stake; caps.perService' },
    { key: 'herfindahl', label: 'Concentration (Herfindahl)', now: hhi, ...(pp ? { planned: pp.herfindahl } : {}), unit: 'index', explanation: 'Σ (operator share of our allocation)²: 1 = one operator, 1/n = even over n' },
    { key: 'leverage', label: 'Restaking leverage', now: leverage, ...(pp ? { planned: pp.leverage } : {}), limit: policy.leverageCap, unit: 'x', explanation: 'Σ network limits ÷ active stake; the policy’s leverageCap' },
    ...tailRiskFigures(pp, policy),
    ...securityFigures(live.plan?.riskFigures.security),
  ]
}

/** Network security slack γ (docs/risk.md) next to minSecuritySlack, when both now and planned are bounded. */
function securityFigures(sec: PlanSecurityFigures | undefined): RiskFigure[] {
  if (!sec || sec.currentMinSlack === null || sec.minSlack === null) return []
  return [
    {
      key: 'securitySlack',
      label: 'Security slack γ (network, weakest operator; the limit is a minimum)',
      now: sec.currentMinSlack,
      planned: sec.minSlack,
      limit: sec.requiredSlack,
      unit: 'x',
      explanation: 'min over operators of 1/I − 1, I = Σ π/(α·σ) over the services it secures; the policy’s minSecuritySlack (below it: no new stake)',
    },
  ]
}

/** MaxLoss and one-year VaR 99 % of the plan (docs/risk.md), next to maxLossFraction / var99Fraction; none without a plan. */
function tailRiskFigures(pp: PositionPlan | undefined, policy: LiveState['policy']): RiskFigure[] {
  const t = pp?.tail
  if (!pp || !t) return []
  const f = (v: bigint) => frac(v, pp.availableStake)
  return [
    {
      key: 'maxLoss',
      label: 'Max loss (every service slashes at once)',
      now: f(t.currentMaxLoss),
      planned: f(t.maxLoss),
      limit: policy.maxLossFraction,
      unit: '%',
      explanation: 'Σ min(1, sev·h)·stake ÷ stake; the policy’s maxLossFraction',
    },
    {
      key: 'var99',
      label: 'Slashing VaR 99 %, one year',
      now: f(t.currentVar99),
      planned: f(t.var99),
      limit: policy.var99Fraction,
      unit: '%',
      explanation: 'loss not exceeded in 99 % of years (risk groups fully correlated) ÷ stake; the policy’s var99Fraction',
    },
  ]
}

/** The newest rebalance run of each protocol, when it failed (runs sorted newest first; no protocol = Symbiotic). */
export function failedRuns(runs: RunRecord[], relabel: (text: string) => string = (t) => t): DashboardState['failedRuns'] {
  const latest = new Map<string, RunRecord>()
  for (const r of runs) if (r.kind === 'rebalance' && r.status !== 'running' && !latest.has(r.protocol ?? 'symbiotic')) latest.set(r.protocol ?? 'symbiotic', r)
  return [...latest]
    .filter(([, r]) => r.status === 'failed' && r.error !== undefined)
    .map(([protocol, r]) => ({ runId: r.runId, protocol, startedAt: new Date(r.startedAt).toISOString(), error: relabel(`${r.error?.name}: ${r.error?.message.split('\n')[0]}`) }))
}

/** Builds the page's state from the live read (if it succeeded) and the recorded runs. */
export function buildDashboardState(p: { live?: LiveState; liveError?: string; runs: RunRecord[]; runsError?: string; labels?: Record<string, string> }): DashboardState {
  const { live } = p
  const labels = { ...(p.labels ?? {}), ...(live?.labels ?? {}) }
  const label = (k: string) => (k ? labelOf(labels, k) : '—')
  const relabel = relabeler(labels)
  const runs = [...p.runs].sort((a, b) => b.startedAt - a.startedAt)
  const collateral = live?.universe.positions[0]?.collateral
  const token = (collateral && labels[collateral.toLowerCase()]) || 'tokens'
  const timeline = runs.filter((r) => r.kind !== 'score').map((r) => runView(r, label, relabel, token))
  const lastScore = runs.find((r) => r.kind === 'score')
  if (lastScore) timeline.push(runView(lastScore, label, relabel, token))
  timeline.sort((a, b) => b.startedAtMs - a.startedAtMs)
  const state: DashboardState = {
    generatedAt: new Date().toISOString(),
    token,
    positions: [],
    services: [],
    operators: [],
    slashes: [],
    runs: timeline,
    allocationHistory: allocationHistory(runs, live, label),
    warnings: [],
    errors: { ...(p.liveError ? { live: p.liveError } : {}), ...(p.runsError ? { runs: p.runsError } : {}) },
    failedRuns: failedRuns(runs, relabel),
  }
  if (!live) return state
  const { universe, scores, plan, policy } = live
  state.chain = { chainId: universe.chainId, blockNumber: universe.blockNumber.toString(), timestamp: new Date(Number(universe.timestamp) * 1000).toISOString() }
  state.policy = {
    mode: policy.mode,
    slashResponse: policy.slashResponse,
    riskBudget: policy.riskBudget,
    maxCompoundedSlashProbability: policy.maxCompoundedSlashProbability,
    leverageCap: policy.leverageCap,
    perOperator: policy.caps.perOperator,
    perService: policy.caps.perService,
    minOperatorsPerService: policy.minOperatorsPerService,
    maxFeePerGasGwei: policy.gas.maxFeePerGasGwei,
  }
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
      cells.push({
        service,
        serviceLabel: label(service),
        operator,
        operatorLabel: label(operator),
        stake: tokens(stake),
        stakeValue: num(stake),
        share: frac(stake, pos.activeStake),
        ...(planned !== undefined ? { planned: tokens(planned), plannedValue: num(planned) } : {}),
      })
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
      delegatorKind: pos.kind,
      activeStake: tokens(pos.activeStake),
      activeStakeValue: num(pos.activeStake),
      allocated: tokens(allocated),
      operators: [...opTotals]
        .filter(([, v]) => v > 0n)
        .sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0))
        .map(([op, v]) => ({ address: op, label: label(op), stake: tokens(v), share: frac(v, pos.activeStake) })),
      services: pos.services.map((s) => ({
        id: s.service,
        label: label(s.service),
        networkLimit: tokens(s.networkLimit),
        maxNetworkLimit: tokens(s.maxNetworkLimit),
        stake: tokens(svcTotals.get(s.service) ?? 0n),
        share: frac(svcTotals.get(s.service) ?? 0n, pos.activeStake),
      })),
      cells,
      risk: riskFigures(pos, live, pp),
    }
  })
  const bands = policyBands({ universe, scores, policy, ...(plan ? { plan } : {}) })
  state.services = scores.services.map((s) => ({
    id: s.service,
    label: s.label,
    rewardRate: s.rewardRatePerYear,
    slashProbability: s.slashProbabilityPerYear,
    severity: s.severity,
    contractFactor: s.contractFactor,
    expectedLoss: s.expectedLossPerYear,
    operators: s.operatorCount,
    slashes: s.slashEvents,
    score: s.score,
    ...bandView(bands.services[s.service.toLowerCase()]),
    terms: s.terms.map(termView),
  }))
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
      ...bandView(bands.operators[o.operator.toLowerCase()]),
      terms: o.terms.map(termView),
    }
  })
  state.slashes = universe.services
    .flatMap((s) => s.slashes)
    .sort((a, b) => (a.blockNumber > b.blockNumber ? -1 : a.blockNumber < b.blockNumber ? 1 : 0))
    .map((s) => ({
      time: new Date(Number(s.timestamp) * 1000).toISOString(),
      blockNumber: s.blockNumber.toString(),
      txHash: s.txHash,
      service: label(s.service),
      operator: label(s.operator),
      vault: s.position ? label(s.position) : '—',
      amount: tokens(s.amount),
      fraction: frac(s.amount, s.stakeAtCapture),
    }))
  return state
}

/** Plan facts worth a line (exported for tests and the run detail). */
export function bindingLines(plan: Plan | undefined): string[] {
  return (plan?.binding ?? []).map((b) => b.message)
}

/** A what-if for the page: figures before → after (fractions or token amounts as text) and the moves with labels. */
export interface WhatIfView {
  description: string
  token: string
  errors: string[]
  figures: { key: string; label: string; before: string; after: string; limit?: string; over: boolean }[]
  moves: { position: string; service: string; operator: string; before: string; after: string; change: string }[]
}

/** Turns a what-if result into page JSON (labels from the live read, amounts in the collateral's units). */
export function whatIfView(r: WhatIfReturnType, live: LiveState): WhatIfView {
  const label = (k: string) => live.labels[k.toLowerCase()] ?? `${k.slice(0, 8)}…${k.slice(-4)}`
  const collateral = live.universe.positions[0]?.collateral
  const token = (collateral && live.labels[collateral.toLowerCase()]) || 'tokens'
  const pct = (v: number) => `${(v * 100).toFixed(v < 0.01 ? 3 : 2)} %`
  const show = (unit: string, v: number) => (!Number.isFinite(v) ? '—' : unit === 'fraction' ? pct(v) : unit === 'wei' ? `${(v / 1e18).toLocaleString('en-US', { maximumFractionDigits: 4 })} ${token}` : v.toFixed(3))
  return {
    description: r.description.replace(/0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}/g, (m) => relabeler(live.labels)(m)),
    token,
    errors: [
      ...(r.baseline.error ? [`today: ${r.baseline.error.name}: ${r.baseline.error.message.split('\n')[0]}`] : []),
      ...(r.scenario.error ? [`with the change: ${r.scenario.error.name}: ${r.scenario.error.message.split('\n')[0]}`] : []),
    ],
    figures: r.figures.map((f) => ({
      key: f.key,
      label: f.label,
      before: show(f.unit, f.before),
      after: show(f.unit, f.after),
      ...(f.limit !== undefined ? { limit: f.unit === 'fraction' ? pct(f.limit) : `${f.limit.toFixed(2)}×` } : {}),
      over: f.limit !== undefined && Number.isFinite(f.after) && f.after > f.limit + 1e-12,
    })),
    moves: r.moves.map((m) => ({
      position: label(m.position),
      service: label(m.service),
      operator: label(m.operator),
      before: tokens(m.before),
      after: tokens(m.after),
      change: `${m.after >= m.before ? '+' : '−'}${tokens(m.after >= m.before ? m.after - m.before : m.before - m.after)}`,
    })),
  }
}

/** The what-if change named by the page's query (`kind=slash&operator=…&fraction=0.2[&service=…]`, `kind=denyService&service=…`, `kind=denyOperator&operator=…`). */
export function whatIfChangeFromQuery(q: (k: string) => string | undefined): WhatIfChange | { error: string } {
  const hex = (v: string | undefined) => (v && /^0x[0-9a-fA-F]+$/.test(v) ? (v.toLowerCase() as `0x${string}`) : undefined)
  const kind = q('kind')
  if (kind === 'slash') {
    const operator = hex(q('operator'))
    const fraction = Number(q('fraction'))
    if (!operator) return { error: 'operator must be an address' }
    if (!(fraction > 0 && fraction <= 1)) return { error: 'fraction must be in (0, 1]' }
    const service = hex(q('service'))
    return { kind: 'slash', operator, fraction, ...(service ? { service } : {}) }
  }
  if (kind === 'denyService') return hex(q('service')) ? { kind: 'denyService', service: hex(q('service'))! } : { error: 'service must be a subnetwork id' }
  if (kind === 'denyOperator') return hex(q('operator')) ? { kind: 'denyOperator', operator: hex(q('operator'))! } : { error: 'operator must be an address' }
  return { error: 'kind must be slash, denyService or denyOperator (an edited policy is POSTed)' }
}

/** The drill-down page of one operator or one service. */
export interface DetailView {
  kind: 'operator' | 'service'
  id: string
  label: string
  token: string
  band?: BandView & { score: number }
  /** Now: for an operator the services it is opted into, for a service the operators opted in; with our stake. */
  optIns: { id: string; label: string; slashProbability: number; netYield: number; rewardRate: number; ourStake: string }[]
  /** From the stored runs that carry scores (score and rebalance runs), oldest first; times are wall time, blocks chain time. */
  history: { at: string; block: string; runId: string; score: number; slashProbability: number; rewardRate?: number }[]
  /** Slashes read from the chain involving it; `ours` when the slashed stake was one of our vaults'. */
  slashes: { time: string; blockNumber: string; txHash: string; other: string; amount: string; fraction: number; ours: boolean }[]
  /** Σ of slashed amounts on our vaults (realised losses, read from chain), cumulative by chain time. */
  losses: { time: string; cumulative: string }[]
}

/** Builds the drill-down of `id` (an operator address or a service id) from the live read and the stored runs. */
export function detailView(kind: 'operator' | 'service', id: string, live: LiveState, runs: RunRecord[]): DetailView | undefined {
  const key = id.toLowerCase()
  const label = (k: string) => live.labels[k.toLowerCase()] ?? `${k.slice(0, 8)}…${k.slice(-4)}`
  const { universe, scores, policy, plan } = live
  const collateral = universe.positions[0]?.collateral
  const token = (collateral && live.labels[collateral.toLowerCase()]) || 'tokens'
  const bands = policyBands({ universe, scores, policy, ...(plan ? { plan } : {}) })
  const ourVaults = new Set(universe.positions.map((p) => p.id.toLowerCase()))
  const ourPair = new Map<string, bigint>()
  for (const p of universe.positions) for (const a of p.allocations) ourPair.set(`${a.service.toLowerCase()}|${a.operator.toLowerCase()}`, (ourPair.get(`${a.service.toLowerCase()}|${a.operator.toLowerCase()}`) ?? 0n) + a.stake)
  const pairs = scores.pairs.filter((x) => (kind === 'operator' ? x.operator : x.service).toLowerCase() === key)
  const subject = kind === 'operator' ? scores.operators.find((o) => o.operator.toLowerCase() === key) : scores.services.find((x) => x.service.toLowerCase() === key)
  if (!subject) return undefined
  const serviceRate = new Map(scores.services.map((x) => [x.service.toLowerCase(), x.rewardRatePerYear]))
  const optIns = pairs.map((x) => {
    const other = kind === 'operator' ? x.service : x.operator
    return {
      id: other,
      label: label(other),
      slashProbability: x.slashProbabilityPerYear,
      netYield: x.netYieldPerYear,
      rewardRate: serviceRate.get(x.service.toLowerCase()) ?? 0,
      ourStake: tokens(ourPair.get(`${x.service.toLowerCase()}|${x.operator.toLowerCase()}`) ?? 0n),
    }
  })
  const history: DetailView['history'] = []
  for (const r of [...runs].filter((x) => x.scores).sort((a, b) => a.startedAt - b.startedAt)) {
    const sc = r.scores as { operators?: { operator: string; score: number; compoundedSlashProbability: number }[]; services?: { service: string; score: number; slashProbabilityPerYear: number; rewardRatePerYear: number }[] }
    const at = new Date(r.startedAt).toISOString()
    const block = r.blockNumber?.toString() ?? '—'
    if (kind === 'operator') {
      const o = sc.operators?.find((x) => x.operator.toLowerCase() === key)
      if (o) history.push({ at, block, runId: r.runId, score: o.score, slashProbability: o.compoundedSlashProbability })
    } else {
      const v = sc.services?.find((x) => x.service.toLowerCase() === key)
      if (v) history.push({ at, block, runId: r.runId, score: v.score, slashProbability: v.slashProbabilityPerYear, rewardRate: v.rewardRatePerYear })
    }
  }
  const records = universe.services
    .flatMap((x) => x.slashes)
    .filter((r) => (kind === 'operator' ? r.operator : r.service).toLowerCase() === key)
    .sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0))
  let lost = 0n
  const losses: DetailView['losses'] = []
  for (const r of records)
    if (r.position && ourVaults.has(r.position.toLowerCase())) {
      lost += r.amount
      losses.push({ time: new Date(Number(r.timestamp) * 1000).toISOString(), cumulative: tokens(lost) })
    }
  const b = bands[kind === 'operator' ? 'operators' : 'services'][key]
  return {
    kind,
    id: kind === 'operator' ? (subject as { operator: string }).operator : (subject as { service: string }).service,
    label: subject.label || label(id),
    token,
    ...(b ? { band: { ...bandView(b), score: subject.score } } : {}),
    optIns,
    history,
    slashes: records.reverse().map((r) => ({
      time: new Date(Number(r.timestamp) * 1000).toISOString(),
      blockNumber: r.blockNumber.toString(),
      txHash: r.txHash,
      other: label(kind === 'operator' ? r.service : r.operator),
      amount: tokens(r.amount),
      fraction: frac(r.amount, r.stakeAtCapture),
      ours: Boolean(r.position && ourVaults.has(r.position.toLowerCase())),
    })),
    losses,
  }
}
