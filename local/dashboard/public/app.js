// The curator console page: fetches /api/state, renders it, and re-fetches when /api/events says a run started or ended.
import { allocationChart, paintSwatches, realisedChart, yieldRiskChart } from './charts.js'
import { badge, h, pct, shortHash, when } from './dom.js'

const app = document.getElementById('app')
const meta = document.getElementById('meta')
let state = null
/** The server's controls: { enabled, who, pause } (GET /api/control). */
let controls = { enabled: false }
/** A prepared order waiting for confirmation: { token, summary, order } — or the last outcome: { done, ok, text }. */
let pendingOrder = null
/** The last what-if asked: { loading } | the server's answer ({ description, figures, moves, errors } or { error }). */
let whatIfResult = null
let live = 'connecting'
let loading = false
let again = false
const openRuns = new Set()
/** Realised yield: the period asked and the server's answer for it (GET /api/yield), with the block it was read at. */
let yieldPeriod = 'week'
let yieldData = null

async function refresh() {
  if (loading) {
    again = true
    return
  }
  loading = true
  try {
    const res = await fetch('/api/state', { cache: 'no-store' })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    const [body, ctl] = await Promise.all([res.json(), fetch('/api/control', { cache: 'no-store' }).then((r) => (r.ok ? r.json() : { enabled: false })).catch(() => ({ enabled: false }))])
    state = body
    controls = ctl
    render()
    if (state.chain && (!yieldData || yieldData.block !== state.chain.blockNumber || yieldData.period !== yieldPeriod)) void loadYield()
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

async function loadYield() {
  const period = yieldPeriod
  const block = state?.chain?.blockNumber
  const res = await fetch(`/api/yield?period=${period}`, { cache: 'no-store' }).catch((e) => ({ ok: false, status: 0, json: async () => ({ error: e.message }) }))
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }))
  if (period !== yieldPeriod) return
  yieldData = { period, block, ...(res.ok ? { view: body } : { error: body.error ?? `HTTP ${res.status}` }) }
  if (!detail) render()
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
    ...(state?.chain ? [h('span', { class: 'chip', text: `chain ${state.chain.chainId}` }), h('span', { class: 'chip', 'data-testid': 'block', text: `block ${state.chain.blockNumber}` }), h('span', { class: 'chip muted', 'data-testid': 'chain-time', title: 'the timestamp of the block read; differs from wall time on a time-travelled local chain', text: `chain time ${when(state.chain.timestamp)}` })] : []),
    ...(state?.policy ? [h('span', { class: `chip mode-${state.policy.mode}`, title: 'policy mode', text: `mode ${state.policy.mode}` }), h('span', { class: 'chip muted', title: 'policy gas.maxFeePerGasGwei: above it runs are skipped', text: `gas cap ${state.policy.maxFeePerGasGwei} gwei` })] : []),
    h('span', { class: `chip live-${live}`, title: 'live updates (Server-Sent Events)' }, h('i', { class: 'dot' }), live),
    state ? h('span', { class: 'chip muted', text: `updated ${when(state.generatedAt)}` }) : null,
    error ? h('span', { class: 'chip error', text: error }) : null,
  ]
  meta.replaceChildren(...chips.filter(Boolean))
}

function section(title, testid, ...children) {
  return h('section', { class: 'card', 'data-testid': testid }, h('h2', { text: title }), ...children)
}

/** The drill-down shown (from the URL hash `#operator/0x…` or `#service/0x…`), with its data once loaded. */
let detail = null

function route() {
  const m = /^#(operator|service)\/(0x[0-9a-fA-F]+)$/.exec(location.hash)
  if (!m) {
    detail = null
    if (state) render()
    return
  }
  detail = { kind: m[1], id: m[2], loading: true }
  if (state) render()
  void fetch(`/api/detail/${m[1]}/${m[2]}`, { cache: 'no-store' })
    .then((r) => r.json())
    .then((body) => {
      if (detail && detail.id === m[2]) detail = { kind: m[1], id: m[2], data: body }
      render()
    })
}

function link(kind, id, text) {
  return h('a', { href: `#${kind}/${id.toLowerCase()}`, 'data-link': kind, text })
}

