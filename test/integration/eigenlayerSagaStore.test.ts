/** The saga store on the shared DynamoDB Local: conditional create and optimistic-version saves, exact bigints. */
import { describe, expect, it } from 'vitest'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { StaleWriteError } from '../../shared/store/errors.js'
import { SagaStore } from '../../shared/store/sagas.js'
import { withFreshTables, world } from '../setup/worldHandle.js'

const w = world()

async function store(): Promise<SagaStore> {
  const config = await withFreshTables(w)
  return new SagaStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.sagas })
}

describe('SagaStore', () => {
  it('creates a saga once; a second create of the same id loses', async () => {
    const s = await store()
    const rec = { sagaId: 'saga-1', kind: 'eigenlayer-move', status: 'running' as const, step: 'queue', createdAt: 1, updatedAt: 1, state: { amount: 2n ** 200n, nested: { x: 1n } }, log: [] }
    const created = await s.create(rec)
    expect(created.version).toBe(0)
    await expect(s.create(rec)).rejects.toThrowError(StaleWriteError)
    const read = await s.get<typeof rec.state>('saga-1')
    expect(read?.state.amount).toBe(2n ** 200n)
    expect(read?.state.nested.x).toBe(1n)
  })

  it('saves only from the version it read (optimistic concurrency)', async () => {
    const s = await store()
    const v0 = await s.create({ sagaId: 'saga-2', kind: 'k', status: 'running', step: 'queue', createdAt: 1, updatedAt: 1, state: { n: 0 }, log: [] })
    const v1 = await s.save({ ...v0, step: 'wait', state: { n: 1 }, log: [{ at: 2, step: 'queue', event: 'sent', txHash: '0x01' }] })
    expect(v1.version).toBe(1)
    // A worker still holding version 0 cannot overwrite version 1.
    await expect(s.save({ ...v0, step: 'complete' })).rejects.toMatchObject({ name: 'StaleWriteError' })
    const read = await s.get('saga-2')
    expect(read).toMatchObject({ version: 1, step: 'wait', state: { n: 1 }, log: [{ event: 'sent', txHash: '0x01' }] })
    await s.save({ ...read!, status: 'completed' })
    expect((await s.listByStatus(['running', 'waiting'])).map((x) => x.sagaId)).toEqual([])
    expect((await s.listByStatus(['completed'])).map((x) => x.sagaId)).toEqual(['saga-2'])
  })
})
