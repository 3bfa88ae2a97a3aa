/**
 * The fault suite: real Anvil (with the real Symbiotic core) and real DynamoDB Local, faults injected by an RPC proxy,
 * SIGKILLs at the executor's kill points, concurrent invocations, stuck transactions, reorgs and reverts. Every case
 * is counted from the chain and the tables (ledger.ts); the suite ends by printing one summary line.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type Hex, parseGwei, parseTransaction } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { networkRestakeDelegatorAbi } from '../../local/world/abis/symbiotic.js'
import { createReader } from '../../shared/chain/client.js'
import type { ExecutorEvent } from '../../shared/execution/settleIntent.js'
import type { ExecutorOptions } from '../../shared/execution/options.js'
import { OPERATOR_NETWORK_SHARES_SET_ROLE } from '../../shared/protocols/symbiotic/roles.js'
import type { Config } from '../../shared/config/config.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { LockStore } from '../../shared/store/locks.js'
import { composeStores } from '../../shared/services/compose.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { runRebalance } from '../../shared/services/runRebalance.js'
import { defaultPolicy, testContext } from '../integration/helpers.js'
import { spawnBot } from './child.js'
import { type JobDeps, type JobResult, type JobTarget, readShares, runJob, targetCall } from './job.js'
import { type CaseObservation, observe, startMark } from './ledger.js'
import { type FaultRule, type RpcProxy, startRpcProxy } from './rpcProxy.js'

const w = world()
const c = chain(w)
const curator = privateKeyToAccount(w.curatorKey)
const delegator = w.seeded.vaults[0]!.delegator
const pairs = w.seeded.networks.flatMap((n) => n.subnetworks.map((s) => s.id)).flatMap((subnetwork) => w.seeded.operators.map((o) => ({ subnetwork, operator: o.address })))

/** Short waits for a local node; nothing asserts on durations. */
const FAST: ExecutorOptions = { pollMs: 40, rpcBackoffMs: 40, rebroadcastEveryMs: 400, replaceAfterMs: 60_000, giveUpAfterMs: 90_000, supersedeChecks: 5, leaseMs: 30_000 }

const summary = { cases: 0, intended: 0, mined: 0, doubleSends: 0, lostRecords: 0 }
let proxy: RpcProxy
let revert: () => Promise<void>
let nextBaseFee = 0n
const pendingBaseFee = async (): Promise<bigint> => (await c.public.getBlock({ blockTag: 'pending' })).baseFeePerGas ?? 0n
let salt = 0n

/** `n` targets that differ from whatever is on chain (values unique per case). */
function targets(n: number): JobTarget[] {
  salt++
  return pairs.slice(0, n).map((p, k) => ({ ...p, shares: 10n ** 18n * BigInt(7 + k) + salt }))
}

interface Case {
  config: Config
  doc: DynamoDBDocumentClient
  deps: (p?: { rpcUrl?: string; timeoutMs?: number; options?: ExecutorOptions; confirmations?: number; feeCap?: bigint; onEvent?: (e: ExecutorEvent) => void }) => JobDeps
  start: { block: bigint; nonce: number }
}

async function newCase(): Promise<Case> {
  const config = await withFreshTables(w)
  const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint })
  const start = await startMark(c.public, curator.address)
  const deps: Case['deps'] = (p = {}) => {
    const { intents, runs, locks } = composeStores({ dynamo: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tables: config.tables })
    return {
      client: createReader({ rpcUrl: p.rpcUrl ?? config.rpcUrl, chainId: config.chainId, timeoutMs: p.timeoutMs ?? 1000 }),
      account: curator,
      intents,
      runs,
      locks,
      delegator,
      confirmations: p.confirmations,
      feeCap: p.feeCap,
      options: p.options ?? FAST,
      onEvent: p.onEvent,
    }
  }
  return { config, doc, deps, start }
}

/** Observes the case, adds it to the summary, and asserts exactly-once on what was observed. */
async function settleCase(k: Case, p: { intended: number; targets: readonly JobTarget[]; reached?: boolean; external?: Hex[] }): Promise<CaseObservation> {
  const obs = await observe({ client: c.public, doc: k.doc, tables: k.config.tables, signer: curator.address, start: k.start, intended: p.intended, delegator, targets: p.targets, external: p.external })
  summary.cases++
  summary.intended += obs.intended
  summary.mined += obs.mined
  summary.doubleSends += obs.doubleSends
  summary.lostRecords += obs.lostRecords
  expect(obs.detail).toEqual([])
  expect(obs.doubleSends).toBe(0)
  expect(obs.lostRecords).toBe(0)
  expect(obs.noNonceGap).toBe(true)
  expect(obs.mined).toBe(p.intended)
  expect(obs.targetsReached).toBe(p.reached ?? true)
  return obs
}