/** A compact list table in a scroll box; a cell is a text or a ready <td>; every cell is labelled for the stacked phone layout. */
function listTable(testid, cls, headers, rows) {
  const cells = (row) => row.map((c, i) => {
    const td = typeof c === 'string' ? h('td', { text: c }) : c
    td.setAttribute('data-col', headers[i])
    return td
  })
  return h('div', { class: 'scroll' }, h('table', { class: `list compact ${cls}`, 'data-testid': testid }, h('thead', {}, h('tr', {}, headers.map((t) => h('th', { text: t })))), h('tbody', {}, rows.map((r) => h('tr', {}, cells(r))))))
}

function detailPage(_st) {
  const back = h('p', {}, h('a', { href: '#', text: '← back to the console' }))
  if (detail.loading) return [back, h('p', { class: 'muted', text: 'loading…' })]
  const d = detail.data
  if (d.error) return [back, h('p', { class: 'error', text: d.error })]
  const other = d.kind === 'operator' ? 'service' : 'operator'
  return [
    back,
    section(
      `${d.kind === 'operator' ? 'Operator' : 'Service'} ${d.label}`,
      'detail',
      h('p', { class: 'note' }, h('code', { text: d.id }), d.band ? ' · band vs policy ' : '', d.band ? h('span', { class: `badge b-${d.band.band}`, 'data-band': d.band.band, text: d.band.band }) : null, d.band ? ` ${d.band.because} · risk score ${d.band.score.toFixed(1)}` : ''),
      d.band?.planNote ? h('p', { class: 'plan-note', text: d.band.planNote }) : null,
      h('h3', { text: d.kind === 'operator' ? 'Opted into (services), now' : 'Operators opted in, now' }),
      listTable('detail-optins', '', [other, 'P(slashed)/yr in it', 'reward %/yr', 'net yield %/yr', `our stake (${d.token})`], d.optIns.map((x) => [h('td', { class: 'l' }, link(other, x.id, x.label)), pct(x.slashProbability), pct(x.rewardRate), pct(x.netYield), x.ourStake])),
      h('h3', { text: `Score history (${d.history.length} stored runs; wall time, block = chain)` }),
      d.history.length === 0
        ? h('p', { class: 'muted', text: 'No stored run carries scores yet.' })
        : listTable('detail-history', '', ['run at', 'block', 'risk score', d.kind === 'operator' ? 'P(slashed)/yr, all its services' : 'P(service slashes)/yr', ...(d.kind === 'service' ? ['reward %/yr'] : [])], d.history.slice(-50).reverse().map((x) => [h('td', { class: 'l', title: x.runId, text: when(x.at) }), x.block, x.score.toFixed(1), pct(x.slashProbability), ...(d.kind === 'service' ? [pct(x.rewardRate ?? 0)] : [])])),
      h('h3', { text: `Slashes (${d.slashes.length}, chain time)` }),
      d.slashes.length === 0
        ? h('p', { class: 'muted', text: 'None read from the chain.' })
        : listTable('detail-slashes', 'stack', ['date (chain time)', other, `amount (${d.token})`, 'of stake', 'our vault', 'tx'], d.slashes.map((x) => [h('td', { class: 'l', text: when(x.time).slice(0, 16) }), h('td', { class: 'l', text: x.other }), x.amount, pct(x.fraction, 1), x.ours ? 'yes' : 'no', h('td', { class: 'txcell' }, h('code', { class: 'tx', title: x.txHash, 'data-tx': x.txHash, text: `${x.txHash.slice(0, 6)}…${x.txHash.slice(-4)}` }))])),
      h('h3', { text: 'Our realised losses to its slashes (read from chain, cumulative)' }),
      d.losses.length === 0 ? h('p', { class: 'muted', 'data-testid': 'detail-losses', text: `None: no slash of it took stake from our vaults.` }) : h('ol', { class: 'losses', 'data-testid': 'detail-losses' }, d.losses.map((x) => h('li', { text: `${when(x.time)} (chain time): ${x.cumulative} ${d.token} in total` }))),
    ),
  ]
}

