/**
 * The curator's dashboard in a real browser (Debian's chromium driven by playwright-core) against the shared
 * local world: it shows the seeded operators and the last run's actions with their tx hashes, updates live
 * when a run happens, and is read-only and local. Saves a screenshot to .local/dashboard.png.
 */
import { request } from 'node:http'
import { mkdirSync } from 'node:fs'
import { type Browser, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runRebalance, type RunRebalanceResult } from '../../shared/services/runRebalance.js'
import { runScore } from '../../shared/services/runScore.js'
import type { AutopilotContext } from '../../shared/services/context.js'
import { type Dashboard, type YieldView, createLiveReader, createYieldReader, startDashboard } from '../../local/dashboard/index.js'
import { relabeler } from '../../local/dashboard/view.js'
import { defaultStakerRewardsAbi } from '../../local/world/abis/symbiotic.js'
import { units } from '../../shared/domain/format.js'
import { formatUnits } from 'viem'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { testContext } from './helpers.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const w = world()
const c = chain(w)
let revert: () => Promise<void>
let ctx: AutopilotContext
let first: RunRebalanceResult
let dash: Dashboard
let browser: Browser
let page: Page
const consoleErrors: string[] = []
const foreignRequests: string[] = []

beforeAll(async () => {
  revert = await snapshot(c)
  ctx = testContext(w, await withFreshTables(w))
  expect((await runScore(ctx, 'test')).status).toBe('succeeded')
  first = await runRebalance(ctx, { trigger: 'test' })
  expect(first.status).toBe('succeeded')
  expect(first.actions.length).toBeGreaterThan(0)
  dash = await startDashboard({ runs: ctx.runs, readLive: createLiveReader(ctx), readYield: createYieldReader(ctx), port: 0, pollMs: 200 })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  page.on('console', (m) => {
    // The what-if test asks for an invalid edited policy on purpose: that one 400 is the expected answer, not a page error.
    if (m.type() === 'error' && !(m.location().url.endsWith('/api/whatif') && m.text().includes('status of 400'))) consoleErrors.push(m.text())
  })
  page.on('pageerror', (e) => consoleErrors.push(e.message))
  page.on('request', (r) => {
    if (!r.url().startsWith(dash.url)) foreignRequests.push(r.url())
  })
  await page.goto(dash.url)
  await page.locator('[data-testid="operators-table"]').waitFor()
})

afterAll(async () => {
  await browser?.close()
  await dash?.stop()
  await revert?.()
})

