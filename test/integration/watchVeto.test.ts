/**
 * The slash watcher against a real Symbiotic VetoSlasher: each test creates (under a chain snapshot) a second
 * vault of the default world through the core's VaultConfigurator with slasher type 1 (one-day veto, a resolver
 * set by the network), deposits into it and lets the curator split it evenly; the network's middleware then
 * calls `requestSlash` on op-atlas in oracle-net/0, and the next watch tick (built as the Lambda builds it)
 * answers the request itself: `zero-out` brings the pair's stake to 0 on chain, `halve` to at most half,
 * `alert-only` sends nothing; one notification names the operator, the network and the tx hashes, and later
 * ticks and a rescan act no second time. The request's outcome is then only recorded: `executeSlash` after the
 * veto window (really slashing the vault) and the resolver's `vetoSlash` send nothing and notify no one.
 */
import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Address, type Hex, BaseError, ContractFunctionRevertedError } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { networkRestakeDelegatorAbi, vaultAbi, vetoSlasherAbi } from '../../local/world/abis/symbiotic.js'
import { advanceTime, write } from '../../local/world/chain.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { loadScenario } from '../../local/world/scenario.js'
import { type Actor, type SeededNetwork, type SeededVault, actor, seedVault } from '../../local/world/seed.js'
import type { Config } from '../../shared/config/config.js'
import { createReader } from '../../shared/chain/client.js'
import { readSymbioticUniverse } from '../../shared/protocols/symbiotic/reader.js'
import { contextFromEnv } from '../../shared/services/bootstrap.js'
import { units } from '../../shared/services/notify.js'
import { signerFromEnv } from '../../shared/services/signer.js'
import { type WatchContext, asWatchContext, watchEvents } from '../../shared/services/watchEvents.js'
import { withTriggers } from '../../shared/services/triggers.js'
import { encodeJson } from '../../shared/store/client.js'
import { type NotificationReceiver, startNotificationReceiver } from '../setup/receiver.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'

const DAY = 86_400
const w = world()
const c = chain(w)
const basePolicy = JSON.parse(readFileSync('local/scenarios/default.policy.json', 'utf8')) as Record<string, unknown>
const scenario = loadScenario('local/scenarios/default.json')
const deployer = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
const curator: Actor = { label: 'curator', address: w.seeded.curator.address, account: privateKeyToAccount(w.curatorKey) }
// The world's actors, re-derived from their labels (local/world/seed.ts `actor`).
const networks: SeededNetwork[] = w.seeded.networks.map((n) => ({ ...actor(`network/${n.label}`), label: n.label, middleware: actor(`middleware/${n.label}`), subnetworks: n.subnetworks }))
const operators: Actor[] = w.seeded.operators.map((o) => ({ ...actor(`operator/${o.label}`), label: o.label }))
const network = networks.find((n) => n.label === 'oracle-net')!
const sn = network.subnetworks[0]!.id
const atlas = operators.find((o) => o.label === 'op-atlas')!
const operator = atlas.address.toLowerCase() as Address
const resolver = actor('resolver/oracle-net')
const main = w.seeded.vaults[0]!

let revert: () => Promise<void>
let receiver: NotificationReceiver
let veto: SeededVault
let vetoLabels: Record<string, string>

beforeEach(async () => {
  revert = await snapshot(c)
  receiver = await startNotificationReceiver()

  // The actors re-derived from labels are the world's.
  expect(networks.map((n) => [n.address, n.middleware.address])).toEqual(w.seeded.networks.map((n) => [n.address, n.middleware]))
  expect(operators.map((o) => o.address)).toEqual(w.seeded.operators.map((o) => o.address))

  // A second vault as the world seeds one, but with a VetoSlasher; every network caps it, every operator opts in,
  // one depositor, the curator (our signer) holds the delegator's roles and splits it evenly.
  vetoLabels = {}
  veto = await seedVault(
    c,
    w.core,
    deployer,
    { scenario, token: w.seeded.token, curator, networks, operators, labels: vetoLabels },
    { label: 'veto', delegator: 'network-restake', slasher: 'veto', deposits: ['3000'], initialAllocation: 'even' },
  )
  const [type, vetoDuration, vaultOfSlasher] = await Promise.all([
    c.public.readContract({ address: veto.slasher, abi: vetoSlasherAbi, functionName: 'TYPE' }),
    c.public.readContract({ address: veto.slasher, abi: vetoSlasherAbi, functionName: 'vetoDuration' }),
    c.public.readContract({ address: veto.slasher, abi: vetoSlasherAbi, functionName: 'vault' }),
  ])
  expect(type).toBe(1n)
  expect(vetoDuration).toBe(DAY)
  expect(vaultOfSlasher).toBe(veto.address)
  // The network names a resolver (its first resolver takes effect at once; later changes wait resolverSetEpochsDelay epochs).
  await c.test.setBalance({ address: resolver.address, value: 10n ** 21n })
  await write(c, network.account, { address: veto.slasher, abi: vetoSlasherAbi, functionName: 'setResolver', args: [BigInt(network.subnetworks[0]!.identifier), resolver.address, '0x'] })
  expect(await c.public.readContract({ address: veto.slasher, abi: vetoSlasherAbi, functionName: 'resolver', args: [sn, '0x'] })).toBe(resolver.address)
  // Let the allocation and the resolver age so that a capture one second ago sees both.
  await advanceTime(c, 60)
})
afterEach(async () => {
  await receiver.close()
  await revert()
})

