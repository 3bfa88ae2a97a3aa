/**
 * DAO mode on the real local world: a Safe 1.4.1 holds the curator roles, a Zodiac Roles v2 modifier scoped from the
 * policy is its module, and the bot's key (a member of the role, holding nothing else) steers the vault through it.
 * Refusals are checked against the Roles contract itself: raw transactions from the bot's key, bypassing our code.
 */
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Address, type Hex, encodeFunctionData, erc20Abi } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { write } from '../../local/world/chain.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { type DaoSetup, deployDaoSetup } from '../../local/world/safe.js'
import { lstTokenAbi } from '../../local/world/seed.js'
import { networkRestakeDelegatorAbi, vaultAbi } from '../../local/world/abis/symbiotic.js'
import { buildCuratorCall } from '../../shared/protocols/symbiotic/buildCuratorCall.js'
import { NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE } from '../../shared/protocols/symbiotic/roles.js'
import { rolesModifierAbi, safeAbi } from '../../local/world/abis/safe.js'
import { decodeRolesRevert, simulateAsSafe } from '../../shared/chain/safe/execWithRole.js'
import { decodeProposal } from '../../shared/chain/safe/propose.js'
import { delegatorsFromUniverse } from '../../shared/chain/safe/rolesPermissions.js'
import { execTransactionCall, hashSafeTransaction, safeTransaction, signSafeTransaction } from '../../shared/chain/safe/safeTransaction.js'
import type { Config } from '../../shared/config/config.js'
import { lowerHex, toAddr } from '../../shared/address.js'
import type { Policy } from '../../shared/domain/index.js'
import { readUniverse } from '../../shared/services/readUniverse.js'
import { runRebalance } from '../../shared/services/runRebalance.js'
import { main } from '../../local/cli/main.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { defaultPolicy, testContext } from './helpers.js'

const w = world()
const c = chain(w)
const deployer = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
const bot = privateKeyToAccount(generatePrivateKey())
const vault = w.seeded.vaults[0]!
const subnetwork = (label: string) => w.seeded.networks.find((n) => n.label === label)!.subnetworks[0]!
/** oracle-net is left out of the allow list: the role may only zero it. */
const outside = subnetwork('oracle-net')
const allowed = ['bridge-net', 'da-net', 'rollup-net'].map((l) => subnetwork(l).id)
const policy: Policy = defaultPolicy({ services: { allow: allowed, deny: [] } })

let dao: DaoSetup
let revertWorld: () => Promise<void>
let revert: () => Promise<void>

beforeAll(async () => {
  revertWorld = await snapshot(c)
  const ctx = testContext(w, await withFreshTables(w), policy)
  const { universe } = await readUniverse(ctx)
  dao = await deployDaoSetup(c, deployer, { delegators: delegatorsFromUniverse(universe), botAddress: bot.address, policy, labels: w.config.labels })
})
afterAll(async () => {
  await revertWorld()
})
beforeEach(async () => {
  revert = await snapshot(c)
})
afterEach(async () => {
  await revert()
})

/** A context whose config has the `dao` section and whose signer is the bot's key. */
async function daoContext(p: Policy = policy, extra: Partial<Config> = {}) {
  const config: Config = { ...(await withFreshTables(w)), dao: { safe: toAddr(dao.safe), rolesModifier: toAddr(dao.rolesModifier), roleKey: lowerHex(dao.roleKey), multiSendCallOnly: toAddr(dao.multiSendCallOnly) }, ...extra }
  return { ...testContext(w, config, p), account: bot }
}

const stakeOf = (sn: Hex, op: Address) => c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, op] })

/** Sends `execTransactionWithRole` as a raw transaction from `from` (fixed gas, so a refusal is mined, not just estimated). */
async function sendWithRole(from: typeof bot, p: { to: Address; data: Hex; value?: bigint; operation?: number; roleKey?: Hex }) {
  const data = encodeFunctionData({ abi: rolesModifierAbi, functionName: 'execTransactionWithRole', args: [p.to, p.value ?? 0n, p.data, p.operation ?? 0, p.roleKey ?? dao.roleKey, true] })
  const hash = await c.wallet.sendTransaction({ account: from, chain: c.wallet.chain, to: dao.rolesModifier, data, gas: 1_000_000n })
  const receipt = await c.public.waitForTransactionReceipt({ hash })
  return { receipt, revert: receipt.status === 'reverted' ? await revertDataOf(hash) : undefined }
}