/** Runs jobs until one is not turned away by a live lease (the killed bot's lease must run out first). */
async function runAfterLease(deps: JobDeps, t: JobTarget[]): Promise<JobResult> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = await runJob(deps, t)
    if (r.reason !== 'lockBusy') return r
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the lock never became free')
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  proxy = await startRpcProxy(w.config.rpcUrl)
})
afterAll(async () => {
  await proxy?.close()
  console.log(`faults: cases=${summary.cases} intended=${summary.intended} mined=${summary.mined} doubleSends=${summary.doubleSends} lostRecords=${summary.lostRecords}`)
})
beforeEach(async () => {
  revert = await snapshot(c)
  nextBaseFee = await pendingBaseFee()
  proxy.setFaults([])
})
afterEach(async () => {
  proxy.setFaults([])
  await c.test.setAutomine(true)
  await revert()
  // evm_revert does not restore Anvil's next-block base fee: put it back so later files are not priced out.
  await c.public.request({ method: 'anvil_setNextBlockBaseFeePerGas' as never, params: [`0x${nextBaseFee.toString(16)}`] as never })
})

describe('RPC faults through a proxy: each intended call mined exactly once, no nonce gap', () => {
  const cases: [string, FaultRule[], number][] = [
    ['no fault (baseline)', [], 3],
    [
      'HTTP 503 on send, receipt, estimate and nonce',
      [
        { method: 'eth_sendRawTransaction', fault: 'http503', times: 4 },
        { method: 'eth_getTransactionReceipt', fault: 'http503', times: 4 },
        { method: 'eth_estimateGas', fault: 'http503', times: 2 },
        { method: 'eth_getTransactionCount', fault: 'http503', times: 2 },
      ],
      3,
    ],
    [
      'timeouts: the send reaches the node, the answer never comes back',
      [
        { method: 'eth_sendRawTransaction', fault: 'timeout', times: 3, holdMs: 3000 },
        { method: 'eth_getTransactionReceipt', fault: 'timeout', times: 1, holdMs: 3000 },
      ],
      3,
    ],
    [
      'dropped connections, before and after the node saw the request',
      [
        { method: 'eth_sendRawTransaction', fault: 'dropAfter', times: 3 },
        { method: 'eth_getTransactionCount', fault: 'dropBefore', times: 2 },
        { method: 'eth_getTransactionReceipt', fault: 'dropAfter', times: 2 },
      ],
      3,
    ],
    ['lying node: stale eth_getTransactionCount after the first answer', [{ method: 'eth_getTransactionCount', fault: 'staleNonce', skip: 1, times: 1000 }], 3],
    ['lying node: no receipt for mined transactions', [{ method: 'eth_getTransactionReceipt', fault: 'nullReceipt', times: 12 }], 3],
    [
      'everything at once',
      [
        { method: 'eth_sendRawTransaction', fault: 'timeout', times: 1, holdMs: 3000 },
        { method: 'eth_sendRawTransaction', fault: 'dropAfter', times: 1, skip: 1 },
        { method: 'eth_sendRawTransaction', fault: 'http503', times: 2, skip: 2 },
        { method: 'eth_getTransactionReceipt', fault: 'nullReceipt', times: 6 },
        { method: 'eth_getTransactionCount', fault: 'staleNonce', skip: 1, times: 1000 },
        { method: 'eth_estimateGas', fault: 'dropBefore', times: 1 },
      ],
      4,
    ],
  ]
  it.each(cases)('%s', async (_name, rules, n) => {
    const k = await newCase()
    const t = targets(n)
    proxy.setFaults(rules)
    const result = await runJob(k.deps({ rpcUrl: proxy.url }), t)
    const injected = proxy.stats().injected
    proxy.setFaults([])
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('succeeded')
    // The faults really happened.
    for (const r of rules) expect(injected[`${r.method}:${r.fault}`] ?? 0, `${r.method}:${r.fault}`).toBeGreaterThan(0)
    await settleCase(k, { intended: n, targets: t })
  })

  it('lying node: a gas estimate that is not a quantity fails the run before anything is signed; an honest node then sends each call once', async () => {
    const k = await newCase()
    const t = targets(2)
    proxy.setFaults([{ method: 'eth_estimateGas', fault: 'notQuantity', times: 1000 }])
    const lied = await runJob(k.deps({ rpcUrl: proxy.url }), t)
    expect(proxy.stats().injected['eth_estimateGas:notQuantity'] ?? 0).toBeGreaterThan(0)
    proxy.setFaults([])
    expect(lied.status).toBe('failed')
    expect(lied.error?.name).toBe('ChainReadError')
    expect(lied.error?.message).toMatch(/gas estimate[\s\S]*"lots"/)
    expect(lied.executed).toEqual([])
    expect(await c.public.getTransactionCount({ address: curator.address })).toBe(k.start.nonce)
    const honest = await runJob(k.deps(), t)
    expect(honest.status).toBe('succeeded')
    await settleCase(k, { intended: 2, targets: t })
  })

  it('a slow node: the call is estimated in one second and mined in the next; the gas limit covers the new checkpoints', async () => {
    const k = await newCase()
    const [pair] = pairs
    // The previous write of this (subnetwork, operator) and of the subnetwork total sit in the latest block, at T...
    const prior = await c.wallet.writeContract({
      account: curator,
      chain: c.wallet.chain,
      address: delegator,
      abi: networkRestakeDelegatorAbi,
      functionName: 'setOperatorNetworkShares',
      args: [pair!.subnetwork, pair!.operator, 5n * 10n ** 18n + ++salt],
      gas: 1_000_000n,
    })
    const { blockNumber } = await c.public.waitForTransactionReceipt({ hash: prior })
    const t = (await c.public.getBlock({ blockNumber })).timestamp
    // ...the node's clock reads T when it estimates, so it prices an in-place checkpoint update (≈ 58k gas); the send
    // is held past the second, the block is at T + 1 and the write pushes new checkpoints (≈ 155k gas).
    // With the former 20 % margin this transaction reverted out of gas.
    const setClock = async () => {
      await c.public.request({ method: 'evm_setTime' as never, params: [Number(t)] as never })
    }
    proxy.setFaults([
      { method: 'eth_estimateGas', fault: 'hook', times: 1, run: setClock },
      { method: 'eth_sendRawTransaction', fault: 'delay', times: 1, holdMs: 1300 },
    ])
    const target = [{ ...pair!, shares: 6n * 10n ** 18n + salt }]
    const result = await runJob(k.deps({ rpcUrl: proxy.url, timeoutMs: 5000 }), target)
    expect(proxy.stats().injected).toMatchObject({ 'eth_estimateGas:hook': 1, 'eth_sendRawTransaction:delay': 1 })
    proxy.setFaults([])
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('succeeded')
    const receipt = await c.public.getTransactionReceipt({ hash: result.executed[0]!.txHash })
    expect((await c.public.getBlock({ blockNumber: receipt.blockNumber })).timestamp).toBeGreaterThan(t)
    expect(receipt.gasUsed).toBeGreaterThan(120_000n) // new checkpoints were pushed: the case really happened
    await settleCase(k, { intended: 1, targets: target, external: [prior] })
  })

  it('lying node from the very first answer on a later run: the stored next nonce wins', async () => {
    const k = await newCase()
    const first = targets(2)
    expect((await runJob(k.deps({ rpcUrl: proxy.url }), first)).status).toBe('succeeded')
    const second = targets(2).map((x) => ({ ...x, shares: x.shares + 1n }))
    proxy.setFaults([{ method: 'eth_getTransactionCount', fault: 'staleNonce', times: 1000 }])
    const result = await runJob(k.deps({ rpcUrl: proxy.url }), second)
    expect(proxy.stats().injected['eth_getTransactionCount:staleNonce'] ?? 0).toBeGreaterThan(0)
    proxy.setFaults([])
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('succeeded')
    await settleCase(k, { intended: 4, targets: second })
  })
})

