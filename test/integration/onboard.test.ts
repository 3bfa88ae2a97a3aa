/**
 * Onboarding on the shared local world (real Anvil, real Symbiotic core and DefaultStakerRewards): `autopilot init`
 * reads the seeded vault and writes a config that `autopilot plan` runs on; it says which curator roles a signer
 * lacks. A configured vault that is not a supported Symbiotic vault — a Symbiotic-v2-shaped contract answering
 * `version()` = 3 (local/contracts/VaultV2Stub.sol), a contract that is not a vault (the collateral token; a
 * DefaultStakerRewards, which answers `version()` = 2 but not the vault interface), an address with no code — is
 * refused by name by init, by the reader, by the watcher and by a rebalance run, which sends nothing. A signer holding none of the
 * roles gets an error listing them. Extra vaults (config `extraVaults`) add their stake to the security figure σ_{N(s)}.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT, toJson } from '../../local/cli/common.js'
import { networkRestakeDelegatorAbi } from '../../local/world/abis/symbiotic.js'
import { deploy, write } from '../../local/world/chain.js'
import { compileContract } from '../../local/world/compile.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { loadScenario } from '../../local/world/scenario.js'
import { type Actor, type SeededNetwork, type SeededVault, actor, seedVault } from '../../local/world/seed.js'
import { toAddr } from '../../shared/address.js'
import { createReader } from '../../shared/chain/client.js'
import { ProtocolConfigSchema } from '../../shared/config/config.js'
import { securityCheck, universeStakes } from '../../shared/domain/security.js'
import { readSymbiotic } from '../../shared/protocols/symbiotic/adapter.js'
import { readSymbioticEvents, syncSymbioticEvents } from '../../shared/protocols/symbiotic/events.js'
import { memoryChainSync } from '../../shared/chain/sync/index.js'
import { readSymbioticUniverse } from '../../shared/protocols/symbiotic/reader.js'
import { NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE } from '../../shared/protocols/symbiotic/roles.js'
import { runRebalance } from '../../shared/services/runRebalance.js'
import { runCli } from '../setup/cli.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { testContext } from './helpers.js'

const w = world()
const c = chain(w)
const deployer = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
const main = w.seeded.vaults[0]!
const NO_CODE = '0x00000000000000000000000000000000c0ffee00' as Address
let revert: () => Promise<void>
let dir: string
let preset: string
let v2Stub: Address

beforeAll(async () => {
  revert = await snapshot(c)
  dir = await mkdtemp(join(tmpdir(), 'ra-onboard-'))
  // The local world's core, as infra/examples/protocol.mainnet.json gives mainnet's.
  preset = join(dir, 'preset.json')
  const { core } = w
  await writeFile(
    preset,
    toJson({
      symbiotic: { ...w.config.symbiotic, vaultFactory: core.vaultFactory, stakerRewardsFactory: core.stakerRewardsFactory, networkRegistry: core.networkRegistry, operatorRegistry: core.operatorRegistry },
      vaults: [{ address: '0x1111111111111111111111111111111111111111' }],
      fromBlock: '0',
      confirmations: 1,
    }),
  )
  const stub = compileContract('VaultV2Stub.sol', 'VaultV2Stub')
  v2Stub = await deploy(c, deployer, stub.abi, stub.bytecode, [w.seeded.token, main.delegator])
})
afterAll(async () => {
  await revert?.()
  await rm(dir, { recursive: true, force: true })
})

const init = (...args: string[]) => runCli('init', '--rpc', w.config.rpcUrl, '--preset', preset, ...args)

describe('autopilot init', () => {
  it('reads the vault, finds its DefaultStakerRewards, and writes a config that plan runs on', async () => {
    const out = join(dir, 'protocol.json')
    const r = await init('--vault', main.address, '--signer', w.seeded.curator.address, '--out', out)
    expect(r.err).toBe('')
    expect(r.code).toBe(EXIT.ok)
    expect(r.out).toContain(`Vault ${main.address.toLowerCase()} (version 1)`)
    expect(r.out).toContain(`delegator: network-restake (${main.delegator.toLowerCase()})`)
    expect(r.out).toContain('slasher: instant')
    expect(r.out).toContain('epoch: 7 d')
    expect(r.out).toContain(`collateral: lsETH (${w.seeded.token.toLowerCase()}, 18 decimals)`)
    expect(r.out).toMatch(/active stake: [\d,.]+ lsETH/)
    expect(r.out).toContain(`staker rewards: ${main.stakerRewards.toLowerCase()}`)
    expect(r.out).toContain('every role this delegator needs is held')
    const doc = JSON.parse(await readFile(out, 'utf8')) as unknown
    const config = ProtocolConfigSchema.parse(doc)
    expect(config.vaults).toEqual([{ address: main.address.toLowerCase(), stakerRewards: [main.stakerRewards.toLowerCase()] }])
    expect(config.symbiotic.stakerRewardsFactory).toBe(w.core.stakerRewardsFactory.toLowerCase())
    expect(config.labels[w.seeded.token.toLowerCase()]).toBe('lsETH')
    const plan = await runCli('plan', '--rpc', w.config.rpcUrl, '--policy', 'local/scenarios/default.policy.json', '--config', out, '--dry-run')
    expect(plan.err).toBe('')
    expect(plan.code).toBe(EXIT.ok)
    expect(plan.out).toContain(`1 vault(s), ${w.seeded.operators.length} operator(s)`)
  })

  it('says which curator roles a signer lacks', async () => {
    const stranger = actor('onboard/stranger').address
    const r = await init('--vault', main.address, '--signer', stranger, '--json')
    expect(r.code).toBe(EXIT.ok)
    const j = JSON.parse(r.out) as { vaults: { missingRoles: string[]; roles: Record<string, boolean> }[] }
    expect(j.vaults[0]!.missingRoles).toEqual(['NETWORK_LIMIT_SET_ROLE', 'OPERATOR_NETWORK_SHARES_SET_ROLE'])
    expect(Object.values(j.vaults[0]!.roles)).toEqual([false, false, false])
    const text = await init('--vault', main.address, '--safe', stranger)
    expect(text.out).toContain(`Safe ${stranger} holds no curator role`)
    expect(text.out).toContain('MISSING: NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE on')
  })

  it.each([
    ['a Symbiotic v2 vault (version 3)', () => v2Stub, 'UnsupportedVaultVersionError', 'has version 3, which restake-autopilot does not support'],
    ['a contract that is not a vault (the collateral token)', () => w.seeded.token, 'NotAVaultError', 'is not a Symbiotic vault: it does not answer version()'],
    ['a DefaultStakerRewards (version() = 2, no vault interface)', () => main.stakerRewards, 'NotAVaultError', 'it does not answer collateral(), delegator(), slasher(), epochDuration()'],
    ['an address with no code', () => NO_CODE, 'VaultNotFoundError', 'there is no contract at that address'],
  ])('refuses %s by name and writes nothing', async (_what, address, name, message) => {
    const out = join(dir, `refused-${name}.json`)
    const r = await init('--vault', main.address, '--vault', address(), '--out', out)
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain(`${name}: `)
    expect(r.err).toContain(message)
    expect(r.err.toLowerCase()).toContain(address().toLowerCase())
    await expect(stat(out)).rejects.toThrow()
  })

  it('refuses a vault the configured VaultFactory did not create', async () => {
    const { core } = w
    const client = createReader({ rpcUrl: w.config.rpcUrl, chainId: w.config.chainId })
    const read = (vaultFactory?: Address) => readSymbioticUniverse(client, { ...w.config.symbiotic, vaults: [{ address: main.address, stakerRewards: [] }], curator: w.seeded.curator.address, vaultFactory })
    expect((await read(core.vaultFactory)).positions).toHaveLength(1)
    // Another registry in the factory's place: it did not create the vault, so the vault is refused although it answers.
    await expect(read(core.operatorRegistry)).rejects.toMatchObject({ name: 'NotAVaultError', shortMessage: expect.stringContaining(`the VaultFactory ${core.operatorRegistry} did not create it`) })
  })
})

describe('the bot refuses a bad vault before anything is read, planned or signed', () => {
  it.each([
    ['UnsupportedVaultVersionError', () => v2Stub],
    ['VaultNotFoundError', () => NO_CODE],
  ])('the reader and a rebalance run: %s, nothing sent', async (name, address) => {
    const client = createReader({ rpcUrl: w.config.rpcUrl, chainId: w.config.chainId })
    const vaults = [...w.config.vaults, { address: toAddr(address()), stakerRewards: [] }]
    await expect(readSymbioticUniverse(client, { ...w.config.symbiotic, vaults, curator: w.seeded.curator.address })).rejects.toMatchObject({ name, vault: address() })
    const config = { ...(await withFreshTables(w)), vaults }
    const nonce = await c.public.getTransactionCount({ address: w.seeded.curator.address })
    const result = await runRebalance(testContext(w, config), { trigger: 'onboard-test' })
    expect(result.status).toBe('failed')
    expect(result.error?.name).toBe(name)
    expect(result.error?.message.toLowerCase()).toContain(address().toLowerCase())
    expect(await c.public.getTransactionCount({ address: w.seeded.curator.address })).toBe(nonce)
  })

  it('the watcher refuses it before reading any log', async () => {
    const client = createReader({ rpcUrl: w.config.rpcUrl, chainId: w.config.chainId })
    const latest = await c.public.getBlock({ blockTag: 'latest' })
    const head = { number: latest.number, hash: latest.hash }
    const sync = memoryChainSync()
    const config = { ...w.config, vaults: [...w.config.vaults, { address: toAddr(v2Stub), stakerRewards: [] }] }
    await expect(syncSymbioticEvents({ client, config }, sync, head)).rejects.toMatchObject({ name: 'UnsupportedVaultVersionError', version: 3 })
    expect(await sync.store.getCursor({ chainId: w.config.chainId, source: 'symbiotic' })).toBeUndefined() // nothing was synced
    const synced = await syncSymbioticEvents({ client, config: w.config }, sync, head)
    expect(await readSymbioticEvents({ client, config: w.config, chainLogs: sync.store }, synced, synced.syncedTo - 10n, synced.syncedTo)).toBeInstanceOf(Array)
  })

  it('a signer holding none of the curator roles: the error lists every missing role, nothing sent', async () => {
    const undo = await snapshot(c)
    try {
      for (const role of [NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE]) await write(c, deployer, { address: main.delegator, abi: networkRestakeDelegatorAbi, functionName: 'revokeRole', args: [role, w.seeded.curator.address] })
      const nonce = await c.public.getTransactionCount({ address: w.seeded.curator.address })
      const result = await runRebalance(testContext(w, await withFreshTables(w)), { trigger: 'onboard-test' })
      expect(result.status).toBe('failed')
      expect(result.error?.name).toBe('MissingRoleError')
      expect(result.error?.message).toContain('lacks NETWORK_LIMIT_SET_ROLE and OPERATOR_NETWORK_SHARES_SET_ROLE on delegator')
      expect(await c.public.getTransactionCount({ address: w.seeded.curator.address })).toBe(nonce)
    } finally {
      await undo()
    }
  })
})

describe('extraVaults: read for the security figure only', () => {
  it("adds another vault's stake to σ_N(s), raising each service's security ratio by exactly that stake", async () => {
    const undo = await snapshot(c)
    try {
      // Another curator's vault on the same networks and operators (seeded as the world seeds its own).
      const networks: SeededNetwork[] = w.seeded.networks.map((n) => ({ ...actor(`network/${n.label}`), label: n.label, middleware: actor(`middleware/${n.label}`), subnetworks: n.subnetworks }))
      const operators: Actor[] = w.seeded.operators.map((o) => ({ ...actor(`operator/${o.label}`), label: o.label }))
      const other: Actor = { ...actor('curator/other'), label: 'curator/other' }
      await c.test.setBalance({ address: other.address, value: 10n ** 21n })
      const extra: SeededVault = await seedVault(
        c,
        w.core,
        deployer,
        { scenario: loadScenario('local/scenarios/default.json'), token: w.seeded.token, curator: other, networks, operators, labels: {} },
        { label: 'others', delegator: 'network-restake', slasher: 'instant', deposits: ['5000'], initialAllocation: 'even' },
      )
      const client = createReader({ rpcUrl: w.config.rpcUrl, chainId: w.config.chainId })
      const ctx = (extraVaults?: Address[]) => ({ client, chainSync: memoryChainSync(), config: { ...w.config, ...(extraVaults ? { extraVaults: extraVaults.map(toAddr) } : {}) } })
      const alone = (await readSymbiotic(ctx())).universe
      const withExtra = (await readSymbiotic(ctx([extra.address]))).universe
      expect(alone.externalStake).toBeUndefined()
      // Ours is unchanged: the extra vault is neither a position nor planned.
      expect(withExtra.positions.map((p) => p.id)).toEqual(alone.positions.map((p) => p.id))
      const external = withExtra.externalStake!
      expect(external.length).toBeGreaterThan(0)
      // Every external entry is the extra delegator's stake(sn, op), read directly.
      for (const e of external) expect(await c.public.readContract({ address: extra.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [e.service, e.operator] })).toBe(e.stake)

      const figures = (u: typeof alone) =>
        securityCheck({ services: u.services.map((s) => ({ service: s.id, profitFromCorruption: 1000, attackThreshold: 1 / 3 })), stakes: universeStakes(u), minSecuritySlack: 0, shockFraction: 0.1 }).services
      const before = figures(alone)
      const after = figures(withExtra)
      for (const s of before) {
        const added = external.filter((e) => e.service === s.service).reduce((a, e) => a + e.stake, 0n)
        const a = after.find((x) => x.service === s.service)!
        expect(a.stake).toBe(s.stake + added)
        if (added > 0n) expect(a.ratio!).toBeGreaterThan(s.ratio!)
      }
      expect(after.some((a, i) => a.stake > before[i]!.stake)).toBe(true)
    } finally {
      await undo()
    }
  })
})
