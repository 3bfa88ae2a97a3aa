/** The backtest report: a terminal table, a self-contained HTML page with inline SVG charts, and plain JSON. */
import { formatUnits } from 'viem'
import { textTable } from '../cli/common.js'
import { tokens } from '../format.js'
import type { BacktestResult, SideReport } from './engine.js'
import { PALETTE, esc, lineChart, stackedArea } from './svg.js'

const pct = (f: number, digits = 2) => `${(f * 100).toFixed(digits)} %`
const dpct = (f: number) => `${f > 0 ? '+' : ''}${pct(f)}`
const num = (wei: bigint) => Number(formatUnits(wei, 18))
const signed = (wei: bigint) => (wei < 0n ? `-${tokens(-wei)}` : `+${tokens(wei)}`)
const eth = (wei: bigint) => `${Number(formatUnits(wei, 18)).toFixed(6)} ETH`

/** The side-by-side figures as rows: [metric, autopilot, baseline, autopilot − baseline]. */
export function comparisonRows(r: BacktestResult): string[][] {
  const a = r.autopilot
  const b = r.baselineSide
  const sym = r.token.symbol
  const ret = (s: SideReport) => (s.initialStake === 0n ? 0 : Number((s.net * 10n ** 12n) / s.initialStake) / 1e12)
  return [
    [`initial stake (${sym})`, tokens(a.initialStake), tokens(b.initialStake), signed(a.initialStake - b.initialStake)],
    [`rewards received (${sym})`, tokens(a.rewards), tokens(b.rewards), signed(a.rewards - b.rewards)],
    [`lost to slashing (${sym})`, `${tokens(a.slashed)} (${a.slashes.length})`, `${tokens(b.slashed)} (${b.slashes.length})`, signed(a.slashed - b.slashed)],
    [`net: rewards − slashing (${sym})`, signed(a.net), signed(b.net), signed(a.net - b.net)],
    [`net return over ${r.days} days`, pct(ret(a)), pct(ret(b)), dpct(ret(a) - ret(b))],
    ['net yield, annualised', pct(a.netYieldPerYear), pct(b.netYieldPerYear), dpct(a.netYieldPerYear - b.netYieldPerYear)],
    ['max drawdown (stake + rewards)', `${pct(a.maxDrawdown)} (${tokens(a.maxDrawdownAmount)})`, `${pct(b.maxDrawdown)} (${tokens(b.maxDrawdownAmount)})`, dpct(a.maxDrawdown - b.maxDrawdown)],
    [`final stake (${sym})`, tokens(a.finalStake), tokens(b.finalStake), signed(a.finalStake - b.finalStake)],
    ['transactions', String(a.transactions), String(b.transactions), `${a.transactions - b.transactions > 0 ? '+' : ''}${a.transactions - b.transactions}`],
    ['gas used', a.gasUsed.toLocaleString('en-US'), b.gasUsed.toLocaleString('en-US'), (a.gasUsed - b.gasUsed).toLocaleString('en-US')],
    ['gas cost', eth(a.gasCostWei), eth(b.gasCostWei), eth(a.gasCostWei - b.gasCostWei)],
    ...riskRows(a, b),
    ['stake reconciles (final = initial − slashed)', a.reconciled ? 'yes' : 'NO', b.reconciled ? 'yes' : 'NO', ''],
  ]
}

/** MaxLoss, VaR 99 %, security slack and insecure services held (docs/risk.md), worst over the sampled days, next to the policy limits. */
function riskRows(a: SideReport, b: SideReport): string[][] {
  const ra = a.risk
  const rb = b.risk
  const slack = (g: number | null) => (g === null ? 'unbounded' : g.toFixed(2))
  const held = (r: SideReport['risk']) => (r.insecureServices.length === 0 ? 'none' : `${r.insecureServices.join(', ')} (${r.insecureDays} of ${r.samples.length} days)`)
  return [
    [`MaxLoss, worst (limit ${pct(ra.maxLossLimit, 0)})`, pct(ra.maxLossFraction), pct(rb.maxLossFraction), dpct(ra.maxLossFraction - rb.maxLossFraction)],
    [`VaR 99 %/yr, worst (limit ${pct(ra.var99Limit, 0)})`, pct(ra.var99Fraction), pct(rb.var99Fraction), dpct(ra.var99Fraction - rb.var99Fraction)],
    [`min security slack γ (min ${ra.requiredSlack})`, slack(ra.minSlack), slack(rb.minSlack), ra.minSlack === null || rb.minSlack === null ? '' : (ra.minSlack - rb.minSlack).toFixed(2)],
    ['insecure services held (ρ < 1)', held(ra), held(rb), ''],
  ]
}