describe('SIGKILL at each kill point: the next run finishes the job, no double send, complete record', () => {
  // [kill point, intents the killed run had persisted, intents the next run had to resume]
  it.each([
    ['after-sign@2', 1, 0],
    ['after-persist@2', 2, 1],
    ['after-broadcast@2', 2, 1],
    ['after-persist@1', 1, 1],
  ] as const)('killed %s', async (crashAt, persisted, resumed) => {
    const k = await newCase()
    const t = targets(3)
    const bot = spawnBot({ rpcUrl: k.config.rpcUrl, chainId: k.config.chainId, dynamoEndpoint: k.config.dynamoEndpoint!, tables: k.config.tables, key: w.curatorKey, delegator, targets: t, options: { ...FAST, leaseMs: 1500 } }, { crashAt })
    const killed = await bot.done
    expect(killed.signal, killed.output).toBe('SIGKILL')
    const crashedRun = (await k.deps().runs.list('rebalance')).find((r) => r.status === 'running')
    expect(crashedRun).toBeDefined()

    const next = await runAfterLease(k.deps(), t)
    expect(next.error).toBeUndefined()
    expect(next.status).toBe('succeeded')
    const obs = await settleCase(k, { intended: 3, targets: t })
    // The crashed run is closed with what it had persisted, and points at the run that finished the job.
    const closed = await k.deps().runs.get(crashedRun!.runId)
    expect(closed?.status).toBe('failed')
    expect(closed?.error?.name).toBe('RunInterruptedError')
    expect(closed?.error?.message).toContain(next.runId)
    const persistedByCrashed = obs.intents.filter((i) => i.runId === crashedRun!.runId)
    expect(persistedByCrashed.every((i) => i.status === 'mined')).toBe(true)
    expect(persistedByCrashed.length).toBe(persisted)
    expect(next.resumed).toBe(resumed)
  })

  it('an open intent whose nonce another transaction took is closed as superseded, and the job still completes once', async () => {
    const k = await newCase()
    const t = targets(1)
    const bot = spawnBot(
      { rpcUrl: k.config.rpcUrl, chainId: k.config.chainId, dynamoEndpoint: k.config.dynamoEndpoint!, tables: k.config.tables, key: w.curatorKey, delegator, targets: t, options: { ...FAST, leaseMs: 1500 } },
      { crashAt: 'after-persist@1' },
    )
    expect((await bot.done).signal).toBe('SIGKILL')
    // Someone uses the signer's key by hand before the next run: the persisted intent's nonce is gone.
    const manual = await c.wallet.sendTransaction({ account: curator, chain: c.wallet.chain, to: curator.address, value: 0n })
    await c.public.waitForTransactionReceipt({ hash: manual })
    const next = await runAfterLease(k.deps(), t)
    expect(next.status).toBe('succeeded')
    const obs = await settleCase(k, { intended: 1, targets: t, external: [manual] })
    const superseded = obs.intents.filter((i) => i.status === 'superseded')
    expect(superseded.length).toBe(1)
    expect(superseded[0]!.reason).toContain(`nonce ${superseded[0]!.nonce}`)
    expect(superseded[0]!.settledBy).toBe(next.runId)
  })
})