/** The watcher's context, built as the Lambda builds it, on fresh tables, watching the main vault and the veto vault. */
async function watchContext(slashResponse: 'zero-out' | 'halve' | 'alert-only'): Promise<WatchContext> {
  const config: Config = await withFreshTables(w)
  const vaults = [...config.vaults, { address: veto.address.toLowerCase() as Address, stakerRewards: [veto.stakerRewards.toLowerCase() as Address] }]
  const env = {
    AUTOPILOT_CONFIG: encodeJson({ ...config, vaults, labels: { ...config.labels, ...vetoLabels }, fromBlock: config.fromBlock.toString() }),
    POLICY_JSON: JSON.stringify({ ...basePolicy, slashResponse, notifications: { webhookUrls: [receiver.url], console: false } }),
    SIGNER_PRIVATE_KEY: w.curatorKey,
  }
  const ctx = asWatchContext(withTriggers(contextFromEnv(env, 'watch-veto-test', { secrets: {}, account: await signerFromEnv(env) })))
  ctx.logger.setLogLevel('SILENT')
  return ctx
}

const stakeIn = (delegator: Address) => c.public.readContract({ address: delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, operator] })
const nonce = () => c.public.getTransactionCount({ address: curator.address })
const activeStake = () => c.public.readContract({ address: veto.address, abi: vaultAbi, functionName: 'activeStake' })
const slashRequest = async (index: bigint) => {
  const [subnetwork, op, amount, captureTimestamp, vetoDeadline, completed] = await c.public.readContract({ address: veto.slasher, abi: vetoSlasherAbi, functionName: 'slashRequests', args: [index] })
  return { subnetwork, operator: op, amount, captureTimestamp, vetoDeadline, completed }
}
/** Buries the last transactions under the confirmation depth the watcher waits for. */
const bury = () => c.test.mine({ blocks: w.config.confirmations })

