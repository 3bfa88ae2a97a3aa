// The curator console page: fetches /api/state, renders it, and re-fetches when /api/events says a run started or ended.
import { allocationChart, paintSwatches, yieldRiskChart } from './charts.js'
import { badge, h, pct, shortHash, when } from './dom.js'

const app = document.getElementById('app')
const meta = document.getElementById('meta')
let state = null
let live = 'connecting'
let loading = false
let again = false
const openRuns = new Set()

async function refresh() {
  if (loading) {
    again = true
    return
  }
  loading = true
  try {
    const res = await fetch('/api/state', { cache: 'no-store' })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    state = await res.json()
    render()
  } catch (e) {
    renderMeta(`cannot load the state: ${e.message}`)
  } finally {
    loading = false
    if (again) {
      again = false
      void refresh()
    }
  }
}

function connect() {
  const es = new EventSource('/api/events')
  es.addEventListener('hello', () => {
    live = 'live'
    renderMeta()
  })
  es.addEventListener('update', () => void refresh())
  es.onerror = () => {
    live = 'reconnecting'
    renderMeta()
  }
}

function renderMeta(error) {
  const chips = [
    ...(state?.chain ? [h('span', { class: 'chip', text: `chain ${state.chain.chainId}` }), h('span', { class: 'chip', 'data-testid': 'block', text: `block ${state.chain.blockNumber}` })] : []),
    ...(state?.policy ? [h('span', { class: `chip mode-${state.policy.mode}`, title: 'policy mode', text: `mode ${state.policy.mode}` })] : []),
    h('span', { class: `chip live-${live}`, title: 'live updates (Server-Sent Events)' }, h('i', { class: 'dot' }), live),
    state ? h('span', { class: 'chip muted', text: `updated ${when(state.generatedAt)}` }) : null,
    error ? h('span', { class: 'chip error', text: error }) : null,
  ]
  meta.replaceChildren(...chips.filter(Boolean))
}

function section(title, testid, ...children) {
  return h('section', { class: 'card', 'data-testid': testid }, h('h2', { text: title }), ...children)
}

function render() {
  const st = state
  const unit = st.token
  const blocks = []
  const problems = [...(st.errors.live ? [`Chain read failed: ${st.errors.live}`] : []), ...(st.errors.runs ? [`Run store read failed: ${st.errors.runs}`] : []), ...st.warnings]
  if (problems.length) blocks.push(h('div', { class: 'banner' }, problems.map((p) => h('div', { text: p }))))
  for (const pos of st.positions) blocks.push(positionBlock(pos, st, unit))
  blocks.push(
    h(
      'div',
      { class: 'grid2' },
      section('Allocation over time', 'chart-allocation', h('p', { class: 'note', text: `Stake per operator after each rebalance run, and now (${unit}).` }), allocationChart(st.allocationHistory, { unit })),
      section('Yield vs risk of operators', 'chart-yield-risk', yieldRiskChart(st.operators, { unit, limit: st.policy?.maxCompoundedSlashProbability })),
    ),
  )
  blocks.push(h('div', { class: 'grid2 wide-left' }, runsBlock(st), slashesBlock(st, unit)))
  blocks.push(servicesBlock(st), operatorsBlock(st, unit))
  app.replaceChildren(...blocks)
  paintSwatches(app)
  for (const el of app.querySelectorAll('[data-fill]')) el.style.width = `${Math.min(100, Number(el.dataset.fill))}%`
  for (const el of app.querySelectorAll('[data-heat]')) el.style.background = `rgba(0, 114, 178, ${(0.06 + 0.5 * Number(el.dataset.heat)).toFixed(3)})`
  renderMeta()
}

function fmtFigure(f, v) {
  if (v === undefined || v === null) return '—'
  if (f.unit === '%') return pct(v, v < 0.01 ? 3 : 2)
  if (f.unit === 'x') return `${v.toFixed(2)}×`
  return v.toFixed(3)
}