describe('two rebalance invocations at once', () => {
  it('two processes: one wins the lock, the other exits cleanly having sent nothing', async () => {
    const k = await newCase()
    const t = targets(3)
    const cfg = { rpcUrl: k.config.rpcUrl, chainId: k.config.chainId, dynamoEndpoint: k.config.dynamoEndpoint!, tables: k.config.tables, key: w.curatorKey, delegator, targets: t, options: FAST, wait: true }
    const a = spawnBot(cfg)
    const b = spawnBot(cfg)
    await Promise.all([a.ready, b.ready])
    a.go()
    b.go()
    const [ra, rb] = await Promise.all([a.done, b.done])
    expect(ra.code, ra.output).toBe(0)
    expect(rb.code, rb.output).toBe(0)
    const outcomes = [ra.result!, rb.result!].map((r) => `${r.status}${r.reason ? `:${r.reason}` : ''}`).sort()
    expect(outcomes).toEqual(['skipped:lockBusy', 'succeeded'])
    const loser = [ra.result!, rb.result!].find((r) => r.status === 'skipped')!
    expect(loser.executed).toEqual([])
    expect(loser.error?.name).toBe('LockBusyError')
    await settleCase(k, { intended: 3, targets: t })
  })

  it('two in-process runs racing: same outcome', async () => {
    const k = await newCase()
    const t = targets(2)
    const results = await Promise.all([runJob(k.deps(), t), runJob(k.deps(), t)])
    expect(results.map((r) => `${r.status}${r.reason ? `:${r.reason}` : ''}`).sort()).toEqual(['skipped:lockBusy', 'succeeded'])
    await settleCase(k, { intended: 2, targets: t })
  })
})