describe('dashboard in a real browser', () => {
  it('loads and reads well: a full-page screenshot is saved under .local/', async () => {
    mkdirSync('.local', { recursive: true })
    const png = await page.screenshot({ path: '.local/dashboard.png', fullPage: true })
    expect(png.byteLength).toBeGreaterThan(50_000)
  })

  it('shows every seeded operator by label, in the scores and in the allocation', async () => {
    for (const op of w.seeded.operators) {
      expect(await page.locator(`[data-testid="operators-table"] tr[data-operator="${op.label}"]`).count()).toBe(1)
    }
    // Every operator the plan gave stake to has a row in the allocation matrix.
    const held = new Set(first.allocations.filter((a) => (a.after ?? 0n) > 0n).map((a) => w.seeded.labels[a.operator.toLowerCase()]))
    expect(held.size).toBeGreaterThan(0)
    for (const label of held) expect(await page.locator(`[data-testid="allocation"] tr[data-operator="${label}"]`).count()).toBe(1)
    // Services by label with their bands.
    const services = await page.locator('[data-testid="services-table"]').innerText()
    for (const n of w.seeded.networks) expect(services).toContain(`${n.label}/0`)
  })

  it("shows the last run's actions with their descriptions, reasons and tx hashes", async () => {
    const run = page.locator(`li[data-run-id="${first.runId}"]`)
    expect(await run.count()).toBe(1)
    const text = await run.innerText()
    for (const a of first.actions) {
      expect(a.txHash).toMatch(/^0x[0-9a-f]{64}$/)
      expect(await run.locator(`[data-tx="${a.txHash}"]`).count()).toBe(1)
      expect(text).toContain(a.description)
    }
    // Reasons are shown with labels in place of the short ids the domain writes.
    const reason = relabeler(w.config.labels)(first.actions[0]!.reasons[0]!)
    expect(reason).not.toBe(first.actions[0]!.reasons[0]!)
    expect(text).toContain(reason)
    // The run's full explanation loads on demand.
    await run.locator('details.explain summary').click()
    await run.locator('details.explain pre', { hasText: 'Actions (in execution order)' }).waitFor()
  })

  it("shows the risk figures against the policy's limits, and both charts", async () => {
    const risk = page.locator('[data-testid="risk"] [data-risk]')
    // 7 figures + MaxLoss and VaR 99 % of the plan (docs/risk.md); the security slack only with a profitFromCorruption.
    expect(await risk.count()).toBe(9)
    const text = await page.locator('[data-testid="risk"]').innerText()
    for (const label of ['Expected loss', 'Worst operator: P(slashed)/yr in this vault', 'P(vault slashed at least once / yr)', 'Concentration (Herfindahl)', 'Restaking leverage', 'Max loss', 'Slashing VaR 99 %'])
      expect(text).toContain(label)
    expect(text).toContain(`limit ${(ctx.policy.riskBudget * 100).toFixed(2)} %`)
    expect(text).toContain(`limit ${ctx.policy.leverageCap.toFixed(2)}×`)
    expect(await page.locator('[data-testid="chart-allocation"] svg path').count()).toBeGreaterThan(0)
    expect(await page.locator('[data-testid="chart-yield-risk"] svg circle').count()).toBe(w.seeded.operators.length)
    // The seeded world has slashes: they are listed with their tx.
    expect(await page.locator('[data-testid="slashes"] [data-tx]').count()).toBeGreaterThan(0)
  })

  it('bands operators and services against the policy, naming the limit that decides each band', async () => {
    const state = (await (await fetch(new URL('/api/state', dash.url))).json()) as { operators: { band: string; because: string }[]; services: { band: string; because: string }[] }
    for (const x of [...state.operators, ...state.services]) {
      expect(['low', 'medium', 'high', 'critical']).toContain(x.band)
      expect(x.because).toMatch(/maxCompoundedSlashProbability|riskBudget|caps\.perOperator|caps\.perService|deny list/)
    }
    const header = await page.locator('[data-testid="operators-table"] thead').innerText()
    expect(header).toContain('P(operator slashed)/yr, all its services')
    expect(header).not.toContain('compounded')
  })

  it('what-if: slashing an operator by 20 % shows the plan diff and the risk figures, and sends nothing', async () => {
    const nonce = await c.public.getTransactionCount({ address: w.seeded.curator.address })
    const held = first.allocations.find((a) => (a.after ?? 0n) > 0n)!
    const label = w.seeded.labels[held.operator.toLowerCase()]!
    await page.locator('#whatif-kind').selectOption('slash')
    await page.locator('#whatif-operator').selectOption(held.operator.toLowerCase())
    await page.locator('#whatif-fraction').fill('20')
    await page.locator('[data-testid="whatif-go"]').click()
    const result = page.locator('[data-testid="whatif-result"]')
    await result.waitFor()
    const text = await result.innerText()
    expect(text).toContain(`What if: slash ${label} by 20 %`)
    expect(await result.locator('tr[data-figure="lostToSlash"]').innerText()).toMatch(/lost to the slash\s+0 \S+\s+[\d,.]+ /)
    expect(await result.locator('tr[data-figure="expectedLossFraction"]').innerText()).toContain('%')
    expect(await page.locator('[data-testid="whatif-moves"] tbody tr').count()).toBeGreaterThan(0)
    // An edited policy is planned too; an invalid one is refused with its path.
    await page.locator('#whatif-kind').selectOption('policy')
    await page.locator('#whatif-policy').fill(JSON.stringify({ version: 1, caps: { perOperator: 2 } }))
    await page.locator('[data-testid="whatif-go"]').click()
    await page.locator('[data-testid="whatif-error"]', { hasText: 'caps.perOperator' }).waitFor()
    expect(await c.public.getTransactionCount({ address: w.seeded.curator.address })).toBe(nonce)
  })

  it('drill-down: a page per operator and per service with score history, opt-ins, slashes and our losses', async () => {
    const op = w.seeded.operators[0]!
    await page.locator(`[data-testid="operators-table"] tr[data-operator="${op.label}"] a[data-link="operator"]`).click()
    const detail = page.locator('[data-testid="detail"]')
    await detail.waitFor()
    expect(await detail.locator('h2').innerText()).toBe(`Operator ${op.label}`)
    expect(await detail.locator('[data-testid="detail-optins"] tbody tr').count()).toBeGreaterThan(0)
    // The score and rebalance runs recorded above carry scores: at least two history rows.
    expect(await detail.locator('[data-testid="detail-history"] tbody tr').count()).toBeGreaterThanOrEqual(2)
    expect(await detail.locator('[data-testid="detail-losses"]').count()).toBe(1)
    // From the operator to one of its services.
    await detail.locator('[data-testid="detail-optins"] a[data-link="service"]').first().click()
    await page.locator('[data-testid="detail"] h2', { hasText: 'Service ' }).waitFor()
    expect(await page.locator('[data-testid="detail-history"] th').allInnerTexts()).toContain('reward %/yr')
    await page.goto(dash.url)
    await page.locator('[data-testid="operators-table"]').waitFor()
  })

  it('realised yield and losses over chain time: token units and %/yr, labelled realised vs planned, the sums equal the chain', async () => {
    const block = page.locator('[data-testid="realised"]')
    await block.locator('[data-testid="realised-summary"]').first().waitFor()
    const summary = await block.locator('[data-testid="realised-summary"]').first().innerText()
    expect(summary).toMatch(/^Rewards [\d,.]+ \S+ \(realised [\d.]+ %\/yr\) · slashed [\d,.]+ \S+ \([\d.]+ %\/yr\) · net [+−][\d,.]+ \S+ \(realised −?[\d.]+ %\/yr\) · planned net [\d.]+ %\/yr \(mean of 1 run plan\(s\)\)$/)
    expect(await block.locator('[data-testid="realised-chain-time"]').innerText()).toMatch(/^Dates are chain time \(a reward at the capture timestamp it pays for\); chain time runs [\d.]+ days ahead of wall time here; chain now /)
    expect(await block.locator('[data-testid="realised-table"] th').allInnerTexts()).toEqual(expect.arrayContaining(['week from (chain time)', 'realised %/yr', 'planned net %/yr']))
    expect(await block.locator('[data-testid="realised-chart"] svg path').count()).toBe(3)
    const weeks = await block.locator('[data-testid="realised-table"] tbody tr').count()
    expect(weeks).toBeGreaterThan(20) // 182 days of seeded rewards
    // The totals are the exact sums of what the chain paid and slashed (bigint, formatted once).
    const rewards = (await c.public.getContractEvents({ address: w.seeded.vaults[0]!.stakerRewards, abi: defaultStakerRewardsAbi, eventName: 'DistributeRewards', fromBlock: 0n })).reduce(
      (a, l) => a + (l.args as { distributeAmount: bigint }).distributeAmount,
      0n,
    )
    const view = (await (await fetch(new URL('/api/yield?period=day', dash.url))).json()) as YieldView
    expect(view.positions[0]!.totals.rewards).toBe(`${units(rewards, 18, 4)} ${view.token}`)
    expect(view.positions[0]!.periods.reduce((a, x) => a + x.rewardsValue, 0)).toBeCloseTo(Number(formatUnits(rewards, 18)), 6)
    // Per day instead of per week: one row a day.
    await block.locator('#realised-period').selectOption('day')
    await page.locator('[data-testid="realised-table"] th', { hasText: 'day from (chain time)' }).waitFor()
    expect(await page.locator('[data-testid="realised-table"] tbody tr').count()).toBeGreaterThan(weeks)
    await block.locator('#realised-period').selectOption('week')
  })

  it('updates live when a run happens (Server-Sent Events)', async () => {
    await page.locator('.chip.live-live').waitFor()
    const next = await runRebalance(ctx, { trigger: 'test-live' })
    expect(next.status).toBe('skipped') // nothing changed on chain since the first run
    // The page hears of the run when it starts (running) and again when it ends (skipped).
    await page.locator(`li.status-skipped[data-run-id="${next.runId}"]`).waitFor()
    expect(await page.locator(`li[data-run-id="${next.runId}"]`).innerText()).toContain('noChange')
  })

  it('loaded nothing from outside and logged no errors', () => {
    expect(foreignRequests).toEqual([])
    expect(consoleErrors).toEqual([])
  })
})