/** The revert data of a mined transaction, from Anvil's call tracer. */
async function revertDataOf(hash: Hex): Promise<Hex> {
  const trace = (await c.public.request({ method: 'debug_traceTransaction' as never, params: [hash, { tracer: 'callTracer' }] as never })) as { output?: Hex }
  return trace.output ?? '0x'
}

describe('DAO setup (real Safe 1.4.1, real Roles v2)', () => {
  it('the Safe holds the curator roles and the module; the bot holds no role and no funds of the vault', async () => {
    const has = (role: Hex, who: Address) => c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'hasRole', args: [role, who] })
    expect(await has(NETWORK_LIMIT_SET_ROLE, dao.safe)).toBe(true)
    expect(await has(OPERATOR_NETWORK_SHARES_SET_ROLE, dao.safe)).toBe(true)
    for (const role of [NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE, OPERATOR_NETWORK_LIMIT_SET_ROLE]) expect(await has(role, bot.address)).toBe(false)
    expect(await c.public.readContract({ address: w.seeded.token, abi: erc20Abi, functionName: 'balanceOf', args: [bot.address] })).toBe(0n)
    expect(await c.public.readContract({ address: vault.address, abi: vaultAbi, functionName: 'activeSharesOf', args: [bot.address] })).toBe(0n)
    expect(await c.public.readContract({ address: vault.address, abi: vaultAbi, functionName: 'slashableBalanceOf', args: [bot.address] })).toBe(0n)

    expect(await c.public.readContract({ address: dao.safe, abi: safeAbi, functionName: 'isModuleEnabled', args: [dao.rolesModifier] })).toBe(true)
    expect(await c.public.readContract({ address: dao.safe, abi: safeAbi, functionName: 'getThreshold' })).toBe(2n)
    expect((await c.public.readContract({ address: dao.safe, abi: safeAbi, functionName: 'getOwners' })).length).toBe(3)
    for (const fn of ['owner', 'avatar', 'target'] as const) {
      expect((await c.public.readContract({ address: dao.rolesModifier, abi: rolesModifierAbi, functionName: fn })).toLowerCase()).toBe(dao.safe.toLowerCase())
    }
    expect(dao.permissions.members).toEqual([bot.address.toLowerCase()])
    // Our EIP-712 SafeTx hash is the Safe's own.
    const tx = safeTransaction({ to: dao.multiSendCallOnly, data: '0x1234', operation: 1, nonce: 7n })
    const onChain = await c.public.readContract({
      address: dao.safe,
      abi: safeAbi,
      functionName: 'getTransactionHash',
      args: [tx.to, tx.value, tx.data, tx.operation, tx.safeTxGas, tx.baseGas, tx.gasPrice, tx.gasToken, tx.refundReceiver, tx.nonce],
    })
    expect(hashSafeTransaction(dao.safe, c.chainId, tx)).toBe(onChain)
  })
})