function positionBlock(pos, _st, unit) {
  const risk = h(
    'div',
    { class: 'risk-grid', 'data-testid': 'risk' },
    pos.risk.map((f) => {
      const ratio = f.limit ? f.now / f.limit : undefined
      const level = ratio === undefined ? 'info' : ratio > 1 + 1e-9 ? 'over' : ratio >= 0.8 ? 'warn' : 'ok'
      return h(
        'div',
        { class: `risk ${level}`, title: f.explanation, 'data-risk': f.key },
        h('div', { class: 'risk-label', text: f.label }),
        h('div', { class: 'risk-value' }, h('b', { text: fmtFigure(f, f.now) }), h('span', { class: 'now', text: ' now' })),
        f.limit !== undefined ? h('div', { class: 'bar' }, h('div', { class: 'fill', 'data-fill': String((ratio ?? 0) * 100) })) : h('div', { class: 'bar none' }),
        h('div', { class: 'risk-foot' }, h('span', { class: 'limit', text: f.limit !== undefined ? `limit ${fmtFigure(f, f.limit)}` : 'no limit' }), h('span', { class: 'planned', text: f.planned !== undefined ? `plan ${fmtFigure(f, f.planned)}` : '' })),
      )
    }),
  )
  // Operator × service matrix of the current allocation.
  const services = pos.services.filter((sv) => pos.cells.some((c) => c.service === sv.id))
  const ops = [...new Map(pos.cells.map((c) => [c.operator, c.operatorLabel])).entries()].sort((a, b) => a[1].localeCompare(b[1]))
  const cell = (op, sv) => pos.cells.find((c) => c.operator === op && c.service === sv)
  const opTotal = (op) => pos.operators.find((o) => o.address === op)
  const matrix = h(
    'table',
    { class: 'matrix', 'data-testid': 'allocation' },
    h('thead', {}, h('tr', {}, h('th', { text: 'operator \\ service' }), services.map((sv) => h('th', { title: `network limit ${sv.networkLimit} of max ${sv.maxNetworkLimit}` }, sv.label)), h('th', { text: 'operator total' }))),
    h(
      'tbody',
      {},
      ops.map(([op, label]) =>
        h(
          'tr',
          { 'data-operator': label },
          h('th', { class: 'l', title: op }, label),
          services.map((sv) => {
            const c = cell(op, sv.id)
            if (!c) return h('td', { class: 'empty', text: '·' })
            const moved = c.planned !== undefined && c.planned !== c.stake
            return h('td', { 'data-heat': String(Math.min(1, c.share * 2)), title: `${label} in ${sv.label}: ${c.stake} ${unit} (${pct(c.share)} of active stake)${c.planned !== undefined ? `; plan ${c.planned}` : ''}` }, h('div', { class: 'amt', text: c.stake }), h('div', { class: 'share', text: pct(c.share, 1) }), moved ? h('div', { class: 'plan', text: `plan ${c.planned}` }) : null)
          }),
          h('td', { class: 'total' }, h('div', { class: 'amt', text: opTotal(op)?.stake ?? '0.00' }), h('div', { class: 'share', text: pct(opTotal(op)?.share ?? 0, 1) })),
        ),
      ),
    ),
    h('tfoot', {}, h('tr', {}, h('th', { class: 'l', text: 'service total' }), services.map((sv) => h('td', { class: 'total' }, h('div', { class: 'amt', text: sv.stake }), h('div', { class: 'share', text: `${pct(sv.share, 1)} · limit ${sv.networkLimit}` }))), h('td', { class: 'total' }, h('div', { class: 'amt', text: pos.allocated }), h('div', { class: 'share', text: `of ${pos.activeStake}` })))),
  )
  return section(
    pos.label.startsWith('vault/') ? `Vault ${pos.label.slice(6)}` : `Vault ${pos.label}`,
    'position',
    h('p', { class: 'note' }, h('code', { text: pos.vault }), ` · ${pos.delegatorKind} delegator · active stake `, h('b', { text: `${pos.activeStake} ${unit}` }), ` · allocated ${pos.allocated} ${unit} across ${pos.operators.length} operators and ${services.length} services`),
    h('h3', { text: 'Risk against the policy' }),
    risk,
    h('h3', { text: `Current allocation (stake in ${unit} and share of active stake; “plan” where the autopilot would move it)` }),
    h('div', { class: 'scroll' }, matrix),
  )
}