function render() {
  const st = state
  if (detail) {
    app.replaceChildren(...detailPage(st))
    paintSwatches(app)
    renderMeta()
    return
  }
  const unit = st.token
  const blocks = []
  const problems = [...(st.errors.live ? [`Chain read failed: ${st.errors.live}`] : []), ...(st.errors.runs ? [`Run store read failed: ${st.errors.runs}`] : []), ...st.warnings]
  // The latest rebalance run failed (an unknown position, a drain refused, …): a red banner, above everything else.
  if (st.failedRuns?.length)
    blocks.push(h('div', { class: 'banner failed', role: 'alert', 'data-testid': 'failed-banner' }, st.failedRuns.map((f) => h('div', { text: `Last ${f.protocol} rebalance run failed (${when(f.startedAt)}): ${f.error}` }))))
  if (problems.length) blocks.push(h('div', { class: 'banner' }, problems.map((p) => h('div', { text: p }))))
  if (controls.enabled) blocks.push(controlsBlock(st))
  // Charts are drawn at the width they get (a phone gets a narrower drawing, not a shrunken one with tiny labels).
  const chartWidth = Math.round(Math.max(280, Math.min(640, (window.innerWidth >= 1100 ? app.clientWidth / 2 : app.clientWidth) - 50)))
  for (const pos of st.positions) blocks.push(positionBlock(pos, st, unit))
  blocks.push(
    h(
      'div',
      { class: 'grid2' },
      section('Allocation over time', 'chart-allocation', h('p', { class: 'note', text: `Stake per operator after each rebalance run, and now (${unit}).` }), allocationChart(st.allocationHistory, { unit, width: chartWidth })),
      section('Yield vs risk of operators', 'chart-yield-risk', yieldRiskChart(st.operators, { unit, limit: st.policy?.maxCompoundedSlashProbability, width: chartWidth })),
    ),
  )
  if (st.positions.length) blocks.push(realisedBlock(chartWidth))
  if (st.positions.length) blocks.push(whatIfBlock(st))
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

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-autopilot-console': '1' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json().catch(() => ({})) }
}

async function prepare(order) {
  const r = await post('/api/control/prepare', order)
  pendingOrder = r.status === 200 ? r.body : { done: true, ok: false, text: `not prepared: ${r.body.error ?? r.status}${r.body.issues ? ` — ${r.body.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}` : ''}` }
  render()
}

async function confirmOrder() {
  const order = pendingOrder
  pendingOrder = { done: true, ok: true, text: 'sending…' }
  render()
  const r = await post('/api/control/confirm', { token: order.token })
  const b = r.body
  const ok = r.status >= 200 && r.status < 300
  const what = b.action === 'pause' || b.action === 'resume' ? `rebalancing ${b.paused ? 'paused' : 'resumed'}` : `${b.action ?? order.order.action}: ${b.status ?? (b.accepted ? 'queued' : '')}${b.runId ? ` (run ${b.runId})` : ''}${b.txHashes?.length ? `, ${b.txHashes.length} tx` : ''}`
  pendingOrder = { done: true, ok, text: ok ? `done — ${what}; recorded as ${b.eventId}` : `refused (HTTP ${r.status}): ${b.error ?? JSON.stringify(b)}` }
  await refresh()
}

function controlsBlock(st) {
  const paused = controls.pause?.paused
  const reason = h('input', { type: 'text', id: 'control-reason', placeholder: 'reason (recorded)', maxlength: '500', 'aria-label': 'reason' })
  const opSelect = h('select', { id: 'control-operator', 'aria-label': 'operator to de-risk' }, st.operators.map((o) => h('option', { value: o.address.toLowerCase(), text: `${o.label} (${o.stake} ${st.token})` })))
  const withReason = (order) => ({ ...order, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) })
  let confirm = null
  if (pendingOrder && !pendingOrder.done)
    confirm = h(
      'div',
      { class: 'confirm', 'data-testid': 'confirm' },
      h('p', { text: pendingOrder.summary }),
      h('p', { class: 'note', text: `Recorded in the events table as console:${pendingOrder.by}:… with the same audit trail as the signed webhook. Expires in ${pendingOrder.expiresInSeconds} s.` }),
      h('button', { class: 'danger', 'data-testid': 'confirm-yes', onclick: () => void confirmOrder() }, 'Confirm'),
      h('button', { onclick: () => { pendingOrder = null; render() } }, 'Cancel'),
    )
  else if (pendingOrder?.done) confirm = h('p', { class: pendingOrder.ok ? 'outcome ok' : 'outcome error', 'data-testid': 'control-outcome', text: pendingOrder.text })
  return section(
    'Controls',
    'controls',
    h('p', { class: 'note' }, 'Rebalancing is ', h('b', { 'data-testid': 'pause-state', text: paused ? 'paused' : 'running' }), controls.pause?.by ? ` · last change by ${controls.pause.by}${controls.pause.updatedAt ? ` at ${when(new Date(controls.pause.updatedAt).toISOString())}` : ''}` : '', ` · you act as ${controls.who}`),
    h(
      'div',
      { class: 'controls' },
      reason,
      h('button', { 'data-testid': paused ? 'resume' : 'pause', onclick: () => void prepare(withReason({ action: paused ? 'resume' : 'pause' })) }, paused ? 'Resume rebalancing…' : 'Pause rebalancing…'),
      h('span', { class: 'derisk' }, opSelect, h('button', { 'data-testid': 'derisk', onclick: () => void prepare(withReason({ action: 'derisk-operator', operator: opSelect.value })) }, 'De-risk operator…')),
    ),
    confirm,
  )
}