describe('autopilot through the role', () => {
  it('runs a rebalance end to end: every call goes bot → Roles → Safe → delegator, and the stake equals the plan', async () => {
    const ctx = await daoContext()
    const curatorNonce = await c.public.getTransactionCount({ address: w.seeded.curator.address })
    const result = await runRebalance(ctx, { trigger: 'test' })
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('succeeded')
    expect(result.verified).toBe(true)

    const run = await ctx.runs.get(result.runId)
    const plan = run!.plan as { positions: { delegator: Address; targets: { service: Hex; operator: Address; stake: bigint }[] }[] }
    for (const t of plan.positions[0]!.targets) expect(await stakeOf(t.service, t.operator)).toBe(t.stake)
    // The subnetwork outside the allow list was zeroed (allowed: value 0 only) and nothing else holds stake there.
    expect(await c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [outside.id] })).toBe(0n)
    expect(plan.positions[0]!.targets.filter((t) => t.service === outside.id && t.stake > 0n)).toEqual([])

    // Each action is one transaction from the bot's key to the Roles modifier, recorded as an intent before broadcast.
    for (const a of run!.actions!) {
      const receipt = await c.public.getTransactionReceipt({ hash: a.txHash as Hex })
      expect(receipt.status).toBe('success')
      expect(receipt.from.toLowerCase()).toBe(bot.address.toLowerCase())
      expect(receipt.to?.toLowerCase()).toBe(dao.rolesModifier.toLowerCase())
      expect(receipt.logs.some((l) => l.address.toLowerCase() === vault.delegator.toLowerCase())).toBe(true)
      const intent = await ctx.intents.get(`${result.runId}#${a.index}`)
      expect(intent?.status).toBe('mined')
      expect(intent?.to.toLowerCase()).toBe(dao.rolesModifier.toLowerCase())
    }
    // The old EOA curator sent nothing; a second run over the unchanged world sends nothing either.
    expect(await c.public.getTransactionCount({ address: w.seeded.curator.address })).toBe(curatorNonce)
    const botNonce = await c.public.getTransactionCount({ address: bot.address })
    expect((await runRebalance(ctx, { trigger: 'test' })).status).toBe('skipped')
    expect(await c.public.getTransactionCount({ address: bot.address })).toBe(botNonce)
  })

  it('names the role the Safe lacks and sends nothing when the admin revoked it', async () => {
    await write(c, deployer, { address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'revokeRole', args: [OPERATOR_NETWORK_SHARES_SET_ROLE, dao.safe] })
    const ctx = await daoContext()
    const nonce = await c.public.getTransactionCount({ address: bot.address })
    const result = await runRebalance(ctx, { trigger: 'test' })
    expect(result.status).toBe('failed')
    expect(result.error?.name).toBe('MissingRoleError')
    expect(result.error?.message).toContain(toAddr(dao.safe)) // config addresses are lower case, as the config schema makes them
    expect(await c.public.getTransactionCount({ address: bot.address })).toBe(nonce)
  })
})

