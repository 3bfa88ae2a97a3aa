/** One full autopilot loop on the real local world: read → score → plan → send → record, and its failure paths. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { networkRestakeDelegatorAbi, vaultAbi } from '../../local/world/abis/symbiotic.js'
import { NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE } from '../../shared/protocols/symbiotic/roles.js'
import { runRebalance } from '../../shared/services/runRebalance.js'
import { runScore } from '../../shared/services/runScore.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { privateKeyToAccount } from 'viem/accounts'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { testContext } from './helpers.js'

const w = world()
const c = chain(w)
let revert: () => Promise<void>

beforeEach(async () => {
  revert = await snapshot(c)
})
afterEach(async () => {
  await revert()
})

describe('rebalance on the real Symbiotic core', () => {
  it('moves stake to the plan exactly (bigint) and records scores, plan and tx hashes', async () => {
    const ctx = testContext(w, await withFreshTables(w))
    const result = await runRebalance(ctx, { trigger: 'test' })
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('succeeded')
    expect(result.actions.length).toBeGreaterThan(0)
    expect(result.verified).toBe(true)

    // The chain, read directly, equals the stored plan for every (subnetwork, operator).
    const run = await ctx.runs.get(result.runId)
    const plan = run!.plan as { positions: { position: `0x${string}`; targets: { service: `0x${string}`; operator: `0x${string}`; stake: bigint }[] }[] }
    expect(plan.positions.length).toBe(1)
    for (const pp of plan.positions) {
      // The plan is protocol-neutral (it names the vault); the vault names its delegator.
      const delegator = await c.public.readContract({ address: pp.position, abi: vaultAbi, functionName: 'delegator' })
      for (const t of pp.targets) {
        const onChain = await c.public.readContract({ address: delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [t.service, t.operator] })
        expect(onChain).toBe(t.stake)
      }
    }
    // The plan differs from the even split the vault started with.
    const stakes = plan.positions[0]!.targets.map((t) => t.stake)
    expect(new Set(stakes.map(String)).size).toBeGreaterThan(2)

    expect(run!.status).toBe('succeeded')
    expect(run!.scores).toBeTruthy()
    const hashes = run!.actions!.map((a) => a.txHash)
    expect(hashes.every((h) => typeof h === 'string' && /^0x[0-9a-f]{64}$/.test(h))).toBe(true)
    for (const h of hashes) {
      const receipt = await c.public.getTransactionReceipt({ hash: h as `0x${string}` })
      expect(receipt.status).toBe('success')
      expect(receipt.from.toLowerCase()).toBe(w.seeded.curator.address.toLowerCase())
    }
    // Every intent was stored with its raw transaction and ended mined.
    for (const a of run!.actions!) {
      const intent = await ctx.intents.get(`${result.runId}#${a.index}`)
      expect(intent?.status).toBe('mined')
      expect(intent?.txHash).toBe(a.txHash)
    }
  })

  it('sends nothing on a second run over an unchanged world', async () => {
    const ctx = testContext(w, await withFreshTables(w))
    const first = await runRebalance(ctx, { trigger: 'test' })
    expect(first.status).toBe('succeeded')
    const nonceBefore = await c.public.getTransactionCount({ address: w.seeded.curator.address })
    const second = await runRebalance(ctx, { trigger: 'test' })
    expect(second.status).toBe('skipped')
    expect(second.actions).toEqual([])
    expect(await c.public.getTransactionCount({ address: w.seeded.curator.address })).toBe(nonceBefore)
    const run = await ctx.runs.get(second.runId)
    expect(run?.status).toBe('skipped')
  })

  it('names the missing curator role and sends nothing when the role was revoked', async () => {
    const vault = w.seeded.vaults[0]!
    const admin = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
    const hash = await c.wallet.writeContract({
      account: admin,
      chain: c.wallet.chain,
      address: vault.delegator,
      abi: networkRestakeDelegatorAbi,
      functionName: 'revokeRole',
      args: [OPERATOR_NETWORK_SHARES_SET_ROLE, w.seeded.curator.address],
    })
    await c.public.waitForTransactionReceipt({ hash })
    const ctx = testContext(w, await withFreshTables(w))
    const nonceBefore = await c.public.getTransactionCount({ address: w.seeded.curator.address })
    const result = await runRebalance(ctx, { trigger: 'test' })
    expect(result.status).toBe('failed')
    expect(result.error?.name).toBe('MissingRoleError')
    expect(result.error?.message).toContain('OPERATOR_NETWORK_SHARES_SET_ROLE')
    expect(await c.public.getTransactionCount({ address: w.seeded.curator.address })).toBe(nonceBefore)
    const run = await ctx.runs.get(result.runId)
    expect(run?.status).toBe('failed')
    expect(run?.error?.message).toContain('OPERATOR_NETWORK_SHARES_SET_ROLE')
    void NETWORK_LIMIT_SET_ROLE
  })
})

describe('score', () => {
  it('reads the seeded world and stores scores for every operator', async () => {
    const ctx = testContext(w, await withFreshTables(w))
    const result = await runScore(ctx, 'test')
    expect(result.status).toBe('succeeded')
    const run = await ctx.runs.get(result.runId)
    const scores = run!.scores as { operators: { operator: string }[] }
    expect(scores.operators.map((o) => o.operator).sort()).toEqual(w.seeded.operators.map((o) => o.address.toLowerCase()).sort())
  })
})