const yieldPct = (v) => (v === null || v === undefined ? '—' : `${v < 0 ? '−' : ''}${pct(Math.abs(v), Math.abs(v) < 0.01 ? 3 : 2)}`)

/** Realised yield and losses over chain time (what was paid and lost), beside what the runs planned. */
function realisedBlock(chartWidth) {
  const period = h('select', { id: 'realised-period', 'aria-label': 'period' }, ['day', 'week', 'month'].map((v) => h('option', { value: v, text: `per ${v}`, ...(v === yieldPeriod ? { selected: 'selected' } : {}) })))
  period.addEventListener('change', () => {
    yieldPeriod = period.value
    yieldData = null
    render()
    void loadYield()
  })
  const head = [h('p', { class: 'note', text: 'Realised: what our vaults’ stakers were paid and what they lost to slashes, read from the chain. Planned: the net yield the stored rebalance runs expected — not realised.' }), h('div', { class: 'controls' }, period)]
  const y = yieldData
  if (!y || y.period !== yieldPeriod) return section('Realised yield and losses', 'realised', ...head, h('p', { class: 'muted', text: 'reading the chain…' }))
  if (y.error) return section('Realised yield and losses', 'realised', ...head, h('p', { class: 'error', 'data-testid': 'realised-error', text: y.error }))
  const v = y.view
  const unit = v.token
  return section(
    'Realised yield and losses',
    'realised',
    ...head,
    h('p', { class: 'note', 'data-testid': 'realised-chain-time', text: `${v.chainTimeNote[0].toUpperCase()}${v.chainTimeNote.slice(1)}; chain now ${when(v.chainNow)}.` }),
    v.positions.map((pos) => {
      const t = pos.totals
      const rows = [...pos.periods].reverse().slice(0, 60)
      return h(
        'div',
        { class: 'realised-position', 'data-position': pos.id },
        h('h3', { text: `${pos.label} — ${when(t.start).slice(0, 10)} → ${when(t.end).slice(0, 10)} (chain time)` }),
        h(
          'p',
          { 'data-testid': 'realised-summary' },
          `Rewards ${t.rewards} (realised ${yieldPct(t.rewardYield)}/yr) · slashed ${t.losses} (${yieldPct(t.lossRate)}/yr) · net ${t.net} (realised ${yieldPct(t.netYield)}/yr) · planned net ${t.planned === null ? '— (no stored run)' : `${yieldPct(t.planned)}/yr (mean of ${t.plannedRuns} run plan(s))`}`,
          t.other.length ? ` · also paid: ${t.other.join(', ')} (no %/yr without a price)` : '',
        ),
        realisedChart(pos.periods, { unit, width: chartWidth }),
        listTable(
          'realised-table',
          'stack',
          [`${y.period} from (chain time)`, `rewards (${unit})`, 'realised %/yr', `slashed (${unit})`, `net (${unit})`, 'net realised %/yr', 'planned net %/yr'],
          rows.map((x) => [h('td', { class: 'l', text: `${when(x.start).slice(0, 10)}${x.partial ? ' (so far)' : ''}` }), x.rewards.replace(` ${unit}`, ''), yieldPct(x.rewardYield), x.losses.replace(` ${unit}`, ''), x.net.replace(` ${unit}`, ''), yieldPct(x.netYield), x.planned === null ? '—' : yieldPct(x.planned)]),
        ),
        pos.periods.length > rows.length ? h('p', { class: 'muted', text: `The newest ${rows.length} of ${pos.periods.length} periods; autopilot runs yield prints them all.` }) : null,
      )
    }),
    h('details', {}, h('summary', { text: 'Where these figures come from' }), h('ul', { class: 'reasons' }, v.sources.map((x) => h('li', { text: x })))),
  )
}

async function askWhatIf(kind, form) {
  whatIfResult = { loading: true }
  render()
  let res
  if (kind === 'policy') res = await fetch('/api/whatif', { method: 'POST', headers: { 'content-type': 'application/json', 'x-autopilot-console': '1' }, body: form.policy })
  else res = await fetch(`/api/whatif?${new URLSearchParams({ kind, ...form })}`)
  whatIfResult = await res.json().catch(() => ({ error: `HTTP ${res.status}` }))
  render()
}