describe('stuck and reorged transactions', () => {
  it('a transaction not mined by its deadline is replaced at the same nonce (fees +≥12.5 %); one of the two is mined, both recorded', async () => {
    const k = await newCase()
    const t = targets(1)
    await c.test.setAutomine(false)
    const events: ExecutorEvent[] = []
    const deps = k.deps({ options: { ...FAST, replaceAfterMs: 300 }, onEvent: (e) => events.push(e) })
    const job = runJob(deps, t)
    // Wait (by state, not by time) until the executor has recorded a replacement, then let a block be mined.
    while (!(await deps.intents.listOpen()).some((i) => i.txHashes.length >= 2)) await sleep(50)
    await c.test.mine({ blocks: 1 })
    await c.test.setAutomine(true)
    const result = await job
    expect(result.status).toBe('succeeded')
    const obs = await settleCase(k, { intended: 1, targets: t })
    const intent = obs.intents[0]!
    expect(intent.txHashes.length).toBeGreaterThanOrEqual(2)
    expect(intent.replacements).toBe(intent.txHashes.length - 1)
    expect(obs.minedTxs.length).toBe(1)
    expect(intent.txHashes).toContain(obs.minedTxs[0]!.hash)
    expect(intent.minedTxHash).toBe(obs.minedTxs[0]!.hash)
    expect(obs.minedTxs[0]!.nonce).toBe(intent.nonce)
    // Every replacement: same nonce, both fees at least 12.5 % above the signature it replaced.
    const signed = events.find((e) => e.type === 'signed')
    const replacements = events.filter((e) => e.type === 'replaced')
    expect(signed?.type).toBe('signed')
    expect(replacements.length).toBe(intent.txHashes.length - 1)
    let prev = signed!.type === 'signed' ? { maxFeePerGas: signed!.maxFeePerGas, maxPriorityFeePerGas: signed!.maxPriorityFeePerGas, txHash: signed!.txHash } : undefined
    for (const r of replacements) {
      if (r.type !== 'replaced') continue
      expect(r.previousTxHash).toBe(prev!.txHash)
      expect(r.maxFeePerGas * 1000n).toBeGreaterThanOrEqual(prev!.maxFeePerGas * 1125n)
      expect(r.maxPriorityFeePerGas * 1000n).toBeGreaterThanOrEqual(prev!.maxPriorityFeePerGas * 1125n)
      prev = { maxFeePerGas: r.maxFeePerGas, maxPriorityFeePerGas: r.maxPriorityFeePerGas, txHash: r.txHash }
    }
    // The hashes that were not mined can never be: their nonce is used.
    for (const h of intent.txHashes.filter((h) => h !== intent.minedTxHash)) {
      expect(await c.public.getTransaction({ hash: h as Hex }).catch(() => undefined)).toBeUndefined()
    }
    expect(parseTransaction(intent.rawTx as Hex).nonce).toBe(intent.nonce)
  })

  it("a base fee that rises above the transaction's max fee: replaced with fees that fit (under the policy cap), one mined, all recorded", async () => {
    const k = await newCase()
    const t = targets(1)
    await c.test.setAutomine(false)
    const deps = k.deps({ options: { ...FAST, replaceAfterMs: 300 }, feeCap: parseGwei('100') })
    const job = runJob(deps, t)
    while ((await deps.intents.listOpen()).length === 0) await sleep(30)
    const [first] = await deps.intents.listOpen()
    const high = parseGwei('20')
    expect(BigInt(first!.maxFeePerGas!)).toBeLessThan(high)
    // The next block's base fee jumps above what the transaction may pay: it is mined without it.
    await c.public.request({ method: 'anvil_setNextBlockBaseFeePerGas' as never, params: [`0x${high.toString(16)}`] as never })
    await c.test.mine({ blocks: 1 })
    expect(await c.public.getTransactionCount({ address: curator.address })).toBe(k.start.nonce)
    while (!(await deps.intents.listOpen()).some((i) => BigInt(i.maxFeePerGas!) >= high)) await sleep(30)
    await c.test.mine({ blocks: 1 })
    await c.test.setAutomine(true)
    const result = await job
    expect(result.status).toBe('succeeded')
    const obs = await settleCase(k, { intended: 1, targets: t })
    const intent = obs.intents[0]!
    expect(intent.txHashes.length).toBeGreaterThanOrEqual(2)
    expect(intent.minedTxHash).toBe(intent.txHashes.at(-1))
    expect(intent.minedTxHash).not.toBe(first!.txHash)
    expect(BigInt(intent.maxFeePerGas!)).toBeLessThanOrEqual(parseGwei('100'))
  })

  it('a reorg that drops the mined transaction is noticed; the same signed bytes are re-broadcast and confirmed at depth', async () => {
    const k = await newCase()
    const t = targets(1)
    const beforeJob = await c.test.snapshot()
    let included: (e: ExecutorEvent) => void = () => undefined
    const sawIncluded = new Promise<ExecutorEvent>((resolve) => (included = resolve))
    const events: ExecutorEvent[] = []
    const deps = k.deps({
      confirmations: 3,
      onEvent: (e) => {
        events.push(e)
        if (e.type === 'included') included(e)
      },
    })
    let done = false
    const job = runJob(deps, t).finally(() => (done = true))
    const first = await sawIncluded
    await c.test.revert({ id: beforeJob }) // the block holding our transaction is gone
    while (!done) {
      await c.test.mine({ blocks: 1 })
      await sleep(60)
    }
    const result = await job
    expect(result.status).toBe('succeeded')
    expect(events.some((e) => e.type === 'reorged')).toBe(true)
    const obs = await settleCase(k, { intended: 1, targets: t })
    const intent = obs.intents[0]!
    expect(intent.reorgs).toBeGreaterThanOrEqual(1)
    expect(intent.txHashes.length).toBe(1) // not re-signed: the same bytes went back
    expect(intent.minedTxHash).toBe(first.type === 'included' ? first.txHash : undefined)
    const head = await c.public.getBlockNumber({ cacheTime: 0 })
    expect(head).toBeGreaterThanOrEqual(BigInt(intent.blockNumber!) + 2n)
  })
})

