/**
 * `autopilot console` against tables named as a CloudFormation deployment names them (`Stack-TablesrunsTable…-…`),
 * in DynamoDB Local, with runs recorded by the real handlers' services: the page shows those runs and the live
 * chain, and pause / resume / de-risk from the page (with the confirmation step) land in the same pause flag and
 * events-table audit trail as the signed webhook; the de-risk order is published to the jobs topic (SNS double).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { type Browser, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consoleCommand } from '../../local/cli/console.js'
import type { Dashboard } from '../../local/dashboard/index.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { createTables } from '../../local/world/tables.js'
import { runRebalance, type RunRebalanceResult } from '../../shared/services/runRebalance.js'
import { runScore } from '../../shared/services/runScore.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { bigintReplacer } from '../../shared/domain/format.js'
import { ControlStore } from '../../shared/store/control.js'
import { TABLES, type TableNames } from '../../shared/store/tables.js'
import { type SnsDouble, startSnsDouble } from '../setup/snsDouble.js'
import { chain, snapshot, world } from '../setup/worldHandle.js'
import { testContext } from './helpers.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const JOBS_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:AutopilotStack-WebhookHttpJobs1A2B3C4D-Ab12Cd34Ef56'

const w = world()
const c = chain(w)
const suffix = Math.random().toString(36).slice(2, 10).toUpperCase()
// What CloudFormation names TableV2 resources: <stack>-<path><logical id><hash>-<random>.
const deployed = Object.fromEntries(TABLES.map((t) => [t.name, `AutopilotStack-Tables${t.name}Table${suffix}-1XK${suffix}Q`])) as TableNames
let revert: () => Promise<void>
let first: RunRebalanceResult
let dash: Dashboard
let stopConsole: AbortController
let exited: Promise<number>
const printed: string[] = []
let browser: Browser
let page: Page
let sns: SnsDouble
const savedEnv = { ...process.env }

beforeAll(async () => {
  revert = await snapshot(c)
  const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: w.config.dynamoEndpoint })
  await createTables(ddb, deployed)
  ddb.destroy()
  // The deployed bot's runs, recorded by the real services into the "deployed" tables.
  const ctx = testContext(w, { ...w.config, tables: deployed })
  expect((await runScore(ctx, 'schedule')).status).toBe('succeeded')
  first = await runRebalance(ctx, { trigger: 'schedule' })
  expect(first.status).toBe('succeeded')

  const dir = mkdtempSync(join(tmpdir(), 'console-'))
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...w.config, tables: undefined, dynamoEndpoint: undefined }, bigintReplacer))
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(ctx.policy))
  sns = await startSnsDouble()
  Object.assign(process.env, { AWS_ENDPOINT_URL_SNS: sns.url, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' })
  stopConsole = new AbortController()
  const io = { stdout: (s: string) => printed.push(s), stderr: (s: string) => printed.push(s) }
  const ready = new Promise<Dashboard>((resolve) => {
    exited = consoleCommand(
      [
        '--tables',
        `runs=${deployed.runs},locks=${deployed.locks},events=${deployed.events}`,
        '--dynamo-endpoint',
        w.config.dynamoEndpoint!,
        '--port',
        '0',
        '--config',
        join(dir, 'config.json'),
        '--policy',
        join(dir, 'policy.json'),
        '--as',
        'alice',
        '--jobs-topic',
        JOBS_TOPIC,
      ],
      io,
      { signal: stopConsole.signal, onListening: resolve },
    )
    void exited.then((code) => code !== 0 && resolve(Promise.reject(new Error(`console exited ${code}: ${printed.join('\n')}`))))
  })
  dash = await ready
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(dash.url)
  await page.locator('[data-testid="controls"]').waitFor()
})

afterAll(async () => {
  await browser?.close()
  stopConsole?.abort()
  await exited
  await sns?.stop()
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k]
  Object.assign(process.env, savedEnv)
  await revert?.()
})

const locks = () => new ControlStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: w.config.dynamoEndpoint }), tableName: deployed.locks })

describe('autopilot console against the deployed tables', () => {
  it('says where it reads and listens on 127.0.0.1 only', () => {
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const text = printed.join('\n')
    expect(text).toContain(`runs ${deployed.runs}`)
    expect(text).toContain('pause / resume / de-risk as alice')
  })

  it("shows the deployed bot's runs with their tx hashes, and the live chain", async () => {
    const run = page.locator(`li[data-run-id="${first.runId}"]`)
    await run.waitFor()
    for (const a of first.actions) expect(await run.locator(`[data-tx="${a.txHash}"]`).count()).toBe(1)
    expect(await page.locator('[data-testid="operators-table"] tr[data-operator]').count()).toBe(w.seeded.operators.length)
  })

  it('pauses and resumes only after the confirmation, recorded like a webhook order', async () => {
    expect((await locks().getPause()).paused).toBe(false)
    await page.locator('#control-reason').fill('incident 42')
    await page.locator('[data-testid="pause"]').click()
    await page.locator('[data-testid="confirm"]').waitFor()
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText(), not the DOM property
    expect(await page.locator('[data-testid="confirm"]').innerText()).toContain('Pause rebalancing')
    // Nothing happened yet: the order waits for its confirmation.
    expect((await locks().getPause()).paused).toBe(false)
    await page.locator('[data-testid="confirm-yes"]').click()
    await page.locator('[data-testid="control-outcome"]', { hasText: 'rebalancing paused' }).waitFor()
    const state = await locks().getPause()
    expect(state).toMatchObject({ paused: true, reason: 'incident 42' })
    expect(state.by).toMatch(/^console:alice:[0-9a-f]{32}$/)
    // The audit trail: the same events table as the webhook, source "console", done.
    const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: w.config.dynamoEndpoint })
    const ev = (await doc.send(new GetCommand({ TableName: deployed.events, Key: { eventId: state.by } }))).Item
    expect(ev).toMatchObject({ source: 'console', status: 'done' })
    doc.destroy()
    await page.locator('[data-testid="pause-state"]', { hasText: 'paused' }).waitFor()
    await page.locator('[data-testid="resume"]').click()
    await page.locator('[data-testid="confirm-yes"]').click()
    await page.locator('[data-testid="control-outcome"]', { hasText: 'rebalancing resumed' }).waitFor()
    expect((await locks().getPause()).paused).toBe(false)
  })

  it('sends a confirmed de-risk order to the jobs topic', async () => {
    const op = w.seeded.operators[0]!
    await page.locator('#control-operator').selectOption(op.address.toLowerCase())
    await page.locator('[data-testid="derisk"]').click()
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText(), not the DOM property
    expect(await page.locator('[data-testid="confirm"]').innerText()).toContain(`De-risk operator ${op.label}`)
    expect(sns.published).toHaveLength(0)
    await page.locator('[data-testid="confirm-yes"]').click()
    await page.locator('[data-testid="control-outcome"]', { hasText: 'queued' }).waitFor()
    expect(sns.published).toHaveLength(1)
    expect(sns.published[0]!.topicArn).toBe(JOBS_TOPIC)
    expect(JSON.parse(sns.published[0]!.message)).toMatchObject({ action: 'derisk-operator', operator: op.address.toLowerCase(), eventId: expect.stringMatching(/^console:alice:/) })
  })

  it('refuses control requests without the console header, from another origin, or unconfirmed', async () => {
    const post = (path: string, body: unknown, headers: Record<string, string>) => fetch(new URL(path, dash.url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    expect((await post('/api/control/prepare', { action: 'pause' }, {})).status).toBe(400)
    expect((await post('/api/control/prepare', { action: 'pause' }, { 'x-autopilot-console': '1', origin: 'http://evil.example' })).status).toBe(403)
    expect((await post('/api/control/confirm', { token: 'f'.repeat(32) }, { 'x-autopilot-console': '1' })).status).toBe(409)
    const bad = await post('/api/control/prepare', { action: 'derisk-operator', operator: '0x12' }, { 'x-autopilot-console': '1' })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await bad.json())).toContain('operator must be an address')
    // Other mutations stay refused.
    expect((await post('/api/state', {}, { 'x-autopilot-console': '1' })).status).toBe(405)
    expect((await locks().getPause()).paused).toBe(false)
  })
})