function whatIfBlock(st) {
  const kind = h('select', { id: 'whatif-kind', 'aria-label': 'change' }, [['slash', 'slash an operator by'], ['denyService', 'deny a service'], ['denyOperator', 'deny an operator'], ['policy', 'apply an edited policy']].map(([v, t]) => h('option', { value: v, text: t })))
  const op = h('select', { id: 'whatif-operator', 'aria-label': 'operator' }, st.operators.map((o) => h('option', { value: o.address.toLowerCase(), text: o.label })))
  const fraction = h('input', { id: 'whatif-fraction', type: 'number', min: '1', max: '100', step: '1', value: '20', 'aria-label': 'slash %' })
  const svc = h('select', { id: 'whatif-service', 'aria-label': 'service' }, st.services.map((x) => h('option', { value: x.id.toLowerCase(), text: x.label })))
  const policy = h('textarea', { id: 'whatif-policy', rows: '6', 'aria-label': 'edited policy JSON', placeholder: '{ "version": 1, … } — the edited policy, planned before it is pushed' })
  const go = h('button', { 'data-testid': 'whatif-go', onclick: () => {
    const k = kind.value
    void askWhatIf(k, k === 'slash' ? { operator: op.value, fraction: String(Number(fraction.value) / 100) } : k === 'denyService' ? { service: svc.value } : k === 'denyOperator' ? { operator: op.value } : { policy: policy.value })
  } }, 'Show the plan')
  const r = whatIfResult
  let result = null
  if (r?.loading) result = h('p', { class: 'muted', text: 'planning…' })
  else if (r?.error) result = h('p', { class: 'error', 'data-testid': 'whatif-error', text: r.error })
  else if (r)
    result = h(
      'div',
      { 'data-testid': 'whatif-result' },
      h('p', {}, h('b', { text: `What if: ${r.description}` }), ' — nothing is pushed or sent.'),
      r.errors.map((e) => h('p', { class: 'error', text: e })),
      h('div', { class: 'scroll' }, h('table', { class: 'list compact' }, h('thead', {}, h('tr', {}, ['planned figure', 'today', 'with the change', 'limit'].map((t) => h('th', { text: t })))), h('tbody', {}, r.figures.map((f) => h('tr', { class: f.over ? 'over' : '', 'data-figure': f.key }, h('td', { class: 'l', text: f.label }), h('td', { text: f.before }), h('td', { text: f.after }), h('td', { text: f.limit ?? '—' })))))),
      h('h3', { text: r.moves.length ? `Plan changes (${r.moves.length}, ${r.token})` : 'The plan does not change.' }),
      r.moves.length ? h('div', { class: 'scroll' }, h('table', { class: 'list compact', 'data-testid': 'whatif-moves' }, h('thead', {}, h('tr', {}, ['service', 'operator', 'today', 'with the change', 'change'].map((t) => h('th', { text: t })))), h('tbody', {}, r.moves.map((m) => h('tr', {}, h('td', { class: 'l', text: m.service }), h('td', { class: 'l', text: m.operator }), h('td', { text: m.before }), h('td', { text: m.after }), h('td', { text: m.change })))))) : null,
    )
  return section('What if', 'whatif', h('p', { class: 'note', text: 'Plans under a hypothetical change exactly as a run would, and compares with today — before anything is pushed or sent.' }), h('div', { class: 'controls' }, kind, op, fraction, h('span', { class: 'muted', text: '%' }), svc, go), policy, result)
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
                    h('div', {}, h('span', { class: 'desc', text: a.description }), ' ', badge(a.status), a.txHash ? h('code', { class: 'tx', title: a.txHash, 'data-tx': a.txHash, text: shortHash(a.txHash) }) : null, a.gasUsed ? h('span', { class: 'muted', text: ` ${Number(a.gasUsed).toLocaleString('en-US')} gas` }) : null),
                    a.note ? h('div', { class: 'note warn', text: a.note }) : null,
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

const SLASH_COLUMNS = (unit) => ['date (chain time)', 'service', 'operator', `amount (${unit})`, 'of stake', 'tx']

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
          { class: 'list compact stack', 'data-testid': 'slash-table' },
          h('thead', {}, h('tr', {}, SLASH_COLUMNS(unit).map((t) => h('th', { text: t })))),
          h(
            'tbody',
            {},
            st.slashes.map((x) => {
              const cells = [h('td', { class: 'l', title: `${when(x.time)} chain time · block ${x.blockNumber}`, text: when(x.time).slice(0, 10) }), h('td', { class: 'l', text: x.service }), h('td', { class: 'l', text: x.operator }), h('td', { text: x.amount }), h('td', { text: pct(x.fraction, 1) }), h('td', { class: 'txcell' }, h('code', { class: 'tx', title: x.txHash, 'data-tx': x.txHash, text: `${x.txHash.slice(0, 6)}…${x.txHash.slice(-4)}` }))]
              cells.forEach((td, i) => td.setAttribute('data-col', SLASH_COLUMNS(unit)[i]))
              return h('tr', {}, cells)
            }),
          ),
          ),
        ),
  )
}