describe('dashboard on a phone (390 px wide, Chromium)', () => {
  let phone: Page
  beforeAll(async () => {
    phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 })
    await phone.goto(dash.url)
    await phone.locator('[data-testid="operators-table"]').waitFor()
    await phone.locator('[data-testid="realised-chart"]').first().waitFor()
  })
  afterAll(async () => {
    await phone?.close()
  })

  it('has no horizontal page overflow (wide tables scroll inside their card); screenshot in .local/', async () => {
    // (Browser-side code as strings: this project's TypeScript has no DOM lib.)
    const { scrollWidth, clientWidth } = await phone.evaluate<{ scrollWidth: number; clientWidth: number }>('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })')
    expect(clientWidth).toBe(390)
    expect(scrollWidth).toBeLessThanOrEqual(390)
    mkdirSync('.local', { recursive: true })
    await phone.screenshot({ path: '.local/dashboard-390.png', fullPage: true })
  })

  it('draws chart labels that do not overlap each other', async () => {
    const overlaps = await phone.evaluate<string[]>(`[...document.querySelectorAll('figure svg')].flatMap((svg) => {
      const boxes = [...svg.querySelectorAll('text')].map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }))
      const out = []
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i].r, b = boxes[j].r
          if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) out.push(boxes[i].text + ' × ' + boxes[j].text)
        }
      return out
    })`)
    expect(overlaps).toEqual([])
    expect(await phone.locator('[data-testid="chart-yield-risk"] svg text.point-label').count()).toBe(w.seeded.operators.length)
  })

  it("shows the slash table's tx column whole, inside the screen", async () => {
    const tx = phone.locator('[data-testid="slash-table"] code.tx')
    expect(await tx.count()).toBeGreaterThan(0)
    const clipped = await phone.evaluate<number>(`[...document.querySelectorAll('[data-testid="slash-table"] code.tx')].filter((el) => {
      const r = el.getBoundingClientRect()
      return r.width === 0 || r.left < 0 || r.right > document.documentElement.clientWidth || el.scrollWidth > el.clientWidth + 1
    }).length`)
    expect(clipped).toBe(0)
  })
})