describe('receipts that lie: the record follows the chain, cross-checked after sending', () => {
  it('a node answering `reverted` for calls whose effect the chain shows: recorded mined with the contradiction, each call sent once', async () => {
    const k = await newCase()
    const t = targets(3)
    const deps = k.deps({ rpcUrl: proxy.url })
    proxy.setFaults([{ method: 'eth_getTransactionReceipt', fault: 'flipReceipt', times: 1000 }])
    const result = await runJob(deps, t)
    expect(proxy.stats().injected['eth_getTransactionReceipt:flipReceipt'] ?? 0).toBeGreaterThan(0)
    proxy.setFaults([])
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('succeeded')
    expect(result.executed.map((e) => e.verification)).toEqual(['contradicted', 'contradicted', 'contradicted'])
    const obs = await settleCase(k, { intended: 3, targets: t })
    expect(obs.minedTxs.every((tx) => tx.status === 'success')).toBe(true) // the chain: every call applied
    for (const i of obs.intents) {
      expect(i).toMatchObject({ status: 'mined', receiptStatus: 'reverted', verification: 'contradicted' })
      expect(i.reason).toMatch(/^receipt said reverted, chain shows effect applied: operatorNetworkShares\(0x[0-9a-f]+, 0x[0-9a-f]+\) holds the value the call set at block \d+; recorded as mined$/i)
    }
    const run = await deps.runs.get(result.runId)
    expect(run?.actions?.map((a) => a.note)).toEqual(obs.intents.sort((a, b) => a.actionIndex - b.actionIndex).map((i) => i.verificationNote))
  })

  it('without an effect check the chain cannot tell: the record follows the receipt and says it is unverified; the next run sends only what is missing', async () => {
    const k = await newCase()
    const t = targets(2)
    proxy.setFaults([{ method: 'eth_getTransactionReceipt', fault: 'flipReceipt', times: 1000 }])
    const lied = await runJob(k.deps({ rpcUrl: proxy.url }), t, { effect: false })
    proxy.setFaults([])
    expect(lied.status).toBe('failed')
    expect(lied.error?.name).toBe('TransactionRevertedError')
    expect(lied.error?.message).toContain('receipt says reverted; unverified: the call carries no effect check')
    const [first] = await k.deps().intents.listByRun(lied.runId)
    expect(first).toMatchObject({ status: 'reverted', receiptStatus: 'reverted', verification: 'unverified' })
    // The chain has the first call applied: an honest run reads it and sends the second call only.
    const honest = await runJob(k.deps(), t)
    expect(honest.status).toBe('succeeded')
    expect(honest.planned).toBe(1)
    expect(honest.executed.map((e) => e.verification)).toEqual(['confirmed'])
    await settleCase(k, { intended: 2, targets: t })
  })

  it('the real runRebalance through a node that flips every receipt: the run succeeds, is verified, and its actions name the contradiction', async () => {
    const k = await newCase()
    const ctx = testContext(w, { ...k.config, rpcUrl: proxy.url }, defaultPolicy())
    const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: k.config.dynamoEndpoint })
    proxy.setFaults([{ method: 'eth_getTransactionReceipt', fault: 'flipReceipt', times: 10_000 }])
    const run = await runRebalance({ ...ctx, locks: new LockStore({ client: doc, tableName: k.config.tables.locks }) }, { trigger: 'faults-lying-receipts' })
    expect(proxy.stats().injected['eth_getTransactionReceipt:flipReceipt'] ?? 0).toBeGreaterThan(0)
    proxy.setFaults([])
    expect(run.error).toBeUndefined()
    expect(run.status).toBe('succeeded')
    expect(run.verified).toBe(true)
    const sent = run.actions.filter((a) => a.txHash)
    expect(sent.length).toBeGreaterThan(0)
    for (const a of sent) expect(a.note).toMatch(/^receipt said reverted, chain shows effect applied: (networkLimit|operatorNetworkShares)\(/)
    await settleCase(k, { intended: sent.length, targets: [] })
  })
})

