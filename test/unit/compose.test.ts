/**
 * One composition root (shared/services/compose.ts): composeStores builds exactly the stores whose tables it is given,
 * on one document client, and no entry point — handlers, services, the CLI, `npm start`, the backtest, the fault bot,
 * the test helpers — constructs a store by hand.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { STORE_TABLES, composeStores } from '../../shared/services/compose.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { PolicyStore } from '../../shared/store/policies.js'
import { TABLES, TABLE_NAMES, tableNames } from '../../shared/store/tables.js'

const ROOT = resolve(import.meta.dirname, '../..')
const dynamo = createDocumentClient({ region: 'local', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })

/** The .ts files under `dir`, recursively. */
const files = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).flatMap((n) => (n.endsWith('.ts') ? [join(dir, n)] : []))

describe('composeStores', () => {
  it('every table has a definition, and the names the config schema checks are those of the definitions', () => {
    expect(TABLES.map((t) => t.name)).toEqual([...TABLE_NAMES])
  })

  it('builds the store of every table it is given, and only those', () => {
    const all = composeStores({ dynamo, tables: tableNames('t') })
    expect(Object.keys(all).sort()).toEqual(Object.keys(STORE_TABLES).sort())
    const one = composeStores({ dynamo, tables: { policies: 't-policies' } })
    expect(Object.keys(one)).toEqual(['policies'])
    expect(one.policies).toBeInstanceOf(PolicyStore)
    expect(one.policies.tableName).toBe('t-policies')
    expect(Object.keys(composeStores({ dynamo, tables: { events: 'e', locks: 'l' } })).sort()).toEqual(['control', 'events', 'locks'])
  })

  it('puts every store on the table STORE_TABLES names for it, sharing the one client', () => {
    const tables = tableNames('p')
    const stores = composeStores({ dynamo, tables }) as unknown as Record<string, { tableName?: string; client?: unknown }>
    for (const [store, table] of Object.entries(STORE_TABLES)) {
      if (store === 'runs') continue // wrapped by observeRuns (run events): its table is inside
      expect(stores[store]!.tableName, store).toBe(tables[table])
      expect(stores[store]!.client, store).toBe(dynamo)
    }
  })
})

describe('one composition root', () => {
  it('no entry point constructs a store by hand: they go through composeContext / composeStores', () => {
    const entryPoints = [
      ...['functions', 'local', 'shared/services', 'shared/pipeline', 'shared/execution'].flatMap((d) => files(join(ROOT, d))),
      ...['test/faults/bot.ts', 'test/faults/job.ts', 'test/integration/helpers.ts'].map((f) => join(ROOT, f)),
    ]
      .map((f) => relative(ROOT, f))
      .filter((f) => f !== 'shared/services/compose.ts')
    const bad = entryPoints.flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/^(?!\s*\*).*\bnew (RunStore|IntentStore|LockStore|ControlStore|EventStore|CursorStore|PolicyStore)\(/gm)].map((m) => `${f}: new ${m[1]}(`))
    expect(bad).toEqual([])
  })
})