describe('dashboard server', () => {
  const call = (method: string, path: string, host?: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const u = new URL(path, dash.url)
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method, headers: host ? { host } : {} }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      })
      req.on('error', reject)
      req.end()
    })

  it('listens on 127.0.0.1 only', () => {
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
  })

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('is read-only: %s is refused with 405', async (method) => {
    for (const path of ['/api/state', `/api/runs/${first.runId}`, '/']) {
      const r = await call(method, path)
      expect(r.status).toBe(405)
      expect(r.headers.allow).toBe('GET, HEAD')
    }
  })

  it('refuses another Host (DNS rebinding) and unknown paths', async () => {
    expect((await call('GET', '/api/state', 'evil.example:80')).status).toBe(403)
    expect((await call('GET', '/nope')).status).toBe(404)
    expect((await call('GET', '/static/../server.ts')).status).toBe(404)
    expect((await call('GET', '/api/runs/no-such-run')).status).toBe(404)
  })

  it('serves the state as JSON with a strict CSP and no caching', async () => {
    const r = await call('GET', '/api/state')
    expect(r.status).toBe(200)
    expect(r.headers['content-security-policy']).toContain("script-src 'self'")
    expect(r.headers['cache-control']).toBe('no-store')
    const state = JSON.parse(r.body) as { operators: { label: string }[]; runs: { runId: string }[]; chain: { chainId: number } }
    expect(state.chain.chainId).toBe(w.config.chainId)
    expect(state.operators.map((o) => o.label).sort()).toEqual(w.seeded.operators.map((o) => o.label).sort())
    expect(state.runs.some((x) => x.runId === first.runId)).toBe(true)
  })
})
