/**
 * Benchmark: the chain sync on its own Anvil and DynamoDB Local. One chain with pings spread over a long history;
 * two sources over it, one starting `shortBlocks` back, one `longBlocks` back (both longer than the range limit the
 * chunks respect). Reports the first sync of each (requests, wall time) and one steady-state run of each after a new
 * block with a log (HTTP requests and bytes, sync plus the reader's store read): the same whatever the history.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { createPublicClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startAnvil } from '../../local/world/anvil.js'
import { connectLocal } from '../../local/world/chain.js'
import { LOCAL_AWS, startDynamo } from '../../local/world/dynamo.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { createTables } from '../../local/world/tables.js'
import { localChain } from '../../shared/chain/client.js'
import { defineSource, readSourceEvents, syncSource } from '../../shared/chain/sync/index.js'
import { ChainLogStore } from '../../shared/store/chainLogs.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { tableNames } from '../../shared/store/tables.js'
import { PING, deployEmitter, ping } from '../setup/emitter.js'

const SHORT = 1_000
const LONG = 10_000
const RANGE_LIMIT = 500
const CONFIRMATIONS = 2
const PINGS = 20

/** First sync and steady-state cost of a short and a ten-times-longer history. */
export async function benchChainSync(): Promise<Record<string, unknown>> {
  const [anvil, dynamo] = await Promise.all([startAnvil(), startDynamo()])
  try {
    const c = connectLocal(anvil.rpcUrl, anvil.chainId)
    const account = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
    const tables = tableNames('bench')
    const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint })
    await createTables(ddb, tables)
    ddb.destroy()
    const store = new ChainLogStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint }), tableName: tables.chainLogs })
    let requests = 0
    let bytes = 0
    const client = createPublicClient({
      chain: localChain(anvil.chainId, anvil.rpcUrl),
      transport: http(anvil.rpcUrl, {
        batch: { batchSize: 1000, wait: 0 },
        onFetchRequest: () => void requests++,
        fetchFn: async (input, init) => {
          bytes += typeof init?.body === 'string' ? Buffer.byteLength(init.body) : 0
          const res = await fetch(input, init)
          bytes += (await res.clone().arrayBuffer()).byteLength
          return res
        },
      }),
    })

    // History: the emitter, then PINGS pings spread evenly over LONG blocks.
    const emitter = await deployEmitter(c, account)
    const start = await c.public.getBlockNumber({ cacheTime: 0 })
    for (let i = 1n; i <= BigInt(PINGS); i++) {
      await ping(c, account, emitter, i)
      await c.test.mine({ blocks: LONG / PINGS - 1 })
    }
    const head = await c.public.getBlockNumber({ cacheTime: 0 })
    const sources = {
      historyShort: defineSource({ name: 'short', chainId: anvil.chainId, addresses: [emitter], events: [PING], fromBlock: head - BigInt(SHORT) }),
      historyLong: defineSource({ name: 'long', chainId: anvil.chainId, addresses: [emitter], events: [PING], fromBlock: start }),
    }
    const opts = { confirmations: CONFIRMATIONS, chunkBlocks: RANGE_LIMIT }
    const firstSync: Record<string, { requests: number; httpRequests: number; chunks: number; logs: number; ms: number }> = {}
    for (const [k, s] of Object.entries(sources)) {
      requests = 0
      const t = performance.now()
      const r = await syncSource({ client, store }, s, opts)
      firstSync[k] = { requests: r.requests, httpRequests: requests, chunks: r.chunks, logs: r.stored, ms: Math.round(performance.now() - t) }
    }

    // Steady state: one new block with a log, past the confirmation depth; sync, then the reader's store read.
    await ping(c, account, emitter, 1_000n)
    await c.test.mine({ blocks: CONFIRMATIONS })
    const requestsPerRun: Record<string, number> = {}
    const bytesPerRun: Record<string, number> = {}
    for (const [k, s] of Object.entries(sources)) {
      requests = 0
      bytes = 0
      const r = await syncSource({ client, store }, s, opts)
      if (!r.complete || r.stored !== 1) throw new Error(`steady-state run of ${k} stored ${r.stored} logs (complete: ${r.complete})`)
      await readSourceEvents(store, s)
      requestsPerRun[k] = requests
      bytesPerRun[k] = bytes
    }
    return {
      history: { shortBlocks: SHORT, longBlocks: LONG, rangeLimit: RANGE_LIMIT, logs: PINGS },
      requestsPerRun,
      bytesPerRun,
      firstSyncShort: firstSync.historyShort,
      firstSyncLong: firstSync.historyLong,
    }
  } finally {
    await Promise.all([anvil.stop(), dynamo.stop()])
  }
}
