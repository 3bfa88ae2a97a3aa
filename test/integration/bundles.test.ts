/**
 * The bundles CDK would ship, built with the same esbuild settings (infra/bundling.ts), each imported in a
 * fresh `node` process with a Lambda-like environment and invoked with a real event shape — EventBridge
 * Scheduler payloads for score / rebalance / watch / eigenlayer (and its watcher tick), an API Gateway HTTP API (payload
 * 2.0) request for webhook, the SNS delivery of the job it published for rebalance (and of a de-risk job for eigenlayer) — against the shared local world (SNS itself, which
 * has no local equivalent, is a test double at the SDK boundary: test/setup/snsDouble.ts). A bundling mistake (a missing module, a CommonJS
 * `require`, a top-level-await problem, a bad alias) fails here, not in production. As in AWS, the environment
 * carries no policy and no protocol config: both are read from the policies table (pushed here first).
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Address, type Hex, encodeFunctionData, keccak256, stringToHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { BUNDLE_BAR_KB, BUNDLE_BUDGET_KB, type BuiltBundle, FUNCTION_NAMES, type FunctionName, REPO_ROOT, buildFunctionBundle } from '../../infra/bundling.js'
import { schedulePayload } from '../../infra/constructs/schedules.js'
import { networkRestakeDelegatorAbi, slasherAbi } from '../../local/world/abis/symbiotic.js'
import type { Config } from '../../shared/config/config.js'
import { SIGNATURE_HEADER, signWebhook } from '../../shared/services/handleWebhook.js'
import { createDocumentClient, encodeJson } from '../../shared/store/client.js'
import { EventStore } from '../../shared/store/events.js'
import { PolicyStore } from '../../shared/store/policies.js'
import { RunStore } from '../../shared/store/runs.js'
import { snsJobDelivery } from '../../local/jobsTopic.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { startSnsDouble } from '../setup/snsDouble.js'
import { startKmsHttpDouble } from '../setup/kmsHttpDouble.js'
import { ANVIL_KEY_0 } from '../setup/eigenlayerSaga.js'
import { execSafeTransaction, safeOwners } from '../../local/world/safe.js'
import { rolesModifierAbi } from '../../shared/chain/safe/abis.js'
import { delegationManagerAbi } from '../../shared/protocols/eigenlayer/abis.js'
import { eigenLayerActor, slashEigenLayerOperator } from '../../local/world/eigenlayer.js'
import type { EigenLayerMoveState } from '../../shared/protocols/eigenlayer/saga.js'
import { SagaStore } from '../../shared/store/sagas.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'

const w = world()
const c = chain(w)
const SECRET = 'bundle-test-webhook-secret-0123456789'
const JOBS_TOPIC = 'arn:aws:sns:us-east-1:000000000000:restake-autopilot-jobs'
const policy = { ...(JSON.parse(readFileSync('local/scenarios/default.policy.json', 'utf8')) as object), notifications: { webhookUrls: [], console: false } }
const bundles = {} as Record<FunctionName, BuiltBundle>
let config: Config
let revert: () => Promise<void>

beforeAll(async () => {
  revert = await snapshot(c)
  config = await withFreshTables(w)
  const { rpcUrl: _r, tables: _t, dynamoEndpoint: _d, chainId: _c, ...protocol } = config
  const policies = new PolicyStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.policies })
  await policies.push({ kind: 'config', document: JSON.parse(encodeJson({ ...protocol, fromBlock: protocol.fromBlock.toString() })), author: 'bundles-test', now: Date.now() })
  await policies.push({ kind: 'policy', document: policy, author: 'bundles-test', now: Date.now() })
  for (const name of FUNCTION_NAMES) bundles[name] = await buildFunctionBundle(name, `${REPO_ROOT}/.local/bundles-test`)
})
afterAll(async () => {
  await revert()
})

/** Imports the bundle in a fresh node process with the Lambda-like env, calls `handler(event, context)`, returns its result. */
async function invoke(name: FunctionName, event: unknown, extraEnv: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const script = [
    `const { handler } = await import(${JSON.stringify(pathToFileURL(bundles[name].file).href)})`,
    `const result = await handler(JSON.parse(process.env.TEST_EVENT), { awsRequestId: 'bundle-test', functionName: ${JSON.stringify(name)} })`,
    `process.stdout.write('\\n__RESULT__' + JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\\n')`,
  ].join('\n')
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_NO_WARNINGS: '1',
    AWS_REGION: 'local',
    LOG_LEVEL: 'SILENT',
    // The deployment's part only (the stack sets chainId and tables; rpcUrl stands in for the RPC secret here).
    AUTOPILOT_CONFIG: encodeJson({ chainId: config.chainId, rpcUrl: config.rpcUrl, dynamoEndpoint: config.dynamoEndpoint, tables: config.tables }),
    SIGNER_PRIVATE_KEY: w.curatorKey,
    WEBHOOK_SECRET: SECRET,
    TEST_EVENT: JSON.stringify(event),
    ...extraEnv,
  }
  // Asynchronous: test doubles in this process (SNS) must answer while the bundle runs.
  const { stdout: out } = await promisify(execFile)(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { cwd: REPO_ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const line = out
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('__RESULT__'))
  if (!line) throw new Error(`no result from ${name}:\n${out}`)
  return JSON.parse(line.slice('__RESULT__'.length)) as Record<string, unknown>
}

