/**
 * Benchmark `benchSync`: the production read (readSymbioticUniverse with its logs from the chain sync's `chainLogs`
 * store on DynamoDB Local) on its own Anvil, through the strict profile of the provider-shaped proxy with a
 * `RANGE_LIMIT`-block `eth_getLogs` span. The world is mainnet-sized (≥ 150 operators, ≥ 25 networks, 3 vaults);
 * its history is then made `SHORT_BLOCKS` and `LONG_BLOCKS` long (empty blocks, both longer than the span). Reported:
 * HTTP requests and bytes of one steady-state run (a new block past the confirmation depth: the sync and the whole
 * read) at each length — the same whatever the history; the first sync of the long history (requests, wall time,
 * periodic 429s on); and the mainnet-sized read (requests, the largest `eth_call` gas, wall time).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { startAnvil } from '../../local/world/anvil.js'
import { connectLocal } from '../../local/world/chain.js'
import { LOCAL_AWS, startDynamo } from '../../local/world/dynamo.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { ScenarioSchema } from '../../local/world/scenario.js'
import { seedScenario } from '../../local/world/seed.js'
import { deploySymbioticCore, installMulticall3 } from '../../local/world/symbiotic.js'
import { createTables } from '../../local/world/tables.js'
import { createReader } from '../../shared/chain/client.js'
import { chainSyncFor } from '../../shared/chain/sync/index.js'
import { type ReadSymbioticUniverseParameters, readSymbioticUniverse } from '../../shared/protocols/symbiotic/reader.js'
import { symbioticEvents } from '../../shared/protocols/symbiotic/source.js'
import { ChainLogStore } from '../../shared/store/chainLogs.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { tableNames } from '../../shared/store/tables.js'
import { providerProfile, startProviderProxy } from '../setup/providerProxy.js'

const SHORT_BLOCKS = 1_000
const LONG_BLOCKS = 10_000
const RANGE_LIMIT = 500
const CONFIRMATIONS = 2
const OPERATORS = 150
const NETWORKS = 25
const VAULTS = 3

/** A mainnet-sized scenario: every operator in three networks and every vault; two weeks of rewards. */
function mainnetSizedScenario() {
  const networks = Array.from({ length: NETWORKS }, (_, i) => ({ label: `net-${i}`, subnetworks: [{ identifier: 0, maxNetworkLimit: '100000', rewardRatePerYear: 0.01 + (i % 9) / 100 }] }))
  const operators = Array.from({ length: OPERATORS }, (_, i) => ({ label: `op-${i}`, networks: [0, 1, 2].map((k) => `net-${(i + k * 7) % NETWORKS}`) }))
  const vaults = Array.from({ length: VAULTS }, (_, i) => ({ label: `vault-${i}`, deposits: ['10000'], initialAllocation: 'none' as const }))
  return ScenarioSchema.parse({ name: 'mainnet-sized', description: 'bench', token: { name: 'Bench Staked Ether', symbol: 'bsETH' }, networks, operators, vaults, history: { days: 14 } })
}