describe('nothing sent', () => {
  it('a call that reverts in simulation (AlreadySet) sends nothing and stores the decoded reason', async () => {
    const k = await newCase()
    const [pair] = pairs
    const [current] = await readShares(c.public, delegator, [{ ...pair!, shares: 0n }])
    const same = { ...pair!, shares: current! }
    const deps = k.deps()
    const result = await runJob(deps, [], { calls: [targetCall(delegator, targets(1)[0]!), targetCall(delegator, same)] })
    expect(result.status).toBe('failed')
    expect(result.error?.name).toBe('SimulationRevertedError')
    expect(result.error?.message).toContain('AlreadySet()')
    const run = await deps.runs.get(result.runId)
    expect(run?.status).toBe('failed')
    expect(run?.error?.message).toContain('action 1 (setOperatorNetworkShares')
    expect(run?.error?.message).toContain('AlreadySet()')
    await settleCase(k, { intended: 0, targets: [same] })
  })

  it('a missing curator role is decoded by name (AccessControlUnauthorizedAccount) and nothing is sent', async () => {
    const admin = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
    const hash = await c.wallet.writeContract({ account: admin, chain: c.wallet.chain, address: delegator, abi: networkRestakeDelegatorAbi, functionName: 'revokeRole', args: [OPERATOR_NETWORK_SHARES_SET_ROLE, curator.address] })
    await c.public.waitForTransactionReceipt({ hash })
    const k = await newCase()
    const t = targets(2)
    const result = await runJob(k.deps(), t)
    expect(result.status).toBe('failed')
    expect(result.error?.message).toContain('AccessControlUnauthorizedAccount')
    expect(result.error?.message).toContain('OPERATOR_NETWORK_SHARES_SET_ROLE')
    await settleCase(k, { intended: 0, targets: t, reached: false })
  })

  it('a base fee above the policy cap defers the run with gasTooHigh and sends nothing', async () => {
    await c.public.request({ method: 'anvil_setNextBlockBaseFeePerGas' as never, params: [`0x${parseGwei('500').toString(16)}`] as never })
    await c.test.mine({ blocks: 1 })
    const k = await newCase()
    const t = targets(2)
    const deps = k.deps({ feeCap: parseGwei('100') })
    const result = await runJob(deps, t)
    expect(result.status).toBe('skipped')
    expect(result.reason).toBe('gasTooHigh')
    expect(result.error?.message).toMatch(/base fee \d+(\.\d+)? gwei \+ tip .* above the policy cap of 100 gwei/)
    const run = await deps.runs.get(result.runId)
    expect(run?.status).toBe('skipped')
    expect(run?.decision).toMatchObject({ kind: 'skip', reason: 'gasTooHigh' })
    await settleCase(k, { intended: 0, targets: t, reached: false })
  })
})