describe('the Roles modifier refuses on-chain what the role does not allow (raw transactions from the bot key)', () => {
  const opA = () => w.seeded.operators[0]!.address

  it('allows a scoped curator call (control case)', async () => {
    const sn = subnetwork('da-net')
    const data = encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [sn.id, sn.maxNetworkLimit / 2n] })
    const { receipt } = await sendWithRole(bot, { to: vault.delegator, data })
    expect(receipt.status).toBe('success')
    expect(await c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [sn.id] })).toBe(sn.maxNetworkLimit / 2n)
  })

  it('refuses a transfer of the collateral token held by the Safe', async () => {
    await write(c, deployer, { address: w.seeded.token, abi: lstTokenAbi, functionName: 'mint', args: [dao.safe, 10n ** 18n] })
    const data = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [bot.address, 10n ** 18n] })
    const { receipt, revert } = await sendWithRole(bot, { to: w.seeded.token, data })
    expect(receipt.status).toBe('reverted')
    expect(decodeRolesRevert(revert!)?.summary).toBe('ConditionViolation(TargetAddressNotAllowed)')
    expect(await c.public.readContract({ address: w.seeded.token, abi: erc20Abi, functionName: 'balanceOf', args: [dao.safe] })).toBe(10n ** 18n)
    expect(await c.public.readContract({ address: w.seeded.token, abi: erc20Abi, functionName: 'balanceOf', args: [bot.address] })).toBe(0n)
  })

  it('refuses a call to another contract (the vault)', async () => {
    const data = encodeFunctionData({ abi: vaultAbi, functionName: 'withdraw', args: [bot.address, 1n] })
    const { receipt, revert } = await sendWithRole(bot, { to: vault.address, data })
    expect(receipt.status).toBe('reverted')
    expect(decodeRolesRevert(revert!)?.summary).toBe('ConditionViolation(TargetAddressNotAllowed)')
  })

  it('refuses another function of the managed delegator (renounceRole, which the Safe could otherwise do)', async () => {
    const data = encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'renounceRole', args: [NETWORK_LIMIT_SET_ROLE, dao.safe] })
    const { receipt, revert } = await sendWithRole(bot, { to: vault.delegator, data })
    expect(receipt.status).toBe('reverted')
    expect(decodeRolesRevert(revert!)?.summary).toBe('ConditionViolation(FunctionNotAllowed)')
    expect(await c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'hasRole', args: [NETWORK_LIMIT_SET_ROLE, dao.safe] })).toBe(true)
  })

  it('refuses a non-zero limit or shares for a subnetwork outside the allow list, and allows zeroing it', async () => {
    const before = await c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [outside.id] })
    for (const data of [
      encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [outside.id, outside.maxNetworkLimit / 2n] }),
      encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'setOperatorNetworkShares', args: [outside.id, opA(), 5n * 10n ** 18n] }),
    ]) {
      const { receipt, revert } = await sendWithRole(bot, { to: vault.delegator, data })
      expect(receipt.status).toBe('reverted')
      expect(decodeRolesRevert(revert!)?.summary).toBe('ConditionViolation(OrViolation)')
    }
    expect(await c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [outside.id] })).toBe(before)
    const zero = encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [outside.id, 0n] })
    expect((await sendWithRole(bot, { to: vault.delegator, data: zero })).receipt.status).toBe('success')
  })

  it('refuses delegatecall and ETH value even for an allowed call', async () => {
    const sn = subnetwork('da-net')
    const data = encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [sn.id, 1n] })
    const delegate = await sendWithRole(bot, { to: vault.delegator, data, operation: 1 })
    expect(decodeRolesRevert(delegate.revert!)?.summary).toBe('ConditionViolation(DelegateCallNotAllowed)')
    await c.test.setBalance({ address: dao.safe, value: 10n ** 18n })
    const send = await sendWithRole(bot, { to: vault.delegator, data, value: 1n })
    expect(decodeRolesRevert(send.revert!)?.summary).toBe('ConditionViolation(SendNotAllowed)')
  })

  it('a permitted call whose delegator reverts fails as a whole (shouldRevert), and the preflight names the reason', async () => {
    const sn = subnetwork('da-net')
    const current = await c.public.readContract({ address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [sn.id] })
    const call = { address: vault.delegator, abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [sn.id, current], description: 'no-op' }
    const { receipt, revert } = await sendWithRole(bot, { to: vault.delegator, data: encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [sn.id, current] }) })
    expect(receipt.status).toBe('reverted')
    expect(decodeRolesRevert(revert!)?.summary).toBe('ModuleTransactionFailed()')
    await expect(simulateAsSafe(c.public, dao.safe, [call])).rejects.toMatchObject({ name: 'SimulationRevertedError', reason: `AlreadySet() (as the Safe ${dao.safe})` })
  })

  it('refuses a key that is not a member of the role (not an enabled module of the modifier)', async () => {
    const stranger = privateKeyToAccount(generatePrivateKey())
    await c.test.setBalance({ address: stranger.address, value: 10n ** 18n })
    const sn = subnetwork('da-net')
    const data = encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [sn.id, 1n] })
    const { receipt, revert } = await sendWithRole(stranger, { to: vault.delegator, data })
    expect(receipt.status).toBe('reverted')
    expect(decodeRolesRevert(revert!)?.summary).toBe(`NotAuthorized(${stranger.address})`)
  })
})

