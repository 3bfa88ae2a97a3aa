/**
 * Chain sync on a real Anvil (its own, so reorgs never disturb the shared world) and DynamoDB Local (fresh tables):
 * resumable first sync, steady-state cost, concurrent syncs, reorgs by snapshot/revert and by `anvil_reorg`, logs whose
 * block hash is not the chain's, and a new address backfilled alone. Stored logs are always compared with a direct
 * `eth_getLogs` of the same filter on the chain as it is now.
 */
import { type Address, type Hex, type Log, type PublicClient, encodeAbiParameters, parseAbiItem, toEventSelector } from 'viem'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { startAnvil, type AnvilNode } from '../../local/world/anvil.js'
import { connectLocal, type LocalChain } from '../../local/world/chain.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { createReader } from '../../shared/chain/client.js'
import { InvalidSyncSourceError, type LogFetcher, SyncInconsistentError, type SyncSource, createLogFetcher, defineSource, readSourceEvents, syncSource } from '../../shared/chain/sync/index.js'
import { ChainLogStore, type StoredLog } from '../../shared/store/chainLogs.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { StaleWriteError } from '../../shared/store/errors.js'
import { PING, deployEmitter as deployEmitterOn, ping as pingOn } from '../setup/emitter.js'
import { withFreshTables, world } from '../setup/worldHandle.js'

const OTHER = parseAbiItem('event Other(uint256 value)')
const account = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
const CONFIRMATIONS = 2

let anvil: AnvilNode
let c: LocalChain
let store: ChainLogStore
let http = 0
let client: PublicClient

const deployEmitter = (topic?: Hex) => deployEmitterOn(c, account, topic)
const ping = (to: Address, value: bigint) => pingOn(c, account, to, value)

/** Deploys an emitter, pings it `pings` times (one block each), mines the confirmations; the source reads it from its deploy block. */
async function seed(pings: bigint): Promise<{ e1: Address; fromBlock: bigint; source: SyncSource }> {
  const e1 = await deployEmitter()
  const fromBlock = await c.public.getBlockNumber({ cacheTime: 0 })
  for (let i = 1n; i <= pings; i++) await ping(e1, i)
  await c.test.mine({ blocks: CONFIRMATIONS })
  return { e1, fromBlock, source: defineSource({ name, chainId: anvil.chainId, addresses: [e1], events: [PING], fromBlock }) }
}

const view = (l: Pick<Log, 'address' | 'blockNumber' | 'blockHash' | 'logIndex' | 'data' | 'transactionHash' | 'topics'>) => ({
  address: l.address.toLowerCase(),
  block: l.blockNumber,
  hash: l.blockHash,
  index: l.logIndex,
  data: l.data,
  tx: l.transactionHash,
  topic: l.topics[0],
})

/** What the chain says now for the source's filter up to head − confirmations. */
async function direct(source: SyncSource, toBlock?: bigint) {
  const head = await c.public.getBlockNumber({ cacheTime: 0 })
  const logs = await c.public.getLogs({ address: source.addresses, events: [PING, OTHER], fromBlock: source.fromBlock, toBlock: toBlock ?? head - BigInt(CONFIRMATIONS) })
  return logs.map(view)
}

async function stored(source: SyncSource) {
  const { logs, syncedTo } = await readSourceEvents(store, source)
  return { logs: logs.map((l: StoredLog) => view(l)), syncedTo }
}

const deps = (extra: { fetchLogs?: LogFetcher; clock?: () => number } = {}) => ({ client, store, ...extra })

beforeAll(async () => {
  const w = world()
  anvil = await startAnvil()
  c = connectLocal(anvil.rpcUrl, anvil.chainId)
  client = createReader({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, onRequest: () => void http++ })
  const config = await withFreshTables(w)
  store = new ChainLogStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.chainLogs })
})

afterAll(async () => {
  await anvil?.stop()
})

let revert: (() => Promise<void>) | undefined
let n = 0
let name = ''
beforeEach(async () => {
  const id = await c.test.snapshot()
  revert = async () => void (await c.test.revert({ id }))
  name = `test-${++n}-${Date.now()}`
})
afterEach(async () => {
  await revert?.()
})