/** Steady-state and first-sync figures of the synced read at two history lengths, and the mainnet-sized read. */
export async function benchSync(): Promise<Record<string, unknown>> {
  const [anvil, dynamo] = await Promise.all([startAnvil(), startDynamo()])
  const proxy = await startProviderProxy({ target: anvil.rpcUrl, profile: providerProfile('strict', { maxLogsRange: RANGE_LIMIT, http429Every: 0, item429Every: 0 }), measureCallGas: true })
  try {
    const c = connectLocal(anvil.rpcUrl, anvil.chainId)
    const deployer = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
    await installMulticall3(c, deployer)
    const fromBlock = await c.public.getBlockNumber({ cacheTime: 0 })
    const core = await deploySymbioticCore(c, deployer)
    const seeded = await seedScenario(c, core, deployer, mainnetSizedScenario(), privateKeyToAccount(generatePrivateKey()))
    const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint })
    const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint })
    const params: ReadSymbioticUniverseParameters = {
      operatorVaultOptInService: core.operatorVaultOptInService,
      operatorNetworkOptInService: core.operatorNetworkOptInService,
      vaults: seeded.vaults.map((v) => ({ address: v.address, stakerRewards: [v.stakerRewards] })),
      curator: seeded.curator.address,
      fromBlock,
    }
    // The mainnet-sized state read is tens of thousands of calls, each also gas-estimated by the proxy: a long timeout.
    const client = createReader({ rpcUrl: proxy.url, chainId: anvil.chainId, rpc: { batchSize: proxy.profile.maxBatch }, timeoutMs: 180_000 })
    await client.getBlockNumber({ cacheTime: 0 }) // the client's chain-id check: once per cold start, not per run
    /** A synced read over its own fresh `chainLogs` table (what a deployed stack's functions share). */
    const syncedReader = async (name: string) => {
      const tables = tableNames(`bench-${name}`)
      await createTables(ddb, tables)
      const sync = chainSyncFor({ config: { confirmations: CONFIRMATIONS }, chainLogs: new ChainLogStore({ client: doc, tableName: tables.chainLogs }) })
      return () => readSymbioticUniverse(client, { ...params, events: symbioticEvents(client, sync, { chainId: anvil.chainId, fromBlock }) })
    }
    /** Mines until the history (from the core's deployment) is `blocks` long. */
    const lengthen = async (blocks: number) => {
      const head = await c.public.getBlockNumber({ cacheTime: 0 })
      // In steps of 100: one anvil_mine of thousands of blocks outlasts an HTTP request on a loaded machine.
      for (let more = Number(fromBlock + BigInt(blocks) - head); more > 0; more -= 100) await c.test.mine({ blocks: Math.min(more, 100) })
    }
    /** One steady-state run: a new block past the confirmation depth, then the read (sync + state), counted at the proxy. */
    const steadyRun = async (read: () => Promise<unknown>) => {
      await c.test.mine({ blocks: CONFIRMATIONS + 1 })
      proxy.reset()
      const t = performance.now()
      await read()
      const ms = performance.now() - t
      const s = proxy.stats()
      return { requests: s.httpRequests, bytes: s.bytesIn + s.bytesOut, maxCallGas: Number(s.maxCallGas), ms: Math.round(ms) }
    }

    await lengthen(SHORT_BLOCKS)
    const short = await syncedReader('short')
    await short()
    const runShort = await steadyRun(short)

    await lengthen(LONG_BLOCKS)
    const long = await syncedReader('long')
    // The first sync of the long history through the strict profile, periodic 429s on.
    proxy.setProfile(providerProfile('strict', { maxLogsRange: RANGE_LIMIT, retryAfterSeconds: 0 }))
    proxy.reset()
    const t = performance.now()
    const universe = (await long()) as Awaited<ReturnType<typeof readSymbioticUniverse>>
    const firstSyncLong = { requests: proxy.stats().httpRequests, ms: Math.round(performance.now() - t) }
    proxy.setProfile(providerProfile('strict', { maxLogsRange: RANGE_LIMIT, http429Every: 0, item429Every: 0 }))
    const runLong = await steadyRun(long)
    ddb.destroy()
    return {
      requestsPerRun: { historyShort: runShort.requests, historyLong: runLong.requests },
      bytesPerRun: { historyShort: runShort.bytes, historyLong: runLong.bytes },
      history: { shortBlocks: SHORT_BLOCKS, longBlocks: LONG_BLOCKS, rangeLimit: RANGE_LIMIT },
      firstSyncLong,
      mainnetSized: { requestsPerRead: runLong.requests, maxCallGas: runLong.maxCallGas, ms: runLong.ms, operators: universe.operators.length, services: universe.services.length, vaults: universe.positions.length },
    }
  } finally {
    await proxy.close()
    await Promise.all([anvil.stop(), dynamo.stop()])
  }
}