/** Folds consecutive runs that did nothing new (same kind, trigger, status and summary, no calls) into one entry. */
function foldRuns(runs) {
  const out = []
  for (const r of runs) {
    const prev = out[out.length - 1]
    const quiet = r.actions.length === 0 && r.status !== 'failed' && r.status !== 'running'
    if (prev && quiet && prev.actions.length === 0 && prev.kind === r.kind && prev.status === r.status && prev.summary === r.summary && prev.trigger === r.trigger) {
      prev.folded = (prev.folded ?? 1) + 1
      prev.oldest = r.startedAt
      continue
    }
    out.push({ ...r })
  }
  return out
}

function runsBlock(st) {
  const runs = foldRuns(st.runs).slice(0, 25)
  return section(
    'Runs',
    'runs',
    runs.length === 0 ? h('p', { class: 'muted', text: 'No runs recorded yet.' }) : null,
    h(
      'ol',
      { class: 'runs' },
      runs.map((r) => {
        const item = h(
          'li',
          { class: `run status-${r.status}`, 'data-run-id': r.runId },
          h('div', { class: 'run-head' }, h('span', { class: 'when', text: when(r.startedAt) }), badge(r.kind, 'kind'), badge(r.status), h('span', { class: 'trigger', text: r.trigger }), r.blockNumber ? h('span', { class: 'muted', text: `block ${r.blockNumber}` }) : null),
          h('div', { class: 'run-summary', text: r.summary }),
          r.folded ? h('div', { class: 'folded muted', text: `×${r.folded} alike since ${when(r.oldest)}` }) : null,
          h('div', { class: 'run-id muted', text: r.runId }),
          r.actions.length
            ? h(
                'ol',
                { class: 'actions' },
                r.actions.map((a) =>
                  h(
                    'li',
                    { 'data-action': String(a.index) },
                    h('div', {}, h('span', { class: 'desc', text: a.description }), ' ', badge(a.status), a.txHash ? h('code', { class: 'tx', title: a.txHash, 'data-tx': a.txHash, text: shortHash(a.txHash) }) : null, a.gasUsed ? h('span', { class: 'muted', text: ` gas ${Number(a.gasUsed).toLocaleString('en-US')}` }) : null),
                    a.reasons.length ? h('ul', { class: 'reasons' }, a.reasons.slice(0, 1).map((x) => h('li', { text: x }))) : null,
                    a.reasons.length > 1 ? h('details', {}, h('summary', { text: `${a.reasons.length - 1} more reason(s)` }), h('ul', { class: 'reasons' }, a.reasons.slice(1).map((x) => h('li', { text: x })))) : null,
                  ),
                ),
              )
            : null,
          r.error ? h('div', { class: 'error', text: r.error }) : null,
        )
        const details = h('details', { class: 'explain' }, h('summary', { text: 'explain' }), h('pre', { text: 'loading…' }))
        details.open = openRuns.has(r.runId)
        details.addEventListener('toggle', async () => {
          if (!details.open) return openRuns.delete(r.runId)
          openRuns.add(r.runId)
          const res = await fetch(`/api/runs/${encodeURIComponent(r.runId)}`)
          const body = res.ok ? await res.json() : { explain: `HTTP ${res.status}` }
          details.querySelector('pre').textContent = body.explain
        })
        if (details.open) details.dispatchEvent(new Event('toggle'))
        if (r.kind === 'rebalance' || r.kind === 'watch') item.append(details)
        return item
      }),
    ),
  )
}