describe('syncSource', () => {
  it('first sync stops at the deadline after whole chunks, the next call continues; the stored logs equal a direct getLogs', async () => {
    const { e1, fromBlock, source } = await seed(8n)
    const target = (await c.public.getBlockNumber({ cacheTime: 0 })) - BigInt(CONFIRMATIONS)

    // The deadline passes during the second fetch: that chunk is still stored, no third one starts.
    let now = 0
    let fetches = 0
    const real = createLogFetcher(client)
    const fetchLogs: LogFetcher = async (req) => {
      if (++fetches === 2) now = 1_000
      return real(req)
    }
    await client.getBlockNumber({ cacheTime: 0 }) // the transport checks each URL's chain id once per client: not part of a sync's cost
    http = 0
    const first = await syncSource(deps({ fetchLogs, clock: () => now }), source, { deadline: 500, confirmations: CONFIRMATIONS, chunkBlocks: 3 })
    expect(first).toMatchObject({ complete: false, syncedTo: fromBlock + 5n, chunks: 2 })
    // One batched header read before, then per chunk one getLogs and one batched header read: each one HTTP request.
    expect(first.requests).toBe(1 + 2 * 2)
    expect(http).toBe(first.requests)
    const partial = await stored(source)
    expect(partial.syncedTo).toBe(fromBlock + 5n)
    expect(partial.logs).toEqual(await direct(source, fromBlock + 5n))
    expect(partial.logs).toHaveLength(5)

    const second = await syncSource(deps(), source, { confirmations: CONFIRMATIONS, chunkBlocks: 3 })
    expect(second).toMatchObject({ complete: true, syncedTo: target })
    const all = await stored(source)
    expect(all.logs).toEqual(await direct(source))
    expect(all.logs.map((l) => BigInt(l.data))).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n])

    // Steady state: nothing new → one batched header read; one new block → before view, getLogs, after view.
    http = 0
    expect(await syncSource(deps(), source, { confirmations: CONFIRMATIONS })).toMatchObject({ complete: true, syncedTo: target, requests: 1, chunks: 0 })
    await ping(e1, 9n)
    const next = await syncSource(deps(), source, { confirmations: CONFIRMATIONS })
    expect(next).toMatchObject({ complete: true, syncedTo: target + 1n, requests: 3, chunks: 1 })
    expect(http).toBe(4)
  })

  it('two syncs at once: one works, the other answers busy; a sync that lost its lease cannot write', async () => {
    const { e1, fromBlock, source } = await seed(4n)
    const [a, b] = await Promise.all([syncSource(deps(), source, { confirmations: CONFIRMATIONS, chunkBlocks: 2 }), syncSource(deps(), source, { confirmations: CONFIRMATIONS, chunkBlocks: 2 })])
    expect([a.busy, b.busy].filter(Boolean)).toHaveLength(1)
    expect([a, b].find((r) => !r.busy)).toMatchObject({ complete: true })
    expect((await stored(source)).logs).toEqual(await direct(source))

    // A stale holder: its lease expired and a new sync took over; its writes now fail instead of corrupting the range.
    const key = { chainId: source.chainId, source: source.name }
    await store.acquire(key, { owner: 'stale', now: 0, leaseMs: 1, init: { filterHash: source.filterHash, fromBlock, coverage: [], checkpoints: [] } })
    await ping(e1, 5n)
    expect(await syncSource(deps(), source, { confirmations: CONFIRMATIONS })).toMatchObject({ complete: true })
    await expect(store.writeLogs(key, 'stale', { puts: [], deletes: [(await store.queryLogs(key))[0]!.sk] })).rejects.toBeInstanceOf(StaleWriteError)
    expect((await stored(source)).logs).toEqual(await direct(source))
    // A live lease held by another sync: this one does nothing.
    await store.acquire(key, { owner: 'live', now: Date.now(), leaseMs: 60_000, init: { filterHash: source.filterHash, fromBlock, coverage: [], checkpoints: [] } })
    await ping(e1, 6n)
    expect(await syncSource(deps(), source, { confirmations: CONFIRMATIONS })).toMatchObject({ busy: true, complete: false, requests: 0 })
  })

  it('a reorg by snapshot/revert below the cursor (a shorter chain, then a longer one): rewinds to the newest matching checkpoint, drops the orphaned logs, stores the new chain', async () => {
    const { e1, source } = await seed(1n)
    const r1 = await syncSource(deps(), source, { confirmations: CONFIRMATIONS })
    const fork = await c.test.snapshot()
    await ping(e1, 2n)
    await ping(e1, 3n)
    await c.test.mine({ blocks: CONFIRMATIONS })
    const r2 = await syncSource(deps(), source, { confirmations: CONFIRMATIONS })
    expect((await stored(source)).logs.map((l) => BigInt(l.data))).toEqual([1n, 2n, 3n])

    // The chain forgets 2 and 3 and is now shorter than the newest checkpoint (that block is gone).
    await c.test.revert({ id: fork })
    const shorter = await syncSource(deps(), source, { confirmations: CONFIRMATIONS })
    expect(shorter).toMatchObject({ complete: true, syncedTo: r1.syncedTo, reorgs: [{ mismatchAt: r2.syncedTo, rewoundTo: r1.syncedTo, droppedLogs: 2 }] })
    expect((await stored(source)).logs.map((l) => BigInt(l.data))).toEqual([1n])
    // A different history, longer than the first, replaces it.
    await c.test.mine({ blocks: 1 })
    await ping(e1, 20n)
    await c.test.mine({ blocks: CONFIRMATIONS + 2 })
    const r3 = await syncSource(deps(), source, { confirmations: CONFIRMATIONS })
    expect(r3).toMatchObject({ complete: true, reorgs: [] })
    const after = await stored(source)
    expect(after.logs).toEqual(await direct(source))
    expect(after.logs.map((l) => BigInt(l.data))).toEqual([1n, 20n])
  })

  it('an RPC that answers logs for a block whose hash is not the chain’s: read again, never stored; one that keeps lying: a named error, nothing stored', async () => {
    const { fromBlock, source } = await seed(3n)
    const real = createLogFetcher(client)
    const lie = async (req: Parameters<LogFetcher>[0]) => (await real(req)).map((l) => ({ ...l, blockHash: `0x${'ab'.repeat(32)}` as Hex }))

    const always = await syncSource(deps({ fetchLogs: lie }), source, { confirmations: CONFIRMATIONS }).catch((e: unknown) => e)
    expect(always).toBeInstanceOf(SyncInconsistentError)
    expect((always as Error).name).toBe('SyncInconsistentError')
    expect((always as Error).message).toMatch(/a log claims block \d+ is 0xabab.* but the chain says 0x/)
    expect(await stored(source)).toEqual({ logs: [], syncedTo: fromBlock - 1n })

    let calls = 0
    const once: LogFetcher = async (req) => (++calls === 1 ? lie(req) : real(req))
    expect(await syncSource(deps({ fetchLogs: once }), source, { confirmations: CONFIRMATIONS })).toMatchObject({ complete: true })
    expect(calls).toBe(2)
    expect((await stored(source)).logs).toEqual(await direct(source))
  })

  it('a fetcher that answers a log twice (overlapping split ranges): each log is stored once', async () => {
    const { source } = await seed(3n)
    const real = createLogFetcher(client)
    const twice: LogFetcher = async (req) => {
      const logs = await real(req)
      return [...logs, ...logs]
    }
    expect(await syncSource(deps({ fetchLogs: twice }), source, { confirmations: CONFIRMATIONS })).toMatchObject({ complete: true, stored: 3 })
    expect((await stored(source)).logs).toEqual(await direct(source))
  })

  it('an RPC whose logs were true when read but the chain reorganised before the sync checked them: read again from the new chain', async () => {
    const e1 = await deployEmitter()
    const fromBlock = await c.public.getBlockNumber({ cacheTime: 0 })
    const fork = await c.test.snapshot()
    for (let i = 1n; i <= 3n; i++) await ping(e1, i)
    await c.test.mine({ blocks: CONFIRMATIONS })
    const source = defineSource({ name, chainId: anvil.chainId, addresses: [e1], events: [PING], fromBlock })
    const real = createLogFetcher(client)
    let calls = 0
    const reorgsMidway: LogFetcher = async (req) => {
      const logs = await real(req)
      if (++calls === 1) {
        // The answer is from the old chain; the chain now replaces those blocks with others.
        await c.test.revert({ id: fork })
        await c.test.mine({ blocks: 1 })
        await ping(e1, 40n)
        await c.test.mine({ blocks: CONFIRMATIONS + 4 })
      }
      return logs
    }
    const r = await syncSource(deps({ fetchLogs: reorgsMidway }), source, { confirmations: CONFIRMATIONS })
    expect(r.complete).toBe(true)
    expect(calls).toBe(2)
    const after = await stored(source)
    expect(after.logs).toEqual(await direct(source))
    expect(after.logs.map((l) => BigInt(l.data))).toEqual([40n])
  })

  it('a new address backfills alone from the deployment block; the other addresses are not read again; readers wait for it', async () => {
    const e1 = await deployEmitter()
    const e2 = await deployEmitter(toEventSelector(OTHER))
    const fromBlock = (await c.public.getBlockNumber({ cacheTime: 0 })) - 1n
    for (let i = 1n; i <= 4n; i++) {
      await ping(e1, i)
      await ping(e2, 100n + i)
    }
    await c.test.mine({ blocks: CONFIRMATIONS })
    const one = defineSource({ name, chainId: anvil.chainId, addresses: [e1], events: [PING, OTHER], fromBlock })
    const first = await syncSource(deps(), one, { confirmations: CONFIRMATIONS })
    expect((await stored(one)).logs).toEqual(await direct(one))
    await ping(e1, 5n)

    const both = defineSource({ name, chainId: anvil.chainId, addresses: [e1, e2], events: [PING, OTHER], fromBlock })
    expect(both.filterHash).not.toBe(one.filterHash)
    const requests: { address: Address[]; fromBlock: bigint; toBlock: bigint }[] = []
    const real = createLogFetcher(client)
    let now = 0
    const recording: LogFetcher = async (req) => {
      requests.push({ address: req.address, fromBlock: req.fromBlock, toBlock: req.toBlock })
      if (requests.length === 1) now = 1_000
      return real(req)
    }
    // Stopped after the first backfill chunk: readers still see only what the whole filter covers.
    const partial = await syncSource(deps({ fetchLogs: recording, clock: () => now }), both, { confirmations: CONFIRMATIONS, chunkBlocks: 4, deadline: 500 })
    expect(partial).toMatchObject({ complete: false, syncedTo: fromBlock + 3n })
    expect(await stored(both)).toEqual({ logs: await direct(both, fromBlock + 3n), syncedTo: fromBlock + 3n })
    const rest = await syncSource(deps({ fetchLogs: recording }), both, { confirmations: CONFIRMATIONS, chunkBlocks: 4 })
    expect(rest.complete).toBe(true)
    // Backfill of e2 alone up to where e1 was, then both together for the new blocks only.
    const backfill = requests.filter((r) => r.toBlock <= first.syncedTo)
    expect(backfill.every((r) => r.address.length === 1 && r.address[0] === e2.toLowerCase())).toBe(true)
    expect(backfill[0]!.fromBlock).toBe(fromBlock)
    expect(backfill.at(-1)!.toBlock).toBe(first.syncedTo)
    expect(requests.filter((r) => r.toBlock > first.syncedTo).every((r) => r.address.length === 2 && r.fromBlock === first.syncedTo + 1n)).toBe(true)
    expect((await stored(both)).logs).toEqual(await direct(both))
    // The old source's view is unchanged by the new address (its logs are filtered to its own filter).
    expect((await stored(one)).logs).toEqual(await direct(one))
  })

  // On its own Anvil: evm_revert no longer rewinds a chain that anvil_reorg changed (Anvil 1.7.1), which would leak
  // this test's blocks into the next ones.
  it('a reorg by anvil_reorg (the same height, other transactions): the stored logs follow the new chain', async () => {
    const shared = { anvil, c, client }
    anvil = await startAnvil()
    c = connectLocal(anvil.rpcUrl, anvil.chainId)
    client = createReader({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId })
    try {
      const { e1, source } = await seed(3n)
      await syncSource(deps(), source, { confirmations: CONFIRMATIONS })
      const head = await c.public.getBlockNumber({ cacheTime: 0 })
      // Replace the last 4 blocks (pings 2 and 3 among them) with empty ones and one new ping at the first of them.
      const raw = await c.wallet.signTransaction({
        account,
        chain: c.wallet.chain,
        to: e1,
        data: encodeAbiParameters([{ type: 'uint256' }], [30n]),
        nonce: await c.public.getTransactionCount({ address: account.address, blockNumber: head - 4n }),
        gas: 100_000n,
        maxFeePerGas: 100_000_000_000n,
        maxPriorityFeePerGas: 1n,
      })
      await c.test.request({ method: 'anvil_reorg' as never, params: [4, [[raw, 0]]] as never })
      expect(await c.public.getBlockNumber({ cacheTime: 0 })).toBe(head)
      await c.test.mine({ blocks: 1 })
      const r = await syncSource(deps(), source, { confirmations: CONFIRMATIONS })
      expect(r.reorgs).toHaveLength(1)
      const after = await stored(source)
      expect(after.logs).toEqual(await direct(source))
      expect(after.logs.map((l) => BigInt(l.data))).toEqual([1n, 30n])
    } finally {
      await anvil.stop()
      ;({ anvil, c, client } = shared)
    }
  })

  it('an invalid source is refused by name before anything is read', () => {
    expect(() => defineSource({ name: 'bad name!', chainId: 1, addresses: [], events: [], fromBlock: -1n })).toThrow(InvalidSyncSourceError)
    try {
      defineSource({ name: 'x', chainId: 1, addresses: ['0x12'], events: ['0x34'], fromBlock: 0n })
    } catch (e) {
      expect((e as Error).name).toBe('InvalidSyncSourceError')
      expect((e as Error).message).toMatch(/address 0x12 is not a 20-byte hex address; event topic 0x34 is not a 32-byte hex selector/)
    }
  })
})