/** The terminal report: header, the comparison table, slashes and the autopilot's runs. */
export function formatBacktestTable(r: BacktestResult): string {
  const out: string[] = []
  out.push(`Backtest "${r.scenario.name}" · policy ${r.policyName} vs baseline "${r.baseline}" · ${r.days} days (blocks ${r.startBlock}–${r.endBlock}), rebalance every ${r.rebalanceEveryDays} d, rewards every ${r.rewardIntervalDays} d`)
  out.push(`All figures read back from the chain: DistributeRewards and Slash events, activeStakeAt, the curator's receipts.`)
  out.push('')
  out.push(textTable(['', 'autopilot', `baseline (${r.baseline})`, 'autopilot − baseline'], comparisonRows(r)))
  out.push(`Risk figures (docs/risk.md) are the worst over days ${r.autopilot.risk.samples.map((s) => s.day).join(', ')} (each rebalance day and the last), of each vault's allocation that day.`)
  const slashes = [...r.autopilot.slashes.map((s) => ({ ...s, side: 'autopilot' })), ...r.baselineSide.slashes.map((s) => ({ ...s, side: 'baseline' }))].sort((x, y) => x.day - y.day || x.side.localeCompare(y.side))
  if (slashes.length > 0) {
    out.push('', "Slashes (read from the vaults' slashers)")
    out.push(
      textTable(
        ['day', 'vault', 'network', 'operator', 'amount', 'tx'],
        slashes.map((s) => [String(s.day), s.side, s.network, s.operator, tokens(s.amount), s.txHash]),
        [1, 2, 3, 5],
      ),
    )
  }
  if (r.runs.length > 0) {
    out.push('', 'Autopilot runs')
    out.push(
      textTable(
        ['day', 'trigger', 'status', 'txs', 'summary'],
        r.runs.map((x) => [String(x.day), x.trigger, x.status, String(x.actions.filter((a) => a.txHash).length), x.summary]),
        [1, 2, 4],
      ),
    )
  }
  return `${out.join('\n')}\n`
}