describe('propose mode', () => {
  it('writes a Transaction Builder file and a MultiSend that decode back to exactly the planned calls; 2 owners execute it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ra-proposals-'))
    const ctx = await daoContext(defaultPolicy({ services: { allow: allowed, deny: [] }, mode: 'propose' }), { proposalsDir: dir })
    const botNonce = await c.public.getTransactionCount({ address: bot.address })
    const result = await runRebalance(ctx, { trigger: 'test' })
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('skipped')
    expect(result.decision?.kind).toBe('act')
    if (result.decision?.kind !== 'act' || !result.proposal) throw new Error('expected a proposal')
    expect(await c.public.getTransactionCount({ address: bot.address })).toBe(botNonce)

    // The files on disk decode back to exactly the planned calls, in order.
    const files = result.proposal.files
    const stem = result.runId.replace(/[^A-Za-z0-9._-]/g, '-')
    expect(files).toEqual([`${stem}.safe-tx-builder.json`, `${stem}.multisend.json`, `${stem}.md`].map((f) => join(dir, f)))
    const multiSendFile = JSON.parse(await readFile(files[1]!, 'utf8')) as { to: Address; data: Hex; operation: number }
    const decoded = decodeProposal(await readFile(files[0]!, 'utf8'), { multiSend: multiSendFile })
    const planned = result.decision.actions.map((a) => buildCuratorCall(a))
    const norm = (args: readonly unknown[]) => args.map((x) => (typeof x === 'string' ? x.toLowerCase() : x))
    expect(decoded.calls.map((d) => ({ address: d.address.toLowerCase(), functionName: d.functionName, args: norm(d.args!) }))).toEqual(
      planned.map((p) => ({ address: p.address.toLowerCase(), functionName: p.functionName, args: norm(p.args) })),
    )
    expect(decoded.safe?.toLowerCase()).toBe(dao.safe.toLowerCase())
    expect(decoded.chainId).toBe(w.config.chainId)
    const review = await readFile(files[2]!, 'utf8')
    for (const a of result.actions) {
      expect(review).toContain(a.description)
      for (const r of a.reasons) expect(review).toContain(r)
    }
    const run = await ctx.runs.get(result.runId)
    expect((run!.decision as { proposal?: { files: string[] } }).proposal?.files).toEqual(files)

    // Two of the three owners sign the MultiSend as one Safe transaction; the stake then equals the plan.
    const nonce = await c.public.readContract({ address: dao.safe, abi: safeAbi, functionName: 'nonce' })
    const tx = safeTransaction({ to: multiSendFile.to, data: multiSendFile.data, operation: 1, nonce })
    const signatures = await Promise.all(dao.owners.slice(0, 2).map((o) => signSafeTransaction(o.account, dao.safe, c.chainId, tx)))
    await write(c, deployer, execTransactionCall(dao.safe, tx, signatures) as never)
    const plan = run!.plan as { positions: { targets: { service: Hex; operator: Address; stake: bigint }[] }[] }
    for (const t of plan.positions[0]!.targets) expect(await stakeOf(t.service, t.operator)).toBe(t.stake)
  })
})

describe('autopilot dao permissions (CLI)', () => {
  it('prints the scope generated from the policy for the DAO to review', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ra-cli-'))
    const configPath = join(dir, 'config.json')
    const policyPath = join(dir, 'policy.json')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(configPath, JSON.stringify({ ...w.config, fromBlock: w.config.fromBlock.toString(), dao: { safe: dao.safe, rolesModifier: dao.rolesModifier, roleKey: dao.roleKey } }))
    await writeFile(policyPath, JSON.stringify({ ...JSON.parse(await readFile('local/scenarios/default.policy.json', 'utf8')), services: { allow: allowed, deny: [] } }))
    const out: string[] = []
    const err: string[] = []
    const code = await main(['dao', 'permissions', '--policy', policyPath, '--config', configPath, '--member', bot.address, '--out', join(dir, 'apply')], {
      stdout: (s) => {
        out.push(s)
        return true
      },
      stderr: (s) => {
        err.push(s)
        return true
      },
    })
    expect(err.join('')).toContain('apply-roles-scope')
    expect(code).toBe(0)
    const text = out.join('')
    expect(text.endsWith(dao.permissions.listing)).toBe(true)
    // The world's EigenLayer stakers are Safes: their roles are listed too, with the setup batch their owners sign.
    const stakerSafes = w.config.eigenlayer!.positions[0]!.stakers
    for (const st of stakerSafes) expect(text).toContain(`EigenLayer staker Safe ${w.config.labels[st.address]} (${st.address})`)
    expect(text).toContain('depositIntoStrategy')
    const setup = decodeProposal(await readFile(join(dir, 'apply', `setup-staker-${stakerSafes[0]!.address}.safe-tx-builder.json`), 'utf8'), { abis: [rolesModifierAbi, safeAbi] })
    expect(setup.calls.map((x) => x.functionName)).toEqual(['enableModule', 'scopeTarget', 'scopeTarget', 'scopeTarget', ...Array(7).fill('scopeFunction'), 'assignRoles'])
    expect(text).toContain('setOperatorNetworkShares(subnetwork, operator, shares)')
    expect(text).not.toContain('oracle-net/0 (')
    const applied = decodeProposal(await readFile(join(dir, 'apply', 'apply-roles-scope.safe-tx-builder.json'), 'utf8'), { abis: [rolesModifierAbi] })
    expect(applied.calls.map((x) => x.functionName)).toEqual(['scopeTarget', 'scopeFunction', 'scopeFunction', 'assignRoles'])
  })
})