/** The policy band with what decides it (hover) and, when the plan seems to disagree, why. */
function bandCell(x) {
  return h('td', { class: 'l band' }, h('span', { class: `badge b-${x.band}`, title: x.because, 'data-band': x.band, text: x.band }), h('div', { class: 'because muted', text: x.because }), x.planNote ? h('div', { class: 'plan-note', 'data-plan-note': '', text: x.planNote }) : null)
}

function termsDetails(terms) {
  return h('details', { class: 'terms' }, h('summary', { text: 'terms' }), h('table', { class: 'terms' }, h('tbody', {}, terms.map((t) => h('tr', {}, h('td', { class: 'l', text: t.name }), h('td', { text: t.value }), h('td', { class: 'l muted', text: t.explanation }))))))
}

function servicesBlock(st) {
  return section(
    'Services: bands against the policy, scores and terms',
    'services-table',
    h('p', { class: 'note', text: 'Band: how close the service is to a limit of the policy (critical ≥ 90 % of a limit, high ≥ 70 %, medium ≥ 40 %). Risk score: 0–100 on a fixed scale, for comparison.' }),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'list' },
        h('thead', {}, h('tr', {}, ['service', 'band vs policy', 'reward %/yr', 'P(service slashes)/yr', 'severity', 'contract h', 'E[loss] %/yr', 'operators', 'slashes', 'risk score', ''].map((t) => h('th', { text: t })))),
        h(
          'tbody',
          {},
          st.services.map((x) => h('tr', { 'data-service': x.label }, h('td', { class: 'l' }, link('service', x.id, x.label)), bandCell(x), h('td', { text: pct(x.rewardRate) }), h('td', { text: pct(x.slashProbability) }), h('td', { text: pct(x.severity, 0) }), h('td', { text: `${x.contractFactor.toFixed(2)}×` }), h('td', { text: pct(x.expectedLoss, 3) }), h('td', { text: String(x.operators) }), h('td', { text: String(x.slashes) }), h('td', { text: x.score.toFixed(1) }), h('td', { class: 'l' }, termsDetails(x.terms)))),
        ),
      ),
    ),
  )
}

function operatorsBlock(st, unit) {
  return section(
    'Operators: bands against the policy, scores and terms',
    'operators-table',
    h('p', { class: 'note', text: 'P(operator slashed)/yr counts every service the operator is opted into (1 − Π(1 − p)); the risk card above counts only the services it secures for the vault.' }),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'list' },
        h('thead', {}, h('tr', {}, ['operator', 'band vs policy', 'services', 'best net yield %/yr', 'P(operator slashed)/yr, all its services', 'E[loss] %/yr (amplified)', 'concentration', `our stake (${unit})`, 'risk score', ''].map((t) => h('th', { text: t })))),
        h(
          'tbody',
          {},
          st.operators.map((o) => h('tr', { 'data-operator': o.label }, h('td', { class: 'l', title: o.address }, link('operator', o.address, o.label)), bandCell(o), h('td', { text: String(o.services) }), h('td', { text: pct(o.netYield) }), h('td', { text: pct(o.compoundedSlashProbability) }), h('td', { text: pct(o.expectedLoss, 3) }), h('td', { text: pct(o.concentration, 1) }), h('td', { text: o.stake }), h('td', { text: o.score.toFixed(1) }), h('td', { class: 'l' }, termsDetails(o.terms)))),
        ),
      ),
    ),
  )
}

renderMeta()
connect()
window.addEventListener('hashchange', route)
route()
void refresh()
// A fallback for chain changes no run records (a slash between runs): re-read every 30 s.
setInterval(() => void refresh(), 30_000)