describe('the real runRebalance (read → score → plan → diff → execute) under the same faults', () => {
  /** A rebalance context on the case's tables with the signer lock; `laterMs` moves the lock's clock (the next scheduled tick). */
  function rebalanceContext(k: Case, p: { laterMs?: number; policy?: Record<string, unknown> } = {}) {
    const ctx = testContext(w, k.config, defaultPolicy(p.policy ?? {}))
    const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: k.config.dynamoEndpoint })
    return { ...ctx, locks: new LockStore({ client: doc, tableName: k.config.tables.locks, clock: () => Date.now() + (p.laterMs ?? 0) }) }
  }
  /** How many calls the plan needs right now (a dry run sends nothing and leaves the lock alone). */
  async function plannedCalls(k: Case): Promise<number> {
    const dry = await runRebalance(rebalanceContext(k, { policy: { mode: 'dry-run' } }), { trigger: 'faults-dry-run' })
    expect(dry.status).toBe('skipped')
    return dry.actions.length
  }
  const botConfig = (k: Case) => ({
    mode: 'rebalance' as const,
    config: k.config as unknown as Record<string, unknown>,
    policy: JSON.parse(JSON.stringify(defaultPolicy())),
    rpcUrl: k.config.rpcUrl,
    chainId: k.config.chainId,
    dynamoEndpoint: k.config.dynamoEndpoint!,
    tables: k.config.tables,
    key: w.curatorKey,
    delegator,
    targets: [],
  })

  it.each(['after-persist@2', 'after-broadcast@3', 'after-sign@1'])('a rebalance process killed %s is finished by the next rebalance: verified, nothing twice', async (crashAt) => {
    const k = await newCase()
    expect(await plannedCalls(k)).toBeGreaterThan(3)
    const bot = spawnBot(botConfig(k), { crashAt })
    const killed = await bot.done
    expect(killed.signal, killed.output).toBe('SIGKILL')
    const next = await runRebalance(rebalanceContext(k, { laterMs: 10 * 60_000 }), { trigger: 'faults-next' })
    expect(next.error).toBeUndefined()
    expect(next.status).toBe('succeeded')
    expect(next.verified).toBe(true)
    // Intended = what the crashed run had persisted (settled by the next run) + what the next run planned on the
    // universe it read after settling; the plan may differ from the first one since part of it was already applied.
    const crashedRun = (await k.deps().runs.list('rebalance')).find((r) => r.trigger === 'faults')!
    const persisted = await k.deps().intents.listByRun(crashedRun.runId)
    const obs = await settleCase(k, { intended: persisted.filter((i) => i.status === 'mined').length + next.actions.length, targets: [] })
    expect(crashedRun.status).toBe('failed')
    expect(crashedRun.error?.name).toBe('RunInterruptedError')
    expect(persisted.every((i) => i.status === 'mined')).toBe(true)
    // The intent open at the kill (persisted, maybe broadcast, never recorded) was settled by the next run.
    const resumed = persisted.filter((i) => i.settledBy !== undefined)
    expect(resumed.map((i) => i.settledBy)).toEqual(crashAt === 'after-sign@1' ? [] : [next.runId])
    expect(obs.runs.filter((r) => r.status === 'running')).toEqual([])
  })

  it('two rebalance processes fired at once: one sends everything, the other skips with LockBusyError', async () => {
    const k = await newCase()
    const intended = await plannedCalls(k)
    const a = spawnBot({ ...botConfig(k), wait: true })
    const b = spawnBot({ ...botConfig(k), wait: true })
    await Promise.all([a.ready, b.ready])
    a.go()
    b.go()
    const [ra, rb] = await Promise.all([a.done, b.done])
    expect(ra.code, ra.output).toBe(0)
    expect(rb.code, rb.output).toBe(0)
    const results = [ra.result!, rb.result!]
    expect(results.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded'])
    expect(results.find((r) => r.status === 'skipped')?.error?.name).toBe('LockBusyError')
    expect(results.find((r) => r.status === 'succeeded')?.verified).toBe(true)
    await settleCase(k, { intended, targets: [] })
  })
})