/** An EventBridge Scheduler invocation payload, as the stack's schedule template renders it. */
function schedulerEvent(name: string): Record<string, string> {
  const template = schedulePayload(name)
  return { ...template, scheduledTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), executionId: randomUUID() }
}

/** An API Gateway HTTP API payload-2.0 event for a signed POST /webhook. */
function httpApiEvent(body: object): Record<string, unknown> {
  const raw = JSON.stringify(body)
  const now = new Date()
  return {
    version: '2.0',
    routeKey: 'POST /webhook',
    rawPath: '/webhook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook({ secret: SECRET, body: raw, timestamp: Math.floor(now.getTime() / 1000) }), 'user-agent': 'bundle-test' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'test.execute-api.local',
      http: { method: 'POST', path: '/webhook', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bundle-test' },
      requestId: randomUUID(),
      routeKey: 'POST /webhook',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: raw,
    isBase64Encoded: false,
  }
}

const nonce = () => c.public.getTransactionCount({ address: w.seeded.curator.address })
const vault = w.seeded.vaults[0]!

describe('Lambda bundles built with the stack settings, invoked with real event shapes', () => {
  it('every bundle is a single ESM file that keeps the AWS SDK external', () => {
    for (const name of FUNCTION_NAMES) {
      const code = readFileSync(bundles[name].file, 'utf8')
      expect(code).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/)
      expect(code).not.toContain('node_modules/@aws-sdk')
      expect(bundles[name].byPackage.zod).toBeGreaterThan(0)
      expect(Object.keys(bundles[name].byPackage).some((k) => k.includes('locales'))).toBe(false)
    }
  })

  it('every bundle is within its budget (docs/architecture.md, "Bars" and "Bundles"); `npm run bench` reports the sizes and init times', () => {
    // The bar is 400 KB; the three functions that plan and sign have budgets over it (BUNDLE_BUDGET_KB): where their KB
    // came from commit by commit (local/scripts/bundleSizesAt.ts), and what the ways back under the bar would cost.
    expect(BUNDLE_BUDGET_KB.score).toBe(BUNDLE_BAR_KB)
    expect(BUNDLE_BUDGET_KB.webhook).toBe(BUNDLE_BAR_KB)
    for (const name of FUNCTION_NAMES) expect(bundles[name].bytes, `${name}: ${(bundles[name].bytes / 1024).toFixed(1)} KB`).toBeLessThanOrEqual(BUNDLE_BUDGET_KB[name] * 1024)
  })

  it('one copy of @noble/curves (the version viem pins, which shared/chain/signers/der.ts imports too)', () => {
    for (const name of FUNCTION_NAMES)
      expect(
        bundles[name].inputs.filter((i) => /node_modules\/.+\/node_modules\/@noble\/curves\//.test(i)),
        name,
      ).toEqual([])
  })

  it('only the functions that send carry a signer, and only those that plan carry the planner', () => {
    const has = (name: FunctionName, part: string) => bundles[name].inputs.some((i) => i.includes(part))
    for (const name of ['rebalance', 'watch'] as const) for (const part of ['shared/chain/signers/', 'shared/execution/', 'shared/domain/solvers/']) expect(has(name, part), `${name} has ${part}`).toBe(true)
    for (const name of ['score', 'webhook'] as const) for (const part of ['shared/chain/signers/', 'shared/services/signer.ts', 'shared/execution/']) expect(has(name, part), `${name} has ${part}`).toBe(false)
    for (const part of ['shared/domain/solvers/', 'shared/domain/plan.ts', 'shared/services/runRebalance.ts']) expect(has('webhook', part), `webhook has ${part}`).toBe(false)
  })

  it('score: a Scheduler tick stores a score run, recording the policy and config versions it read from the store', async () => {
    const r = await invoke('score', schedulerEvent('score'))
    expect(r.error).toBeUndefined()
    expect(r.status).toBe('succeeded')
    const runs = new RunStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.runs })
    expect(await runs.get(r.runId as string)).toMatchObject({ policyVersion: 1, configVersion: 1 })
  })

  it('rebalance: a Scheduler tick sends the plan', async () => {
    const before = await nonce()
    const r = (await invoke('rebalance', schedulerEvent('rebalance'))) as { status: string; actions: { txHash?: string }[]; error?: unknown }
    expect(r.error).toBeUndefined()
    expect(r.status).toBe('succeeded')
    expect(await nonce()).toBe(before + r.actions.length)
  })

  it("eigenlayer: with the KMS signer (double at the SDK boundary) a tick moves stake through a staker Safe's Roles module, a later tick completes it; a derisk-operator job acts once, and its watcher tick de-risks an OperatorSlashed in that tick", async () => {
    const kms = await startKmsHttpDouble()
    try {
      // The staker Safes' owners make the KMS key a member of each Safe's role (one owner-signed Safe transaction each).
      const deployer = privateKeyToAccount(ANVIL_KEY_0)
      for (const st of w.config.eigenlayer!.positions[0]!.stakers) {
        const owners = safeOwners(`eigenlayer/staker/${w.config.labels[st.address]}`, 3)
        const data = encodeFunctionData({ abi: rolesModifierAbi, functionName: 'assignRoles', args: [kms.address, [st.roles!.roleKey], [true]] })
        await execSafeTransaction(c, deployer, { safe: st.address, owners, threshold: 2 }, { to: st.roles!.rolesModifier, data }, 'add the KMS key to the role')
      }
      await c.test.setBalance({ address: kms.address, value: 10n ** 19n })
      const env = { SIGNER_PRIVATE_KEY: '', SIGNER_KMS_KEY_ID: kms.keyId, AWS_ENDPOINT_URL_KMS: kms.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }
      type ElResult = { runId: string; status: string; error?: unknown; positions: unknown[]; moves: { status: string; sagaId?: string; from: { staker: string } }[]; resumed: { sagaId: string; status?: string }[] }
      const r = (await invoke('eigenlayer', schedulerEvent('eigenlayer'), env)) as ElResult
      expect(r.error).toBeUndefined()
      expect(r.status).toBe('succeeded')
      expect(r.positions.length).toBe(w.config.eigenlayer!.positions.length)
      const runs = new RunStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.runs })
      expect(await runs.get(r.runId)).toMatchObject({ protocol: 'eigenlayer', triggerKind: 'schedule', trigger: 'schedule:eigenlayer' })
      const started = r.moves.filter((m) => m.status === 'started')
      expect(started).toHaveLength(1)
      // Signed in KMS by the bundle, sent to the source Safe's Roles modifier.
      expect(kms.calls.filter((x) => x.command === 'Sign').length).toBeGreaterThanOrEqual(1)
      const sagas = new SagaStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.sagas })
      const saga = (await sagas.get<EigenLayerMoveState>(started[0]!.sagaId!))!
      const source = w.config.eigenlayer!.positions[0]!.stakers.find((x) => x.address === saga.state.from.staker)!
      const queueTx = await c.public.getTransaction({ hash: saga.state.steps.queue!.txHash! })
      expect(queueTx.from.toLowerCase()).toBe(kms.address.toLowerCase())
      expect(queueTx.to?.toLowerCase()).toBe(source.roles!.rolesModifier)

      // Across the delay: the next tick completes the move (complete → transfer → delegate → approve → deposit), all by the KMS key.
      const nonceBefore = await c.public.getTransactionCount({ address: kms.address })
      await c.test.mine({ blocks: 51 })
      const r2 = (await invoke('eigenlayer', schedulerEvent('eigenlayer'), env)) as ElResult
      expect(r2.error).toBeUndefined()
      expect(r2.resumed.find((x) => x.sagaId === saga.sagaId)?.status).toBe('completed')
      const done = (await sagas.get<EigenLayerMoveState>(saga.sagaId))!
      expect(done.status).toBe('completed')
      // Each step once, each signed by the KMS key (the tick may also start the next wave: the nonce moves at least 5).
      for (const step of ['complete', 'transfer', 'delegate', 'approve', 'deposit'] as const) {
        const tx = await c.public.getTransaction({ hash: done.state.steps[step]!.txHash! })
        expect(tx.from.toLowerCase(), step).toBe(kms.address.toLowerCase())
      }
      expect(await c.public.getTransactionCount({ address: kms.address })).toBeGreaterThanOrEqual(nonceBefore + 5)
      const withdrawable = await c.public.readContract({ address: w.config.eigenlayer!.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [done.state.to.staker, [done.state.strategy]] })
      expect(withdrawable[0][0]).toBe(done.state.deposited!.withdrawableSharesAfter)
      expect(done.state.deposited!.tokens).toBe(done.state.received!.tokens)

      // EigenLayer's triggers in the same bundle (issue 15 §2): our stakers holding stake now, each on its operator,
      // none with a move under way.
      const el = w.config.eigenlayer!
      const shares = async (a: Address) => (await c.public.readContract({ address: el.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [a, [el.positions[0]!.strategy]] }))[0][0]!
      const holders = async () => {
        const open = await sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting'])
        const busy = new Set(open.flatMap((x) => [x.state.from.staker, x.state.to.staker]))
        const out = []
        for (const st of el.positions[0]!.stakers) {
          const operator = (await c.public.readContract({ address: el.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [st.address] })).toLowerCase() as Address
          if ((await shares(st.address)) > 0n && !busy.has(st.address)) out.push({ staker: st.address, operator, label: w.config.labels[operator]! })
        }
        return out
      }
      // The watcher tick (the second schedule, `task: 'watch'`); the first initialises its cursor.
      const watchTick = () => invoke('eigenlayer', { ...schedulerEvent('eigenlayer-watch'), task: 'watch' }, { ...env, WATCH_CONFIRMATIONS: '0' })
      expect((await watchTick()).status).toBe('initialised')

      // The webhook's derisk-operator job, as the jobs topic delivers it (filtered to that action): run under the
      // claim `<eventId>:eigenlayer`, once; the rebalance function runs Symbiotic's part under the event itself.
      const jobbed = (await holders())[0]!
      const job = { eventId: `webhook:bundle-el-${randomUUID()}`, action: 'derisk-operator' as const, operator: jobbed.operator, reason: 'bundle test' }
      const jobsEnv = { ...env, JOBS_TOPIC_ARN: JOBS_TOPIC }
      const [outcome] = (await invoke('eigenlayer', snsJobDelivery(JOBS_TOPIC, job), jobsEnv)) as unknown as { eventId: string; status: string; runId: string; txHashes: string[]; notes?: string[] }[]
      expect(outcome).toMatchObject({ eventId: `${job.eventId}:eigenlayer`, status: 'succeeded' })
      expect(outcome!.txHashes.length).toBeGreaterThanOrEqual(1)
      expect((await c.public.getTransaction({ hash: outcome!.txHashes[0] as Hex })).from.toLowerCase()).toBe(kms.address.toLowerCase())
      expect(outcome!.notes?.some((l) => l.startsWith('Withdrawn stake stays slashable for'))).toBe(true)
      expect(await shares(jobbed.staker)).toBe(0n)
      expect(await runs.get(outcome!.runId)).toMatchObject({ protocol: 'eigenlayer', triggerKind: 'webhook', trigger: `${job.eventId}:derisk:${jobbed.operator}:eigenlayer` })
      const kmsNonce = await c.public.getTransactionCount({ address: kms.address })
      const [again] = (await invoke('eigenlayer', snsJobDelivery(JOBS_TOPIC, job), jobsEnv)) as unknown as { status: string }[]
      expect(again!.status).toBe('duplicate')
      expect(await c.public.getTransactionCount({ address: kms.address })).toBe(kmsNonce)
      const events = new EventStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.events })
      expect((await events.get(`${job.eventId}:eigenlayer`))?.status).toBe('done')
      await expect(invoke('eigenlayer', snsJobDelivery(`${JOBS_TOPIC}-other`, job), jobsEnv)).rejects.toThrow(/unexpected topic/)

      // Across the delay a rebalance tick completes the open moves (the exit redelegates the staker). Then an AVS slashes
      // the operator a staker of ours delegates to, and the next watcher tick de-risks in that tick (zero-out: the
      // staker's exit saga queues its withdrawal, signed in KMS through its Roles modifier).
      await c.test.mine({ blocks: 51 })
      expect(((await invoke('eigenlayer', schedulerEvent('eigenlayer'), env)) as ElResult).error).toBeUndefined()
      const slashed = (await holders())[0]!
      const avs = { 'el-op-a': 'eigen-oracle', 'el-op-b': 'eigen-oracle', 'el-op-c': 'eigen-da' }[slashed.label]!
      const slashTx = await slashEigenLayerOperator(c, { allocationManager: el.allocationManager, strategy: el.positions[0]!.strategy }, eigenLayerActor(`avs/${avs}`), 0, slashed.operator, 0.2)
      const tick = (await watchTick()) as { status: string; events: { kind: string; txHash: string; held: boolean; outcome?: string }[]; derisk?: { protocol: string; status: string; runId: string; txHashes: string[] }; error?: unknown }
      expect(tick.error).toBeUndefined()
      expect(tick.status).toBe('advanced')
      expect(tick.events.find((e) => e.txHash === slashTx)).toMatchObject({ kind: 'OperatorSlashed', held: true, outcome: 'derisked' })
      expect(tick.derisk).toMatchObject({ protocol: 'eigenlayer', status: 'succeeded' })
      expect(tick.derisk!.txHashes.length).toBeGreaterThanOrEqual(1)
      expect((await c.public.getTransaction({ hash: tick.derisk!.txHashes[0] as Hex })).from.toLowerCase()).toBe(kms.address.toLowerCase())
      expect(await shares(slashed.staker)).toBe(0n)
      expect(await runs.get(tick.derisk!.runId)).toMatchObject({ protocol: 'eigenlayer', triggerKind: 'watch' })
      expect((await watchTick()).derisk).toBeUndefined() // acted once
    } finally {
      await kms.stop()
    }
  })

  it('webhook → jobs topic → rebalance: a signed derisk-operator request is queued on SNS; its delivery de-risks on chain, once', async () => {
    const op = w.seeded.operators.find((o) => o.label === 'op-delta')!.address.toLowerCase() as Address
    const stakes = () => Promise.all(w.seeded.networks.flatMap((n) => n.subnetworks).map((s) => c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [s.id, op] })))
    expect((await stakes()).some((s) => s > 0n)).toBe(true)
    const sns = await startSnsDouble()
    try {
      const aws = { JOBS_TOPIC_ARN: JOBS_TOPIC, AWS_ENDPOINT_URL_SNS: sns.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }
      const before = await nonce()
      const id = `bundle-${randomUUID()}`
      const http = (await invoke('webhook', httpApiEvent({ id, action: 'derisk-operator', operator: op }), aws)) as { statusCode: number; body: string; headers: Record<string, string> }
      expect(http.statusCode).toBe(202)
      expect(http.headers['content-type']).toBe('application/json')
      expect(sns.published).toHaveLength(1)
      expect(sns.published[0]!.topicArn).toBe(JOBS_TOPIC)
      expect(JSON.parse(http.body)).toMatchObject({ eventId: `webhook:${id}`, action: 'derisk-operator', accepted: true, messageId: sns.published[0]!.messageId })
      expect(await nonce()).toBe(before) // queued, nothing sent yet

      const forged = (await invoke('webhook', { ...httpApiEvent({ id: 'x', action: 'pause' }), body: JSON.stringify({ id: 'x', action: 'resume' }) }, aws)) as { statusCode: number }
      expect(forged.statusCode).toBe(401)
      expect(sns.published).toHaveLength(1)

      // SNS delivers the published message to the rebalance function (at least once: here twice).
      const delivery = snsJobDelivery(JOBS_TOPIC, JSON.parse(sns.published[0]!.message) as never)
      const [outcome] = (await invoke('rebalance', delivery, { JOBS_TOPIC_ARN: JOBS_TOPIC })) as unknown as { status: string; eventId: string; txHashes: string[] }[]
      expect(outcome).toMatchObject({ eventId: `webhook:${id}`, status: 'succeeded' })
      expect(outcome!.txHashes.length).toBeGreaterThan(0)
      expect(await stakes()).toEqual((await stakes()).map(() => 0n))
      const sent = await nonce()
      const [again] = (await invoke('rebalance', delivery, { JOBS_TOPIC_ARN: JOBS_TOPIC })) as unknown as { status: string }[]
      expect(again!.status).toBe('duplicate')
      expect(await nonce()).toBe(sent)
      const events = new EventStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.events })
      expect((await events.get(`webhook:${id}`))?.status).toBe('done')

      // Without a jobs topic the webhook cannot queue: 500, and the id is freed for a retry; nothing ran.
      const orphan = `bundle-${randomUUID()}`
      const refused = (await invoke('webhook', httpApiEvent({ id: orphan, action: 'rebalance' }))) as { statusCode: number; body: string }
      expect(refused.statusCode).toBe(500)
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'job not dispatched; retry with the same id', eventId: `webhook:${orphan}` })
      expect((await events.get(`webhook:${orphan}`))?.status).toBe('failed')
      expect(sns.published).toHaveLength(1)
      expect(await nonce()).toBe(sent)

      // A delivery from any other topic runs nothing.
      await expect(invoke('rebalance', snsJobDelivery(`${JOBS_TOPIC}-other`, { eventId: 'webhook:other', action: 'rebalance' }), { JOBS_TOPIC_ARN: JOBS_TOPIC })).rejects.toThrow(/unexpected topic/)
      expect(await nonce()).toBe(sent)
    } finally {
      await sns.stop()
    }
  })

  it('watch: Scheduler ticks initialise the cursor, then answer a real slash with a de-risk', async () => {
    expect((await invoke('watch', schedulerEvent('watch'))).status).toBe('initialised')
    const net = w.seeded.networks.find((n) => n.label === 'oracle-net')!
    const sn = net.subnetworks[0]!.id
    const op = w.seeded.operators.find((o) => o.label === 'op-atlas')!.address
    const middleware = privateKeyToAccount(keccak256(stringToHex(`restake-autopilot/local/middleware/${net.label}`)))
    const capture = Number((await c.public.getBlock({ blockTag: 'latest' })).timestamp) - 1
    const captured = await c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stakeAt', args: [sn, op, capture, '0x'] })
    expect(captured).toBeGreaterThan(0n)
    const { request } = await c.public.simulateContract({ account: middleware, address: vault.slasher, abi: slasherAbi, functionName: 'slash', args: [sn, op, captured / 10n, capture, '0x'] })
    await c.public.waitForTransactionReceipt({ hash: await c.wallet.writeContract(request) })
    await c.test.mine({ blocks: config.confirmations })

    const r = (await invoke('watch', schedulerEvent('watch'))) as { status: string; derisk?: { status: string; txHashes: string[] } }
    expect(r.status).toBe('advanced')
    expect(r.derisk?.status).toBe('succeeded')
    expect(await c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, op] })).toBe(0n)
  })
})
