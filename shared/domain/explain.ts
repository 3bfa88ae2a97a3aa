/**
 * `autopilot explain RUN`: the scores, the plan and every action with its reasons, as plain text.
 * Pure and deterministic (same run → same text).
 */
import type { Decision } from './decision.js'
import type { Plan } from './plan.js'
import type { UniverseScores } from './score.js'
import { cmp, num, pct, short, textTable, units, unitsFloat } from './format.js'

/** What a recorded run holds (the parts explain needs). */
export interface ExplainableRun {
  scores: UniverseScores
  plan: Plan
  decision: Decision
  /** EigenLayer runs: the move sagas planned or started (they replace curator calls), each with its reasons. */
  moves?: ExplainableMove[]
}

/** One EigenLayer move (a saga: queue → wait the delay → complete → deposit) in words. */
export interface ExplainableMove {
  description: string
  reasons: string[]
}

/** Options of {@link explainRun}. */
export interface ExplainOptions {
  /** Show every operator, not only those in the plan (default false). */
  allOperators?: boolean
  /** Fit tables to this many columns (a terminal's width); default unlimited. */
  width?: number
  /** Symbol of the collateral, for amounts (default "tokens"). */
  token?: string
}

/** Renders rows as an aligned text table (first column left, the others right), fitted to `width`. */
export function table(header: string[], rows: string[][], width?: number): string {
  return textTable(header, rows, { rule: '-', ...(width ? { width } : {}) })
}

/**
 * Explains a run: decision, service and operator scores, the plan per position, binding constraints,
 * forced moves, residual exposure and each action with its reasons.
 * @param run the scores, plan and decision of one run
 * @returns multi-line text
 */
