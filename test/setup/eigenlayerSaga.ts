/** A saga context for EigenLayer tests on their own Anvil: fresh DynamoDB tables of the shared world, the seeded stakers' local keys. */
import type { Address, Hex, LocalAccount } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { type AnvilNode, startAnvil } from '../../local/world/anvil.js'
import { type LocalChain, connectLocal } from '../../local/world/chain.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { DEFAULT_EIGENLAYER_SCENARIO, type DeployEigenLayerOptions, type EigenLayerDeployment, type EigenLayerScenario, type SeededEigenLayer, deployEigenLayer, seedEigenLayerScenario } from '../../local/world/eigenlayer.js'
import { installMulticall3 } from '../../local/world/symbiotic.js'
import { createReader } from '../../shared/chain/client.js'
import { type SessionPool, createSessionPool } from '../../shared/execution/sessionPool.js'
import type { MoveStep } from '../../shared/protocols/eigenlayer/buildMoveCall.js'
import { type EigenLayerSagaContext, type EigenLayerSagaHooks, type StartEigenLayerMoveParameters, advanceEigenLayerMove, runEigenLayerMove } from '../../shared/protocols/eigenlayer/saga.js'
import { LockStore } from '../../shared/store/locks.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { IntentStore } from '../../shared/store/intents.js'
import { SagaStore } from '../../shared/store/sagas.js'
import { type WorldHandle, withFreshTables } from './worldHandle.js'

/** Saga runs on one set of fresh tables: each `run(runId)` is one Lambda run with its own lease-fenced session pool. */
export interface EigenLayerSagaRuns {
  client: EigenLayerSagaContext['client']
  intents: IntentStore
  sagas: SagaStore
  run(runId: string, hooks?: EigenLayerSagaHooks): { ctx: EigenLayerSagaContext & { sagas: SagaStore; intents: IntentStore }; pool: SessionPool }
}

/**
 * Saga runs for EigenLayer tests on their own Anvil: fresh DynamoDB tables of the shared world, the seeded stakers'
 * local keys; staker Safes (seeded with `stakerSafes`) are signed for by `bot` through their Roles modifier.
 */
export async function eigenLayerSagaRuns(w: WorldHandle, anvil: AnvilNode, seeded: SeededEigenLayer, bot?: LocalAccount): Promise<EigenLayerSagaRuns> {
  const config = await withFreshTables(w)
  const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint })
  const signers = new Map(seeded.stakers.map((s) => [s.address.toLowerCase(), (s.safe ? bot : s.account) as LocalAccount | undefined]))
  const roles = new Map(seeded.stakers.flatMap((s) => (s.safe ? [[s.address.toLowerCase(), { rolesModifier: s.safe.rolesModifier, roleKey: s.safe.roleKey }] as const] : [])))
  const client = createReader({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId })
  const intents = new IntentStore({ client: doc, tableName: config.tables.intents })
  const locks = new LockStore({ client: doc, tableName: config.tables.locks })
  const sagas = new SagaStore({ client: doc, tableName: config.tables.sagas })
  return {
    client,
    intents,
    sagas,
    run(runId, hooks) {
      const pool = createSessionPool({ client, intents, locks, runId })
      const ctx = {
        client,
        intents,
        sessionFor: pool.sessionFor,
        sagas,
        signerFor: (a: Address) => signers.get(a.toLowerCase()),
        rolesFor: (a: Address) => roles.get(a.toLowerCase()),
        ...(hooks ? { hooks } : {}),
      }
      return { ctx, pool }
    },
  }
}

/**
 * Context whose signers are the seeded stakers, with stores on fresh tables (one test's sagas never meet another's).
 * Staker Safes (seeded with `stakerSafes`) are signed for by `bot` through their Roles modifier. One test = one run:
 * its staker sessions stay open across the test's crash-and-resume calls (same lock owner).
 */
export async function eigenLayerSagaContext(w: WorldHandle, anvil: AnvilNode, seeded: SeededEigenLayer, hooks?: EigenLayerSagaHooks, bot?: LocalAccount): Promise<EigenLayerSagaContext & { sagas: SagaStore; intents: IntentStore }> {
  return (await eigenLayerSagaRuns(w, anvil, seeded, bot)).run('saga-test', hooks).ctx
}