function slashesBlock(st, unit) {
  return section(
    'Slash events',
    'slashes',
    st.slashes.length === 0
      ? h('p', { class: 'muted', text: 'No slashes on the vaults read.' })
      : h(
          'div',
          { class: 'scroll' },
          h(
          'table',
          { class: 'list compact' },
          h('thead', {}, h('tr', {}, ['date', 'service', 'operator', `amount (${unit})`, 'of stake', 'tx'].map((t) => h('th', { text: t })))),
          h('tbody', {}, st.slashes.map((x) => h('tr', {}, h('td', { class: 'l', title: `${when(x.time)} · block ${x.blockNumber}`, text: when(x.time).slice(0, 10) }), h('td', { class: 'l', text: x.service }), h('td', { class: 'l', text: x.operator }), h('td', { text: x.amount }), h('td', { text: pct(x.fraction, 1) }), h('td', {}, h('code', { class: 'tx', title: x.txHash, 'data-tx': x.txHash, text: `${x.txHash.slice(0, 6)}…${x.txHash.slice(-4)}` }))))),
          ),
        ),
  )
}

function termsDetails(terms) {
  return h('details', { class: 'terms' }, h('summary', { text: 'terms' }), h('table', { class: 'terms' }, h('tbody', {}, terms.map((t) => h('tr', {}, h('td', { class: 'l', text: t.name }), h('td', { text: t.value }), h('td', { class: 'l muted', text: t.explanation }))))))
}

function servicesBlock(st) {
  return section(
    'Services: scores, bands and terms',
    'services-table',
    h(
      'table',
      { class: 'list' },
      h('thead', {}, h('tr', {}, ['service', 'reward r/yr', 'slash p/yr', 'severity', 'contract h', 'E[loss]/yr', 'operators', 'slashes', 'score', 'band', ''].map((t) => h('th', { text: t })))),
      h(
        'tbody',
        {},
        st.services.map((x) => h('tr', {}, h('td', { class: 'l', text: x.label }), h('td', { text: pct(x.rewardRate) }), h('td', { text: pct(x.slashProbability) }), h('td', { text: pct(x.severity, 0) }), h('td', { text: `${x.contractFactor.toFixed(2)}×` }), h('td', { text: pct(x.expectedLoss, 3) }), h('td', { text: String(x.operators) }), h('td', { text: String(x.slashes) }), h('td', { text: x.score.toFixed(1) }), h('td', {}, badge(x.band)), h('td', { class: 'l' }, termsDetails(x.terms)))),
      ),
    ),
  )
}

function operatorsBlock(st, unit) {
  return section(
    'Operators: scores, bands and terms',
    'operators-table',
    h(
      'table',
      { class: 'list' },
      h('thead', {}, h('tr', {}, ['operator', 'services', 'best net yield', 'P(any slash)/yr', 'E[loss]/yr (amplified)', 'concentration', `our stake (${unit})`, 'score', 'band', ''].map((t) => h('th', { text: t })))),
      h(
        'tbody',
        {},
        st.operators.map((o) => h('tr', { 'data-operator': o.label }, h('td', { class: 'l', title: o.address, text: o.label }), h('td', { text: String(o.services) }), h('td', { text: pct(o.netYield) }), h('td', { text: pct(o.compoundedSlashProbability) }), h('td', { text: pct(o.expectedLoss, 3) }), h('td', { text: pct(o.concentration, 1) }), h('td', { text: o.stake }), h('td', { text: o.score.toFixed(1) }), h('td', {}, badge(o.band)), h('td', { class: 'l' }, termsDetails(o.terms)))),
      ),
    ),
  )
}

renderMeta()
connect()
void refresh()
// A fallback for chain changes no run records (a slash between runs): re-read every 30 s.
setInterval(() => void refresh(), 30_000)