/** The report as plain JSON (bigint as decimal strings; the world handle left out). */
export function backtestJson(r: BacktestResult): unknown {
  const { world: _world, ...rest } = r
  return JSON.parse(JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
}

/** A self-contained HTML page (inline CSS and SVG, no scripts, no network) with the figures, charts, slashes and runs. */
export function renderBacktestHtml(r: BacktestResult): string {
  const sym = r.token.symbol
  const days = r.series.map((s) => s.day)
  const value = lineChart(
    [
      { name: 'autopilot', color: PALETTE[0], points: r.series.map((s) => ({ x: s.day, y: num(s.autopilot.value) })) },
      { name: `baseline (${r.baseline})`, color: PALETTE[5], dashed: true, points: r.series.map((s) => ({ x: s.day, y: num(s.baseline.value) })) },
    ],
    { title: `Value: active stake + rewards received (${sym})`, xLabel: 'day', yLabel: sym },
  )
  const cumulative = (side: SideReport) => days.map((d) => ({ x: d, y: num(side.slashes.filter((s) => s.day <= d).reduce((a, s) => a + s.amount, 0n)) }))
  const losses = lineChart(
    [
      { name: 'autopilot', color: PALETTE[0], points: cumulative(r.autopilot) },
      { name: `baseline (${r.baseline})`, color: PALETTE[5], dashed: true, points: cumulative(r.baselineSide) },
    ],
    { title: `Cumulative losses to slashing (${sym})`, xLabel: 'day', yLabel: sym },
  )
  const operators = [...new Set(r.series.flatMap((s) => [...Object.keys(s.autopilot.byOperator), ...Object.keys(s.baseline.byOperator)]))].sort()
  const colorOf = (op: string) => PALETTE[operators.indexOf(op) % PALETTE.length] as string
  const alloc = (side: 'autopilot' | 'baseline', title: string) =>
    stackedArea(
      operators.map((op) => ({ name: op, color: colorOf(op), points: r.series.map((s) => ({ x: s.day, y: num(s[side].byOperator[op] ?? 0n) })) })),
      { title, xLabel: 'day', yLabel: `${sym} delegated (Σ over networks)` },
    )
  const rows = comparisonRows(r)
  const slashRows = [...r.autopilot.slashes.map((s) => ({ ...s, side: 'autopilot' })), ...r.baselineSide.slashes.map((s) => ({ ...s, side: 'baseline' }))].sort((x, y) => x.day - y.day || x.side.localeCompare(y.side))
  const better = r.autopilot.net > r.baselineSide.net
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backtest ${esc(r.scenario.name)} — restake-autopilot</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;margin:0;background:#f6f7f9}
main{max-width:1120px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.muted{color:#666}.card{background:#fff;border:1px solid #e2e4e8;border-radius:8px;padding:16px;margin:12px 0}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:6px 8px;border-bottom:1px solid #eceef1;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{font-weight:600;background:#fafbfc}
td.l,th.l{text-align:left}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:12px}figure{margin:0}svg{width:100%;height:auto}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;color:#444;margin-top:4px}.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.verdict{font-size:15px;font-weight:600}.good{color:#0a7d3b}.bad{color:#b3261e}
ul.reasons{margin:4px 0 0 18px;padding:0;color:#555;font-size:12px}
</style></head>
<body><main>
<h1>Backtest: ${esc(r.scenario.name)}</h1>
<p class="muted">${esc(r.scenario.description)}</p>
<p class="muted">Policy <b>${esc(r.policyName)}</b> (the real autopilot: scheduled rebalance every ${r.rebalanceEveryDays} days, slash watcher daily) against a static baseline (<b>${esc(r.baseline)}</b>) on a twin vault under the same timeline: ${r.days} days, blocks ${r.startBlock}–${r.endBlock}. Every figure is read back from the chain (DistributeRewards and Slash events, <code>activeStakeAt</code>, the curator's receipts).</p>
<div class="card"><p class="verdict ${better ? 'good' : 'bad'}">Autopilot net ${esc(signed(r.autopilot.net))} ${esc(sym)} vs baseline ${esc(signed(r.baselineSide.net))} ${esc(sym)}; lost to slashing ${esc(tokens(r.autopilot.slashed))} vs ${esc(tokens(r.baselineSide.slashed))} ${esc(sym)}.</p>
<table><thead><tr><th></th><th>autopilot</th><th>baseline (${esc(r.baseline)})</th><th>autopilot − baseline</th></tr></thead><tbody>
${rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table></div>
<h2>Charts</h2>
<div class="grid"><div class="card">${value}</div><div class="card">${losses}</div><div class="card">${alloc('autopilot', 'Allocation over time — autopilot')}</div><div class="card">${alloc('baseline', `Allocation over time — baseline (${r.baseline})`)}</div></div>
<h2>Timeline events</h2>
<div class="card"><table><thead><tr><th class="l">day</th><th class="l">event</th><th>txs</th></tr></thead><tbody>
${r.events.map((e) => `<tr><td class="l">${e.day}</td><td class="l">${esc(e.summary)}</td><td>${e.txHashes.length}</td></tr>`).join('\n') || '<tr><td class="l" colspan="3">none</td></tr>'}
</tbody></table></div>
<h2>Slashes</h2>
<div class="card"><table><thead><tr><th class="l">day</th><th class="l">vault</th><th class="l">network</th><th class="l">operator</th><th>amount (${esc(sym)})</th><th class="l">tx</th></tr></thead><tbody>
${slashRows.map((s) => `<tr><td class="l">${s.day}</td><td class="l">${esc(s.side)}</td><td class="l">${esc(s.network)}</td><td class="l">${esc(s.operator)}</td><td>${esc(tokens(s.amount))}</td><td class="l"><code>${esc(s.txHash)}</code></td></tr>`).join('\n') || '<tr><td class="l" colspan="6">none</td></tr>'}
</tbody></table></div>
<h2>Autopilot runs</h2>
<div class="card"><table><thead><tr><th class="l">day</th><th class="l">trigger</th><th class="l">status</th><th class="l">what it did</th></tr></thead><tbody>
${r.runs
  .map(
    (x) =>
      `<tr><td class="l">${x.day}</td><td class="l">${esc(x.trigger)}</td><td class="l">${esc(x.status)}</td><td class="l">${esc(x.summary)}${
        x.actions.length ? `<ul class="reasons">${x.actions.map((a) => `<li>${esc(a.description)}${a.txHash ? ` — <code>${esc(a.txHash)}</code>` : ''}${a.reasons[0] ? `<br><span>${esc(a.reasons[0])}</span>` : ''}</li>`).join('')}</ul>` : ''
      }</td></tr>`,
  )
  .join('\n')}
</tbody></table></div>
<p class="muted">Generated by <code>autopilot backtest</code>. Run id prefix and tables are local to this backtest; the chain was discarded afterwards.</p>
</main></body></html>
`
}
