/**
 * The EigenLayer part of the local world: deploys our v1.x harness (local/contracts/eigenlayer, compiled with npm
 * solc) on a LocalChain and seeds a scenario with real calls, the way a real deployment must: a PauserRegistry, a
 * StrategyBaseTVLLimits strategy (mainnet's original LST strategy type), AVSs with their registrar contract
 * (`setAVSRegistrar`: the AllocationManager always calls it) and operator sets (optionally redistributing),
 * operators that register and allocate magnitude, our staker accounts (EOAs held by the bot) delegated one per
 * operator, outside stakers, AVS rewards submissions and slashes. No official EigenLayer bytecode is published on
 * npm; see docs/eigenlayer.md.
 */
import { type Account, type Address, type Hex, getContractAddress, keccak256, stringToHex, zeroAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { allocationManagerAbi, delegationManagerAbi, rewardsCoordinatorAbi, strategyAbi, strategyManagerAbi } from './abis/eigenlayer.js'
import { operatorSetKey } from '../../shared/protocols/eigenlayer/types.js'
import { type LocalChain, chainNow, deploy, write } from './chain.js'
import { compileContract } from './compile.js'
import { type Actor, lstTokenAbi } from './seed.js'
import { type StakerSafe, type StakerSafesOptions, deployStakerSafes } from './stakerSafes.js'

const DAY = 86_400
const YEAR = 365 * DAY
const WAD = 10n ** 18n

/** Delays and parameters of the harness (mainnet values in brackets; the local world keeps them small). */
export interface DeployEigenLayerOptions {
  /** `minWithdrawalDelayBlocks()` [100800]. Default 50. */
  minWithdrawalDelayBlocks?: number
  /** AllocationManager `DEALLOCATION_DELAY` [100800]. Default 50. */
  deallocationDelay?: number
  /** AllocationManager `ALLOCATION_CONFIGURATION_DELAY` [126000]. Default 1. */
  allocationConfigurationDelay?: number
  /** RewardsCoordinator `CALCULATION_INTERVAL_SECONDS` [604800]. Default 1 day. */
  calculationIntervalSeconds?: number
  /** RewardsCoordinator activation delay of splits (seconds) [604800]. Default 0. */
  activationDelay?: number
  /** Default operator split in bips [1000]. */
  defaultSplitBips?: number
  /** Underlying token of the strategy; a fresh LstToken (owner = deployer) when absent. */
  token?: Address
  /**
   * Deposit caps of the strategy (StrategyBaseTVLLimits, whole tokens); `null` deploys a plain StrategyBase (what
   * StrategyFactory deploys on mainnet). Default 1 000 000 per deposit and 10 000 000 in total.
   */
  tvlLimits?: { maxPerDeposit: number; maxTotalDeposits: number } | null
}

/** Addresses of a deployed harness. */
export interface EigenLayerDeployment {
  delegationManager: Address
  strategyManager: Address
  allocationManager: Address
  rewardsCoordinator: Address
  /** The strategy over `token` (StrategyBaseTVLLimits unless `tvlLimits: null`), whitelisted for deposits. */
  strategy: Address
  /** Who may pause / unpause every contract: the deployer is pauser and unpauser. */
  pauserRegistry: Address
  /** Underlying token (LST). */
  token: Address
  /** Block of the first deployment (reader's `fromBlock`). */
  deployBlock: bigint
  minWithdrawalDelayBlocks: number
}

/**
 * Deploys DelegationManager, StrategyManager, AllocationManager (mutually referencing: addresses predicted from the
 * deployer's nonce), RewardsCoordinator and one StrategyBase, and whitelists the strategy. `deployer` must send
 * nothing else meanwhile.
 */
export async function deployEigenLayer(c: LocalChain, deployer: Account, opts: DeployEigenLayerOptions = {}): Promise<EigenLayerDeployment> {
  const minDelay = opts.minWithdrawalDelayBlocks ?? 50
  const compiled = (name: string) => compileContract(`eigenlayer/${name}.sol`, name)
  // Like upstream, a slash (and getSlashableSharesInQueue) reverts on a chain younger than the withdrawal delay; a real
  // chain is older, so a fresh Anvil is mined past it first.
  const head = await c.public.getBlockNumber()
  if (head < BigInt(minDelay) + 2n) await c.test.mine({ blocks: Number(BigInt(minDelay) + 2n - head) })
  const deployBlock = await c.public.getBlockNumber()
  let token = opts.token
  if (!token) {
    const lst = compileContract('LstToken.sol', 'LstToken')
    token = await deploy(c, deployer, lst.abi, lst.bytecode, ['EigenLayer LST', 'eLST'])
  }
  const pr = compiled('PauserRegistry')
  const pauserRegistry = await deploy(c, deployer, pr.abi, pr.bytecode, [[deployer.address], deployer.address])
  const nonce = await c.public.getTransactionCount({ address: deployer.address, blockTag: 'pending' })
  const at = (n: number) => getContractAddress({ from: deployer.address, nonce: BigInt(nonce + n) })
  const [dmAt, smAt, amAt] = [at(0), at(1), at(2)]
  const dm = compiled('DelegationManager')
  const delegationManager = await deploy(c, deployer, dm.abi, dm.bytecode, [smAt, amAt, pauserRegistry, minDelay])
  const sm = compiled('StrategyManager')
  const strategyManager = await deploy(c, deployer, sm.abi, sm.bytecode, [amAt, dmAt, pauserRegistry, deployer.address, deployer.address])
  const am = compiled('AllocationManager')
  const allocationManager = await deploy(c, deployer, am.abi, am.bytecode, [dmAt, pauserRegistry, opts.deallocationDelay ?? 50, opts.allocationConfigurationDelay ?? 1])
  const same = (a: Address, b: Address) => a.toLowerCase() === b.toLowerCase()
  if (!same(delegationManager, dmAt) || !same(strategyManager, smAt) || !same(allocationManager, amAt)) throw new Error('EigenLayer harness: predicted addresses do not match (deployer sent another transaction)')
  const rc = compiled('RewardsCoordinator')
  const interval = opts.calculationIntervalSeconds ?? DAY
  const rewardsCoordinator = await deploy(c, deployer, rc.abi, rc.bytecode, [
    delegationManager,
    strategyManager,
    allocationManager,
    interval,
    70 * DAY, // MAX_REWARDS_DURATION (mainnet 6048000)
    90 * DAY, // MAX_RETROACTIVE_LENGTH
    30 * DAY, // MAX_FUTURE_LENGTH
    0, // GENESIS_REWARDS_TIMESTAMP
    pauserRegistry,
    deployer.address,
    opts.activationDelay ?? 0,
    opts.defaultSplitBips ?? 1000,
  ])
  const limits = opts.tvlLimits === undefined ? { maxPerDeposit: 1_000_000, maxTotalDeposits: 10_000_000 } : opts.tvlLimits
  const sb = compiled(limits ? 'StrategyBaseTVLLimits' : 'StrategyBase')
  const strategy = await deploy(c, deployer, sb.abi, sb.bytecode, limits ? [strategyManager, pauserRegistry, token, tokens(limits.maxPerDeposit), tokens(limits.maxTotalDeposits)] : [strategyManager, pauserRegistry, token])
  await write(c, deployer, { address: strategyManager, abi: strategyManagerAbi, functionName: 'addStrategiesToDepositWhitelist', args: [[strategy]] })
  return { delegationManager, strategyManager, allocationManager, rewardsCoordinator, strategy, pauserRegistry, token, deployBlock, minWithdrawalDelayBlocks: minDelay }
}

/** An EigenLayer scenario: who exists, allocations, our stakers, rewards and slashes. Token amounts in whole tokens. */
export interface EigenLayerScenario {
  /** `redistributeTo`: a label whose actor receives the set's slashed funds (a redistributing operator set). */
  avss: { label: string; operatorSets: { id: number; rewardRatePerYear: number; redistributeTo?: string }[] }[]
  operators: { label: string; avsSplitBips?: number; allocations: { avs: string; setId: number; magnitude: number }[] }[]
  /** Our staker accounts (keys held by the bot). `operator` absent = a fresh, undelegated staker. */
  stakers: { label: string; operator?: string; deposit: number }[]
  /** Stakers that are not ours (they make operators' total stake realistic). */
  outsideStakers: { label: string; operator: string; deposit: number }[]
  /** Slashes played after seeding: `wad` is the fraction (0..1] of the operator's allocated magnitude in the set. */
  slashes: { avs: string; setId: number; operator: string; wad: number }[]
}

/** The default local EigenLayer scenario: three AVSs, three operators, two funded stakers of ours and a fresh one. */
export const DEFAULT_EIGENLAYER_SCENARIO: EigenLayerScenario = {
  avss: [
    { label: 'eigen-oracle', operatorSets: [{ id: 0, rewardRatePerYear: 0.04 }] },
    { label: 'eigen-da', operatorSets: [{ id: 0, rewardRatePerYear: 0.06 }] },
    { label: 'eigen-bridge', operatorSets: [{ id: 1, rewardRatePerYear: 0.09 }] },
  ],
  operators: [
    {
      label: 'el-op-a',
      avsSplitBips: 1000,
      allocations: [
        { avs: 'eigen-oracle', setId: 0, magnitude: 0.5 },
        { avs: 'eigen-da', setId: 0, magnitude: 0.3 },
      ],
    },
    {
      label: 'el-op-b',
      avsSplitBips: 500,
      allocations: [
        { avs: 'eigen-oracle', setId: 0, magnitude: 0.4 },
        { avs: 'eigen-bridge', setId: 1, magnitude: 0.5 },
      ],
    },
    { label: 'el-op-c', allocations: [{ avs: 'eigen-da', setId: 0, magnitude: 0.6 }] },
  ],
  stakers: [
    { label: 'staker-a', operator: 'el-op-a', deposit: 400 },
    { label: 'staker-b', operator: 'el-op-b', deposit: 300 },
    { label: 'staker-c', deposit: 0 },
  ],
  outsideStakers: [
    { label: 'outside-1', operator: 'el-op-a', deposit: 1000 },
    { label: 'outside-2', operator: 'el-op-c', deposit: 2000 },
  ],
  slashes: [{ avs: 'eigen-bridge', setId: 1, operator: 'el-op-b', wad: 0.1 }],
}

/** A seeded AVS with its operator sets (service ids = operator-set keys). */
export interface SeededAvs extends Actor {
  sets: { id: number; key: Hex; rewardRatePerYear: number }[]
}

/** Everything the seeding created. Staker keys are throwaway, derived from labels; never used off Anvil. */
export interface SeededEigenLayer {
  deployment: EigenLayerDeployment
  avss: SeededAvs[]
  operators: Actor[]
  /**
   * Our stakers, in scenario order, with the operator each is delegated to (undefined = fresh). With `stakerSafes`,
   * `address` is the staker's Safe and `safe` its Roles setup (`account` is then an unused label key).
   */
  stakers: (Actor & { operator?: Address; safe?: StakerSafe })[]
  outsideStakers: Actor[]
  /** address / operator-set key (lower-case) → label */
  labels: Record<string, string>
}

/** `bytes32(abi.encodePacked(avs, uint96(id)))`, lower-case: the operator-set key and our service id. */
export { operatorSetKey }

/** The throwaway private key of a local EigenLayer actor (derived from its label; Anvil only). */
export function eigenLayerActorKey(label: string): Hex {
  return keccak256(stringToHex(`restake-autopilot/local/eigenlayer/${label}`))
}

/** A deterministic local actor for an EigenLayer label. */
export function eigenLayerActor(label: string): Actor {
  const account = privateKeyToAccount(eigenLayerActorKey(label))
  return { label, address: account.address, account }
}

const toWad = (f: number) => (WAD * BigInt(Math.round(f * 1e9))) / 10n ** 9n
const tokens = (n: number) => (WAD * BigInt(Math.round(n * 1e6))) / 10n ** 6n

/**
 * Seeds `scenario` on a deployed harness. `minter` must be allowed to mint the token (LstToken owner). Reward
 * submissions pay each set's `rewardRatePerYear` on the AVS's registered operators' delegated stake over a 28-day
 * window that started 7 days ago (the reader's estimate should come back close to it).
 */
export async function seedEigenLayerScenario(c: LocalChain, d: EigenLayerDeployment, minter: Account, scenario: EigenLayerScenario = DEFAULT_EIGENLAYER_SCENARIO, opts: { stakerSafes?: StakerSafesOptions } = {}): Promise<SeededEigenLayer> {
  const labels: Record<string, string> = { [d.strategy.toLowerCase()]: 'eigenlayer/strategy' }
  const fund = (a: Actor) => c.test.setBalance({ address: a.address, value: 10n ** 21n })
  const mint = (to: Address, amount: bigint) => write(c, minter, { address: d.token, abi: lstTokenAbi, functionName: 'mint', args: [to, amount] })
  const approve = (a: Actor, spender: Address, amount: bigint) => write(c, a.account, { address: d.token, abi: lstTokenAbi, functionName: 'approve', args: [spender, amount] })

  // AVSs: metadata, their registrar contract (the AllocationManager calls it on every registration), then operator
  // sets over our strategy (redistributing ones name the recipient of slashed funds).
  const avss: SeededAvs[] = []
  const registrar = compileContract('eigenlayer/AVSRegistrar.sol', 'AVSRegistrar')
  for (const a of scenario.avss) {
    const avs = eigenLayerActor(`avs/${a.label}`)
    await fund(avs)
    await write(c, avs.account, { address: d.allocationManager, abi: allocationManagerAbi, functionName: 'updateAVSMetadataURI', args: [avs.address, `local://${a.label}`] })
    const reg = await deploy(c, avs.account, registrar.abi, registrar.bytecode, [avs.address, d.allocationManager])
    await write(c, avs.account, { address: d.allocationManager, abi: allocationManagerAbi, functionName: 'setAVSRegistrar', args: [avs.address, reg] })
    const plain = a.operatorSets.filter((s) => s.redistributeTo === undefined)
    const redistributing = a.operatorSets.filter((s) => s.redistributeTo !== undefined)
    const params = (sets: typeof a.operatorSets) => sets.map((s) => ({ operatorSetId: s.id, strategies: [d.strategy] }))
    if (plain.length) await write(c, avs.account, { address: d.allocationManager, abi: allocationManagerAbi, functionName: 'createOperatorSets', args: [avs.address, params(plain)] })
    if (redistributing.length)
      await write(c, avs.account, {
        address: d.allocationManager,
        abi: allocationManagerAbi,
        functionName: 'createRedistributingOperatorSets',
        args: [avs.address, params(redistributing), redistributing.map((s) => eigenLayerActor(`recipient/${s.redistributeTo}`).address)],
      })
    const sets = a.operatorSets.map((s) => ({ id: s.id, key: operatorSetKey(avs.address, s.id), rewardRatePerYear: s.rewardRatePerYear }))
    avss.push({ ...avs, label: a.label, sets })
    labels[avs.address.toLowerCase()] = a.label
    for (const s of sets) labels[s.key] = `${a.label}/${s.id}`
  }

  // Operators: register (allocation delay 0), wait ALLOCATION_CONFIGURATION_DELAY, join sets, allocate, set splits.
  const operators: Actor[] = []
  for (const o of scenario.operators) {
    const op = { ...eigenLayerActor(`operator/${o.label}`), label: o.label }
    await fund(op)
    await write(c, op.account, { address: d.delegationManager, abi: delegationManagerAbi, functionName: 'registerAsOperator', args: [zeroAddress, 0, `local://${o.label}`] })
    operators.push(op)
    labels[op.address.toLowerCase()] = o.label
  }
  const configDelay = await c.public.readContract({ address: d.allocationManager, abi: allocationManagerAbi, functionName: 'ALLOCATION_CONFIGURATION_DELAY' })
  await c.test.mine({ blocks: configDelay + 1 })
  for (const [i, o] of scenario.operators.entries()) {
    const op = operators[i]!
    const byAvs = new Map<string, number[]>()
    for (const al of o.allocations) byAvs.set(al.avs, [...(byAvs.get(al.avs) ?? []), al.setId])
    for (const [avsLabel, ids] of byAvs) {
      const avs = avss.find((a) => a.label === avsLabel)!
      await write(c, op.account, { address: d.allocationManager, abi: allocationManagerAbi, functionName: 'registerForOperatorSets', args: [op.address, { avs: avs.address, operatorSetIds: ids, data: '0x' }] })
      if (o.avsSplitBips !== undefined) await write(c, op.account, { address: d.rewardsCoordinator, abi: rewardsCoordinatorAbi, functionName: 'setOperatorAVSSplit', args: [op.address, avs.address, o.avsSplitBips] })
    }
    const params = o.allocations.map((al) => ({ operatorSet: { avs: avss.find((a) => a.label === al.avs)!.address, id: al.setId }, strategies: [d.strategy], newMagnitudes: [toWad(al.magnitude)] }))
    await write(c, op.account, { address: d.allocationManager, abi: allocationManagerAbi, functionName: 'modifyAllocations', args: [op.address, params] })
  }

  // Stakers: ours and outside ones deposit and delegate.
  const stake = async (label: string, operatorLabel: string | undefined, deposit: number) => {
    const s = eigenLayerActor(`staker/${label}`)
    await fund(s)
    const operator = operatorLabel ? operators.find((o) => o.label === operatorLabel)!.address : undefined
    if (operator) await write(c, s.account, { address: d.delegationManager, abi: delegationManagerAbi, functionName: 'delegateTo', args: [operator, { signature: '0x', expiry: 0n }, `0x${'00'.repeat(32)}`] })
    if (deposit > 0) {
      const amount = tokens(deposit)
      await mint(s.address, amount)
      await approve(s, d.strategyManager, amount)
      await write(c, s.account, { address: d.strategyManager, abi: strategyManagerAbi, functionName: 'depositIntoStrategy', args: [d.strategy, d.token, amount] })
    }
    labels[s.address.toLowerCase()] = label
    return { ...s, label, operator }
  }
  const stakers: SeededEigenLayer['stakers'] = []
  if (opts.stakerSafes) {
    // Our stakers are Safes with a Roles module; the bot's one signer moves them (stakerSafes.ts).
    const specs = scenario.stakers.map((s) => ({ label: s.label, deposit: tokens(s.deposit), ...(s.operator ? { operator: operators.find((o) => o.label === s.operator)!.address } : {}) }))
    const safes = await deployStakerSafes(
      c,
      minter,
      d,
      specs,
      operators.map((o) => o.address),
      opts.stakerSafes,
    )
    for (const [i, sf] of safes.entries()) {
      labels[sf.safe.toLowerCase()] = sf.label
      stakers.push({ ...eigenLayerActor(`staker/${sf.label}`), label: sf.label, address: sf.safe, operator: specs[i]!.operator, safe: sf })
    }
  } else for (const s of scenario.stakers) stakers.push(await stake(s.label, s.operator, s.deposit))
  const outsideStakers: Actor[] = []
  for (const s of scenario.outsideStakers) outsideStakers.push(await stake(s.label, s.operator, s.deposit))

  // Rewards: each AVS pays rate × its operators' delegated stake, over [start, start + 28 d), start 7 d ago.
  const interval = BigInt(await c.public.readContract({ address: d.rewardsCoordinator, abi: rewardsCoordinatorAbi, functionName: 'CALCULATION_INTERVAL_SECONDS' }))
  const now = await chainNow(c)
  const start = ((now - 7n * BigInt(DAY)) / interval) * interval
  const duration = ((28n * BigInt(DAY)) / interval) * interval
  for (const [i, a] of scenario.avss.entries()) {
    const avs = avss[i]!
    const members = new Set(scenario.operators.filter((o) => o.allocations.some((al) => al.avs === a.label)).map((o) => operators.find((x) => x.label === o.label)!.address))
    const shares = members.size ? await c.public.readContract({ address: d.delegationManager, abi: delegationManagerAbi, functionName: 'getOperatorsShares', args: [[...members], [d.strategy]] }) : []
    const secured = shares.reduce((sum, row) => sum + (row[0] ?? 0n), 0n)
    const rate = a.operatorSets.reduce((m, s) => Math.max(m, s.rewardRatePerYear), 0)
    const amount = (secured * BigInt(Math.round(rate * 1e9)) * duration) / (10n ** 9n * BigInt(YEAR))
    if (amount === 0n) continue
    await mint(avs.address, amount)
    await approve(avs, d.rewardsCoordinator, amount)
    await write(c, avs.account, {
      address: d.rewardsCoordinator,
      abi: rewardsCoordinatorAbi,
      functionName: 'createAVSRewardsSubmission',
      args: [[{ strategiesAndMultipliers: [{ strategy: d.strategy, multiplier: WAD }], token: d.token, amount, startTimestamp: Number(start), duration: Number(duration) }]],
    })
  }

  // Slash history.
  for (const sl of scenario.slashes) await slashEigenLayerOperator(c, d, avss.find((a) => a.label === sl.avs)!, sl.setId, operators.find((o) => o.label === sl.operator)!.address, sl.wad)

  return { deployment: d, avss, operators, stakers, outsideStakers, labels }
}

/** The AVS slashes `wad` (0..1] of `operator`'s allocated magnitude in set `setId` over the strategy (`slashOperator`). */
export async function slashEigenLayerOperator(c: LocalChain, d: Pick<EigenLayerDeployment, 'allocationManager' | 'strategy'>, avs: Actor, setId: number, operator: Address, wad: number, description = 'local scenario slash'): Promise<Hex> {
  return write(c, avs.account, {
    address: d.allocationManager,
    abi: allocationManagerAbi,
    functionName: 'slashOperator',
    args: [avs.address, { operator, operatorSetId: setId, strategies: [d.strategy], wadsToSlash: [toWad(wad)], description }],
  })
}

/** Parameters of {@link submitOperatorDirectedRewards}: whole tokens per operator over a window that has ended. */
export interface SubmitOperatorDirectedRewardsParameters {
  avs: Actor
  /** Operator set id for `createOperatorDirectedOperatorSetRewardsSubmission`; absent = the AVS-wide type. */
  setId?: number
  rewards: { operator: Address; amount: bigint }[]
  startTimestamp: number
  duration: number
}

/**
 * The AVS pays chosen operators (and their stakers, after the operator's split) for a past window, through the
 * operator-directed submission types of the RewardsCoordinator. Mints and approves the total first.
 */
export async function submitOperatorDirectedRewards(c: LocalChain, d: EigenLayerDeployment, minter: Account, p: SubmitOperatorDirectedRewardsParameters): Promise<Hex> {
  const total = p.rewards.reduce((s, r) => s + r.amount, 0n)
  await write(c, minter, { address: d.token, abi: lstTokenAbi, functionName: 'mint', args: [p.avs.address, total] })
  await write(c, p.avs.account, { address: d.token, abi: lstTokenAbi, functionName: 'approve', args: [d.rewardsCoordinator, total] })
  const submission = {
    strategiesAndMultipliers: [{ strategy: d.strategy, multiplier: WAD }],
    token: d.token,
    operatorRewards: [...p.rewards].sort((a, b) => (a.operator.toLowerCase() < b.operator.toLowerCase() ? -1 : 1)),
    startTimestamp: p.startTimestamp,
    duration: p.duration,
    description: 'local operator-directed rewards',
  }
  return p.setId === undefined
    ? write(c, p.avs.account, { address: d.rewardsCoordinator, abi: rewardsCoordinatorAbi, functionName: 'createOperatorDirectedAVSRewardsSubmission', args: [p.avs.address, [submission]] })
    : write(c, p.avs.account, {
        address: d.rewardsCoordinator,
        abi: rewardsCoordinatorAbi,
        functionName: 'createOperatorDirectedOperatorSetRewardsSubmission',
        args: [{ avs: p.avs.address, id: p.setId }, [submission]],
      })
}

/** Sets the strategy's deposit caps (token wei); only the unpauser (the deployer locally) may. */
export async function setEigenLayerTvlLimits(c: LocalChain, d: EigenLayerDeployment, unpauser: Account, maxPerDeposit: bigint, maxTotalDeposits: bigint): Promise<Hex> {
  return write(c, unpauser, { address: d.strategy, abi: strategyAbi, functionName: 'setTVLLimits', args: [maxPerDeposit, maxTotalDeposits] })
}