/** oracle-net's middleware requests a slash of 10 % of op-atlas's stake in the veto vault, captured a second ago. */
async function requestSlash(): Promise<{ txHash: Hex; slashIndex: bigint; amount: bigint }> {
  const capture = Number((await c.public.getBlock({ blockTag: 'latest' })).timestamp) - 1
  const captured = await c.public.readContract({ address: veto.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stakeAt', args: [sn, operator, capture, '0x'] })
  expect(captured).toBeGreaterThan(0n)
  const amount = captured / 10n
  const slashIndex = await c.public.readContract({ address: veto.slasher, abi: vetoSlasherAbi, functionName: 'slashRequestsLength' })
  const txHash = await write(c, network.middleware.account, { address: veto.slasher, abi: vetoSlasherAbi, functionName: 'requestSlash', args: [sn, operator, amount, capture, '0x'] })
  expect(await slashRequest(slashIndex)).toMatchObject({ subnetwork: sn, operator: atlas.address, amount, captureTimestamp: capture, completed: false })
  await bury()
  return { txHash, slashIndex, amount }
}

/** The revert error name of a call that must fail. */
async function revertName(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (e) {
    const r = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : undefined
    return r instanceof ContractFunctionRevertedError ? r.data?.errorName : String(e)
  }
  return undefined
}

/** oracle-net's middleware executes the request once its veto window is over (before, the core refuses); returns the tx and what the vault lost. */
async function executeAfterVetoWindow(slashIndex: bigint): Promise<{ execTx: Hex; slashed: bigint }> {
  const execute = { address: veto.slasher, abi: vetoSlasherAbi, functionName: 'executeSlash', args: [slashIndex, '0x'] } as const
  expect(await revertName(c.public.simulateContract({ ...execute, account: network.middleware.account }))).toBe('VetoPeriodNotEnded')
  const { vetoDeadline } = await slashRequest(slashIndex)
  const now = (await c.public.getBlock({ blockTag: 'latest' })).timestamp
  await advanceTime(c, Number(BigInt(vetoDeadline) - now) + 1)
  const activeBefore = await activeStake()
  const execTx = await write(c, network.middleware.account, execute)
  expect((await slashRequest(slashIndex)).completed).toBe(true)
  const slashed = activeBefore - (await activeStake())
  await bury()
  return { execTx, slashed }
}

const slashNotes = () => receiver.received.filter((n) => n.kind === 'slash')
/** The service `sn` as the next rebalance reads it, with `vaults` configured (3 round trips, the real reader). */
async function serviceAsRead(vaults: Address[]) {
  const u = await readSymbioticUniverse(createReader({ rpcUrl: w.config.rpcUrl, chainId: w.config.chainId }), {
    ...w.config.symbiotic,
    vaults: vaults.map((address) => ({ address, stakerRewards: [] })),
    curator: curator.address,
    fromBlock: w.config.fromBlock,
  })
  return u.services.find((s) => s.id === sn)!
}

describe('watch: a real VetoSlasher request on stake we allocate', () => {
  it('zero-out: the tick that sees requestSlash zeroes the pair on chain, notifies once; executeSlash after the veto window is only recorded', async () => {
    const ctx = await watchContext('zero-out')
    expect((await watchEvents(ctx)).status).toBe('initialised')
    const { txHash, slashIndex, amount } = await requestSlash()
    const vetoBefore = await stakeIn(veto.delegator)
    const mainBefore = await stakeIn(main.delegator)
    expect(vetoBefore).toBeGreaterThan(0n)
    expect(mainBefore).toBeGreaterThan(0n)
    const nonceBefore = await nonce()

    const tick = await watchEvents(ctx)
    expect(tick.error).toBeUndefined()
    expect(tick.status).toBe('advanced')
    const ev = tick.events.find((e) => e.kind === 'RequestSlash')!
    expect(ev).toMatchObject({
      txHash,
      emitter: veto.slasher.toLowerCase(),
      vault: veto.address.toLowerCase(),
      subnetwork: sn,
      operator,
      network: network.address.toLowerCase(),
      amount,
      slashIndex,
      relevant: true,
      held: true,
      outcome: 'derisked',
    })
    expect(tick.derisk?.status).toBe('succeeded')
    expect(tick.derisk!.txHashes.length).toBeGreaterThan(0)
    expect(await nonce()).toBe(nonceBefore + tick.derisk!.txHashes.length)
    // The de-risk order names the (network, operator) pair, not the vault: both vaults we steer drop it.
    expect(await stakeIn(veto.delegator)).toBe(0n)
    expect(await stakeIn(main.delegator)).toBe(0n)
    const run = (await ctx.runs.get(tick.derisk!.runId))!
    expect(run.trigger).toBe(`watch:slash:${ev.key}`)
    const positions = (run.plan as { positions: { vault: string; forced: { service: string; operator: string; from: bigint; to: bigint; reason: string }[] }[] }).positions
    const forced = positions.find((p) => p.vault === veto.address.toLowerCase())!.forced.find((f) => f.service === sn && f.operator === operator)!
    expect(BigInt(String(forced.from))).toBe(vetoBefore)
    expect(BigInt(String(forced.to))).toBe(0n)
    expect(forced.reason).toContain(`RequestSlash of op-atlas by oracle-net/0 at block ${ev.blockNumber} (tx ${txHash})`)

    // One notification, naming the request, the operator, the network and every tx hash.
    expect(slashNotes()).toHaveLength(1)
    const n = slashNotes()[0]!
    expect(n).toMatchObject({ operator, service: sn, runId: tick.derisk!.runId })
    expect(n.subject).toBe(`RequestSlash: op-atlas in oracle-net/0 — zero-out, ${tick.derisk!.txHashes.length} tx sent`)
    expect(n.txHashes).toEqual([txHash, ...tick.derisk!.txHashes])
    expect(n.text).toContain(`oracle-net/0 (${sn}) requested a slash of operator op-atlas (${operator})`)
    expect(n.text).toContain('in vault/veto')
    expect(n.text).toContain(`We allocate to this pair: stake ${units(vetoBefore + mainBefore)} when the slash was seen.`)
    for (const h of [txHash, ...tick.derisk!.txHashes]) expect(n.text).toContain(h)
    expect(n.residualExposure!.map((r) => BigInt(r.stake)).sort()).toEqual([vetoBefore, mainBefore].sort())
    expect((await ctx.events.get(ev.key))?.status).toBe('done')

    // Acted on once: the next tick and a rescan of the request's block send nothing and notify no one.
    const nonceAfter = await nonce()
    const again = await watchEvents(ctx)
    expect(again.derisk).toBeUndefined()
    expect(again.events.filter((e) => e.kind === 'RequestSlash')).toEqual([])
    const cursorId = `symbiotic:${w.config.chainId}`
    const cursor = (await ctx.cursors.get(cursorId))!
    const back = ev.blockNumber - 1n
    await ctx.cursors.advance(cursorId, { from: cursor.block, to: back, blockHash: (await c.public.getBlock({ blockNumber: back })).hash, now: Date.now() })
    const rescan = await watchEvents(ctx)
    expect(rescan.error).toBeUndefined()
    expect(rescan.events.find((e) => e.key === ev.key)?.outcome).toBe('already-handled')
    expect(rescan.derisk).toBeUndefined()
    expect(await nonce()).toBe(nonceAfter)
    expect(slashNotes()).toHaveLength(1)

    // After the veto window the middleware executes: the vault is slashed for real (the stake captured before the de-risk stays slashable) …
    const { execTx, slashed } = await executeAfterVetoWindow(slashIndex)
    expect(slashed).toBe(amount)

    // … and the watcher records it, answered already by the de-risk: no second de-risk, no transaction, no notification.
    const nonceBeforeExec = await nonce()
    const recorded = await watchEvents(ctx)
    expect(recorded.error).toBeUndefined()
    expect(recorded.status).toBe('advanced')
    const exec = recorded.events.find((e) => e.kind === 'ExecuteSlash')!
    expect(exec).toMatchObject({ txHash: execTx, vault: veto.address.toLowerCase(), slashIndex, subnetwork: sn, operator, network: network.address.toLowerCase(), amount, relevant: true, held: false, outcome: 'recorded' })
    expect(recorded.derisk).toBeUndefined()
    expect(await nonce()).toBe(nonceBeforeExec)
    expect(await stakeIn(veto.delegator)).toBe(0n)
    expect(slashNotes()).toHaveLength(1)
    expect((await ctx.events.get(exec.key))?.status).toBe('done')
    const watchRun = (await ctx.runs.get(recorded.runId!))!
    expect(watchRun).toMatchObject({ kind: 'watch', status: 'succeeded' })
    expect((watchRun.decision as { events: { key: string; kind: string; outcome: string }[] }).events).toEqual([expect.objectContaining({ key: exec.key, kind: 'ExecuteSlash', outcome: 'recorded' })])

    // The executed request is slash history for scoring: the reader finds it (pair, amount, capture stake) and the veto window.
    const read = await serviceAsRead([veto.address])
    expect(read.vetoWindowSeconds).toBe(DAY)
    const history = read.slashes.filter((s) => s.txHash === execTx)
    expect(history).toEqual([expect.objectContaining({ service: sn, operator, position: veto.address.toLowerCase(), amount: slashed })])
    expect(history[0]!.stakeAtCapture).toBeGreaterThanOrEqual(amount)
    // Held by the instant-slasher vault too, the service's window is the shorter one: 0.
    expect((await serviceAsRead([main.address, veto.address])).vetoWindowSeconds).toBe(0)
  })

  it('halve: the request leaves the pair at most half its stake (a forced move to ⌊stake/2⌋); executeSlash after the window halves nothing again', async () => {
    const ctx = await watchContext('halve')
    await watchEvents(ctx)
    const { txHash, slashIndex, amount } = await requestSlash()
    const before = await stakeIn(veto.delegator)
    const tick = await watchEvents(ctx)
    expect(tick.error).toBeUndefined()
    expect(tick.events.find((e) => e.kind === 'RequestSlash')).toMatchObject({ txHash, slashIndex, held: true, outcome: 'derisked' })
    expect(tick.derisk?.status).toBe('succeeded')
    const after = await stakeIn(veto.delegator)
    expect(after).toBeGreaterThan(0n)
    expect(after).toBeLessThanOrEqual(before / 2n)
    const run = (await ctx.runs.get(tick.derisk!.runId))!
    const positions = (run.plan as { positions: { vault: string; forced: { service: string; operator: string; from: bigint; to: bigint }[] }[] }).positions
    const forced = positions.find((p) => p.vault === veto.address.toLowerCase())!.forced.find((f) => f.service === sn && f.operator === operator)!
    expect([BigInt(String(forced.from)), BigInt(String(forced.to))]).toEqual([before, before / 2n])
    expect(slashNotes()).toHaveLength(1)
    expect(slashNotes()[0]!.subject).toBe(`RequestSlash: op-atlas in oracle-net/0 — halve, ${tick.derisk!.txHashes.length} tx sent`)
    expect(slashNotes()[0]!.txHashes).toEqual([txHash, ...tick.derisk!.txHashes])

    // The pair still holds stake, so acting on ExecuteSlash as on a new slash would halve it again: it must not.
    const { execTx, slashed } = await executeAfterVetoWindow(slashIndex)
    expect(slashed).toBe(amount)
    const nonceBefore = await nonce()
    const recorded = await watchEvents(ctx)
    expect(recorded.error).toBeUndefined()
    expect(recorded.events.find((e) => e.kind === 'ExecuteSlash')).toMatchObject({ txHash: execTx, slashIndex, subnetwork: sn, operator, amount, held: false, outcome: 'recorded' })
    expect(recorded.derisk).toBeUndefined()
    expect(await nonce()).toBe(nonceBefore)
    expect(await stakeIn(veto.delegator)).toBeGreaterThan(0n)
    expect(slashNotes()).toHaveLength(1)
  })

  it('alert-only: the request is notified with its tx hash and nothing is sent; the resolver’s vetoSlash is only recorded', async () => {
    const ctx = await watchContext('alert-only')
    await watchEvents(ctx)
    const { txHash, slashIndex, amount } = await requestSlash()
    const vetoBefore = await stakeIn(veto.delegator)
    const mainBefore = await stakeIn(main.delegator)
    const nonceBefore = await nonce()
    const tick = await watchEvents(ctx)
    expect(tick.error).toBeUndefined()
    expect(tick.status).toBe('advanced')
    expect(tick.derisk).toBeUndefined()
    expect(tick.events.find((e) => e.kind === 'RequestSlash')).toMatchObject({ txHash, operator, subnetwork: sn, held: true, outcome: 'alerted' })
    expect(await nonce()).toBe(nonceBefore)
    expect(await stakeIn(veto.delegator)).toBe(vetoBefore)
    expect(await stakeIn(main.delegator)).toBe(mainBefore)
    expect(slashNotes()).toHaveLength(1)
    const n = slashNotes()[0]!
    expect(n).toMatchObject({ operator, service: sn, txHashes: [txHash] })
    expect(n.runId).toBeUndefined()
    expect(n.subject).toBe('RequestSlash: op-atlas in oracle-net/0 (alert only)')
    expect(n.text).toContain(`oracle-net/0 (${sn}) requested a slash of operator op-atlas (${operator})`)
    expect(n.text).toContain('alert-only → nothing sent')
    const deadline = (await slashRequest(slashIndex)).vetoDeadline
    expect(n.text).toContain(`can be vetoed until ${new Date(Number(deadline) * 1000).toISOString()} (unix ${deadline})`)

    // The resolver vetoes within the window: the request closes without slashing. The pair still holds its full
    // stake, so acting on VetoSlash as on a new slash would alert a second time: it must only be recorded.
    const activeBefore = await activeStake()
    const vetoTx = await write(c, resolver.account, { address: veto.slasher, abi: vetoSlasherAbi, functionName: 'vetoSlash', args: [slashIndex, '0x'] })
    expect((await slashRequest(slashIndex)).completed).toBe(true)
    expect(await activeStake()).toBe(activeBefore)
    await bury()
    const recorded = await watchEvents(ctx)
    expect(recorded.error).toBeUndefined()
    const ev = recorded.events.find((e) => e.kind === 'VetoSlash')!
    expect(ev).toMatchObject({ txHash: vetoTx, vault: veto.address.toLowerCase(), slashIndex, subnetwork: sn, operator, amount, relevant: true, held: false, outcome: 'recorded' })
    expect(recorded.derisk).toBeUndefined()
    expect(await nonce()).toBe(nonceBefore)
    expect(await stakeIn(veto.delegator)).toBe(vetoBefore)
    expect(slashNotes()).toHaveLength(1)
    expect((await ctx.events.get(ev.key))?.status).toBe('done')
    // A vetoed request slashed nothing: it is not slash history.
    expect((await serviceAsRead([veto.address])).slashes.filter((s) => s.position === veto.address.toLowerCase())).toEqual([])
  })
})
