/** A saga context for EigenLayer tests on their own Anvil: fresh DynamoDB tables of the shared world, the seeded stakers' local keys. */
import type { LocalAccount } from 'viem'
import type { AnvilNode } from '../../local/world/anvil.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import type { SeededEigenLayer } from '../../local/world/eigenlayer.js'
import { createReader } from '../../shared/chain/client.js'
import { createSessionPool } from '../../shared/execution/sessionPool.js'
import type { EigenLayerSagaContext, EigenLayerSagaHooks } from '../../shared/protocols/eigenlayer/saga.js'
import { LockStore } from '../../shared/store/locks.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { IntentStore } from '../../shared/store/intents.js'
import { SagaStore } from '../../shared/store/sagas.js'
import { type WorldHandle, withFreshTables } from './worldHandle.js'

/** Context whose signers are the seeded stakers, with stores on fresh tables (one test's sagas never meet another's). */
export async function eigenLayerSagaContext(w: WorldHandle, anvil: AnvilNode, seeded: SeededEigenLayer, hooks?: EigenLayerSagaHooks): Promise<EigenLayerSagaContext & { sagas: SagaStore; intents: IntentStore }> {
  const config = await withFreshTables(w)
  const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint })
  const signers = new Map(seeded.stakers.map((s) => [s.address.toLowerCase(), s.account as LocalAccount]))
  const client = createReader({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId })
  const intents = new IntentStore({ client: doc, tableName: config.tables.intents })
  // One test = one run: its staker sessions stay open across the test's crash-and-resume calls (same lock owner).
  const pool = createSessionPool({ client, intents, locks: new LockStore({ client: doc, tableName: config.tables.locks }), runId: 'saga-test' })
  return {
    client,
    intents,
    sessionFor: pool.sessionFor,
    sagas: new SagaStore({ client: doc, tableName: config.tables.sagas }),
    signerFor: (a) => signers.get(a.toLowerCase()),
    ...(hooks ? { hooks } : {}),
  }
}