export function explainRun(run: ExplainableRun, opts: ExplainOptions = {}): string {
  const { scores, plan, decision } = run
  const out: string[] = []
  out.push(`Run at block ${scores.blockNumber} (chain ${scores.chainId}), now ${scores.now}, solver ${plan.solver}`)
  out.push('')
  if (decision.kind === 'act') {
    out.push(
      `Decision: ACT — ${decision.actions.length} call${decision.actions.length === 1 ? '' : 's'}${run.moves?.length ? ` and ${run.moves.length} EigenLayer move${run.moves.length === 1 ? '' : 's'}` : ''}, gain ${unitsFloat(decision.gainPerYear)} ${opts.token ?? 'tokens'}/yr, est. gas ${units(decision.gasCostWei)} ETH, net ${decision.netGainBpsPerYear.toFixed(3)} bps/yr${decision.derisk ? ' (de-risk: cooldown and threshold not applied)' : ''}`,
    )
  } else {
    out.push(`Decision: SKIP (${decision.reason}) — ${decision.detail}`)
  }
  out.push(`Objective: ${unitsFloat(plan.currentObjectivePerYear)}/yr now → ${unitsFloat(plan.objectivePerYear)}/yr planned (net expected yield after expected loss)`)
  const rf = plan.riskFigures
  out.push(
    `Risk: expected loss ${unitsFloat(rf.currentExpectedAnnualLoss)}/yr → ${unitsFloat(rf.expectedAnnualLoss)}/yr (${pct(rf.expectedLossFraction)} of stake); HHI ${num(rf.currentHerfindahl)} → ${num(rf.herfindahl)}; max vault P(slash/yr) ${pct(rf.maxVaultCompoundedSlashProbability)}; max leverage ${num(rf.maxLeverage)}×`,
  )
  if (rf.var99Fraction !== undefined)
    out.push(
      `Tail (largest position, fraction of its stake): MaxLoss ${pct(rf.currentMaxLossFraction ?? 0)} → ${pct(rf.maxLossFraction ?? 0)} (limit maxLossFraction ${pct(rf.maxLossLimit ?? 1)}); ` +
        `1-yr VaR 99 % ${pct(rf.currentVar99Fraction ?? 0)} → ${pct(rf.var99Fraction)} (limit var99Fraction ${pct(rf.var99Limit ?? 1)}); ES 99 % ${pct(rf.es99Fraction ?? 0)}`,
    )
  if (rf.security) {
    const sec = rf.security
    out.push(
      `Security: min slack γ ${slack(sec.currentMinSlack)} → ${slack(sec.minSlack)} (limit minSecuritySlack ${num(sec.requiredSlack)}); cascade bound (1 + 1/γ)·ψ at shock ψ ${pct(sec.shock)}: ${bound(sec.currentCascadeBound)} → ${bound(sec.cascadeBound)} of stake; ` +
        `${sec.insecureServices.length} service${sec.insecureServices.length === 1 ? '' : 's'} with ρ < 1 (exited), ${sec.unknownServices.length} with security unknown, ${sec.heldOperators.length} operator${sec.heldOperators.length === 1 ? '' : 's'} held back`,
    )
  }
  for (const w of plan.warnings) out.push(`Warning: ${w}`)

  out.push('', `Services (risk bands: low < ${scores.bandThresholds.medium} ≤ medium < ${scores.bandThresholds.high} ≤ high < ${scores.bandThresholds.critical} ≤ critical)`)
  out.push(
    table(
      ['service', 'label', 'r/yr', 'p/yr', 'sev', 'h', 'E[loss]/yr', 'ops', 'score', 'score band'],
      scores.services.map((s) => [
        short(s.service),
        s.label,
        pct(s.rewardRatePerYear),
        pct(s.slashProbabilityPerYear),
        pct(s.severity, 0),
        num(s.contractFactor, 3),
        pct(s.expectedLossPerYear),
        `${s.operatorCount}`,
        s.score.toFixed(1),
        s.band,
      ]),
      opts.width,
    ),
  )

  const security = scores.security
  if (security) {
    const label = new Map(scores.services.map((s) => [s.service as string, s.label]))
    out.push('', 'Service security (ρ = α·σ/π: cost of corruption over profit; ρ < 1 is exited like a deny-listed service)')
    out.push(
      table(
        ['service', 'label', 'stake σ', 'π', 'α', 'ρ', 'status'],
        security.services.map((s) => [
          short(s.service),
          label.get(s.service) ?? s.label,
          units(s.stake),
          s.profitFromCorruption === undefined ? '—' : `${num(s.profitFromCorruption, 6)}`,
          num(s.attackThreshold, 3),
          s.ratio === undefined ? 'unknown' : num(s.ratio),
          s.status,
        ]),
      ),
    )
  }
  const inPlan = new Set<string>()
  for (const p of plan.positions) for (const t of p.targets) if (t.stake > 0n || t.current > 0n) inPlan.add(t.operator)
  const opSecurity = new Map((security?.operators ?? []).map((o) => [o.operator as string, o]))
  const ops = scores.operators.filter((o) => opts.allOperators || inPlan.has(o.operator) || opSecurity.get(o.operator)?.status === 'below-slack')
  out.push('', `Operators${opts.allOperators ? '' : ' (those holding stake now or in the plan)'}`)
  out.push(
    table(
      ['operator', 'label', 'commission', 'services', 'P(op slashed)/yr, all svcs', 'concentration', 'score', 'score band', ...(security ? ['I', 'γ'] : [])],
      ops.map((o) => {
        const sec = opSecurity.get(o.operator)
        const extra = security ? [sec ? num(sec.incentiveIndex) : '0', sec ? `${slack(sec.slack)}${sec.status === 'below-slack' ? ' < min' : sec.status === 'unknown' ? ' (unknown)' : ''}` : 'unbounded'] : []
        return [short(o.operator), o.label, pct(o.commission), `${o.serviceCount}`, pct(o.compoundedSlashProbability), pct(o.concentration), o.score.toFixed(1), o.band, ...extra]
      }),
      opts.width,
    ),
  )

  for (const p of plan.positions) {
    out.push('', `Position ${p.label || short(p.position)} (${p.position}, ${p.kind}${p.steerable ? '' : ', not steerable'})`)
    out.push(
      `  active stake ${units(p.activeStake)}; yield ${unitsFloat(p.currentObjectivePerYear)} → ${unitsFloat(p.objectivePerYear)}/yr; expected loss ${unitsFloat(p.currentExpectedAnnualLoss)} → ${unitsFloat(p.expectedAnnualLoss)}/yr; ` +
        `P(vault slashed)/yr ${pct(p.compoundedSlashProbability)}; HHI ${num(p.currentHerfindahl)} → ${num(p.herfindahl)}; leverage ${num(p.currentLeverage)} → ${num(p.leverage)}×; turnover ${units(p.turnover)} of ${units(p.turnoverLimit)} allowed`,
    )
    if (p.tail) {
      const t = p.tail
      out.push(
        `  tail: MaxLoss ${units(t.currentMaxLoss)} → ${units(t.maxLoss)} (limit ${units(t.maxLossLimit)}); 1-yr VaR 99 % ${units(t.currentVar99)} → ${units(t.var99)} (limit ${units(t.var99Limit)}, true value at most ${units(t.var99Bound)} lower); ` +
          `ES 99 % ${unitsFloat(t.currentEs99)} → ${unitsFloat(t.es99)}; VaR 95 % ${units(t.var95)}, ES 95 % ${unitsFloat(t.es95)}; risk budget ${pct(t.riskBudget)}/yr`,
      )
    }
    const inFlight = p.inFlightStake ?? 0n // runs recorded before the field existed have none
    if (inFlight > 0n) out.push(`  in flight ${units(inFlight)}: withdrawals waiting out the protocol delay earn 0/yr and are not allocatable; planned on the available ${units(p.availableStake ?? p.activeStake - inFlight)}`)
    const rows = p.targets.filter((t) => t.stake > 0n || t.current > 0n).map((t) => [short(t.service), short(t.operator), units(t.current), units(t.stake), delta(t.stake - t.current), pct(t.netValuePerYear)])
    if (rows.length > 0) out.push(indent(table(['service', 'operator', 'current', 'target', 'change', 'net value/yr'], rows, opts.width ? opts.width - 2 : undefined), 2))
    const nl = p.networkLimits.filter((l) => l.limit !== l.current || l.limit > 0n).map((l) => [short(l.service), units(l.current), units(l.limit)])
    if (nl.length > 0) out.push(indent(table(['service', 'network limit now', 'planned'], nl, opts.width ? opts.width - 2 : undefined), 2))
    for (const f of p.forced) out.push(`  forced: ${short(f.operator)} in ${short(f.service)} ${units(f.from)} → ${units(f.to)}: ${f.reason}`)
    for (const r of p.residualExposure) out.push(`  residual exposure: ${units(r.stake)} with ${short(r.operator)} in ${short(r.service)} stays slashable until ${r.until}`)
  }

  const binding = [...plan.binding].sort((a, b) => cmp(a.position, b.position) || cmp(a.constraint, b.constraint) || cmp(a.subject, b.subject))
  out.push('', binding.length === 0 ? 'Binding constraints: none' : 'Binding constraints')
  for (const b of binding) out.push(`  ${short(b.position)}: ${b.message}${b.shadowPrice > 0 ? ` (shadow price ${pct(b.shadowPrice)}/yr per unit of stake)` : ''}`)

  if (run.moves?.length) {
    out.push('', 'EigenLayer moves (sagas: queue → wait the withdrawal delay, earning nothing → complete → deposit)')
    run.moves.forEach((m, i) => {
      out.push(`  ${i + 1}. ${m.description}`)
      for (const r of m.reasons) out.push(`       - ${r}`)
    })
  }
  if (decision.kind === 'act' && decision.actions.length > 0) {
    out.push('', 'Actions (in execution order)')
    decision.actions.forEach((a, i) => {
      out.push(`  ${i + 1}. ${a.description ?? a.kind}`)
      for (const r of a.reasons) out.push(`       - ${r}`)
    })
  }
  return `${out.join('\n')}\n`
}

/** γ or a cascade bound; null = unbounded. */
function slack(v: number | null): string {
  return v === null ? 'unbounded' : num(v)
}

function bound(v: number | null): string {
  return v === null ? 'unbounded' : pct(v)
}

function delta(d: bigint): string {
  return d === 0n ? '0' : d > 0n ? `+${units(d)}` : `-${units(-d)}`
}

function indent(s: string, n: number): string {
  const pad = ' '.repeat(n)
  return s
    .split('\n')
    .map((l) => pad + l)
    .join('\n')
}