/** Hooks that throw once at `point` of every step: a simulated crash there. */
export function crashOnceAt(point: keyof EigenLayerSagaHooks): EigenLayerSagaHooks {
  const crashed = new Set<MoveStep>()
  return {
    [point]: (step: MoveStep) => {
      if (crashed.has(step)) return
      crashed.add(step)
      throw new Error(`simulated crash at ${point} of ${step}`)
    },
  }
}

/**
 * Starts a move and keeps advancing it through simulated crashes (each must be one), mining past the withdrawal delay
 * once it waits, until it completes. Returns the saga id and how many crashes happened.
 */
export async function driveThroughCrashes(ctx: EigenLayerSagaContext, params: StartEigenLayerMoveParameters, mineDelay: () => Promise<unknown>): Promise<{ sagaId: string; crashes: number }> {
  let sagaId: string | undefined
  let crashes = 0
  let mined = false
  for (let i = 0; i < 40; i++) {
    try {
      const out = sagaId ? await advanceEigenLayerMove(ctx, sagaId) : await runEigenLayerMove(ctx, params)
      sagaId = out.record.sagaId
      if (out.status === 'completed') break
      if (out.status === 'waiting' && !mined) {
        await mineDelay()
        mined = true
      }
    } catch (e) {
      if (!/simulated crash/.test((e as Error).message)) throw e
      crashes++
      sagaId ??= (await ctx.sagas.listByStatus(['running', 'waiting']))[0]?.sagaId
    }
  }
  return { sagaId: sagaId!, crashes }
}

/** An EigenLayer test chain: its own Anvil with the harness deployed and a scenario seeded (see {@link eigenLayerTestChain}). */
export interface EigenLayerTestChain {
  anvil: AnvilNode
  c: LocalChain
  d: EigenLayerDeployment
  seeded: SeededEigenLayer
  /** Anvil's first dev key: deployed the harness, mints the token. */
  deployer: LocalAccount
  staker: (label: string) => SeededEigenLayer['stakers'][number]
  operator: (label: string) => SeededEigenLayer['operators'][number]
}

/** Options of {@link eigenLayerTestChain}. */
export interface EigenLayerTestChainOptions {
  /** What to seed (default: DEFAULT_EIGENLAYER_SCENARIO). */
  scenario?: EigenLayerScenario
  /** Seeding options, e.g. staker Safes for a bot key. */
  seed?: Parameters<typeof seedEigenLayerScenario>[4]
  /** Harness options, e.g. the withdrawal delay (default: the harness's, 50 blocks). */
  deploy?: DeployEigenLayerOptions
  /** Take a snapshot before each test and revert to it after (default true). */
  snapshots?: boolean
}

/**
 * Registers the hooks of a test file (or describe block) that runs on its own Anvil: start it, install Multicall3,
 * deploy the harness, seed the scenario, optionally a snapshot reverted after each test, and the Anvil stopped after
 * all. The returned handle is filled in `beforeAll` (hooks run in the order they are registered).
 * @example const t = eigenLayerTestChain({ deploy: { minWithdrawalDelayBlocks: 20 }, snapshots: false })
 */
export function eigenLayerTestChain(opts: EigenLayerTestChainOptions = {}): EigenLayerTestChain {
  const t = {
    deployer: privateKeyToAccount(ANVIL_KEY_0),
    staker: (label: string) => t.seeded.stakers.find((s) => s.label === label)!,
    operator: (label: string) => t.seeded.operators.find((o) => o.label === label)!,
  } as EigenLayerTestChain
  let snapshotId: Hex
  beforeAll(async () => {
    t.anvil = await startAnvil()
    t.c = connectLocal(t.anvil.rpcUrl, t.anvil.chainId)
    await installMulticall3(t.c, t.deployer)
    t.d = await deployEigenLayer(t.c, t.deployer, opts.deploy)
    t.seeded = await seedEigenLayerScenario(t.c, t.d, t.deployer, opts.scenario ?? DEFAULT_EIGENLAYER_SCENARIO, opts.seed)
  })
  afterAll(async () => {
    await t.anvil?.stop()
  })
  if (opts.snapshots ?? true) {
    beforeEach(async () => {
      snapshotId = await t.c.test.snapshot()
    })
    afterEach(async () => {
      await t.c.test.revert({ id: snapshotId })
    })
  }
  return t
}

/** Anvil's first dev key: deploys the harness and mints the token (never used off Anvil). */
export const ANVIL_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const
