/**
 * Seeds a scenario on the local chain with real Symbiotic calls: networks and middleware, operators and
 * opt-ins, a vault with its delegator and slasher, depositors, the curator's roles, DefaultStakerRewards,
 * then plays the scenario's history (rewards and slashes) with Anvil time travel.
 */
import { type Account, type Address, type Hex, concat, encodeAbiParameters, erc20Abi, parseAbi, keccak256, pad, parseAbiParameters, stringToHex, toHex, zeroAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as abis from './abis/symbiotic.js'
import { type LocalChain, advanceTime, chainNow, deploy, write } from './chain.js'
import { compileContract } from './compile.js'
import { type Scenario, toWei } from './scenario.js'
import type { SymbioticCore } from './symbiotic.js'

const DAY = 86_400
const PPM = 1_000_000n
/** ABI of local/contracts/LstToken.sol as viem sees it: ERC20 plus the owner's mint. */
export const lstTokenAbi = [...erc20Abi, ...parseAbi(['function mint(address to, uint256 amount)'])] as const
const DEAD = '0x000000000000000000000000000000000000dEaD' as const

/** A local actor: label, key and account (keys are throwaway, derived from the label; never used off Anvil). */
export interface Actor {
  label: string
  address: Address
  account: Account
}

/** A seeded subnetwork. */
export interface SeededSubnetwork {
  identifier: number
  id: Hex
  maxNetworkLimit: bigint
  rewardRatePerYear: number
}

export interface SeededNetwork extends Actor {
  middleware: Actor
  subnetworks: SeededSubnetwork[]
}

export interface SeededVault {
  label: string
  address: Address
  delegator: Address
  slasher: Address
  stakerRewards: Address
  delegatorKind: 'network-restake' | 'full-restake'
  /** `instant` (Slasher: `slash`) or `veto` (VetoSlasher: `requestSlash` → veto window → `executeSlash`). */
  slasherKind: 'instant' | 'veto'
  depositors: Actor[]
}

/** Everything the seeding created. */
export interface SeededWorld {
  token: Address
  curator: Actor
  networks: SeededNetwork[]
  operators: Actor[]
  vaults: SeededVault[]
  /** address / subnetwork id (lower-case) → human label */
  labels: Record<string, string>
}

/** `subnetwork = network ++ uint96 identifier` (bytes32, lower-case). */
export function subnetworkId(network: Address, identifier: number | bigint): Hex {
  return concat([network, pad(toHex(BigInt(identifier)), { size: 12 })]).toLowerCase() as Hex
}

/** The local actor of `label` (`network/<n>`, `middleware/<n>`, `operator/<o>`, `depositor/<vault>/<i>`, …): the same key on every run. */
export function actor(label: string): Actor {
  const account = privateKeyToAccount(keccak256(stringToHex(`restake-autopilot/local/${label}`)))
  return { label, address: account.address, account }
}

/** Seeds `scenario` on a chain where the Symbiotic core is deployed. `deployer` owns the vault (and may revoke roles in tests); `curatorAccount` gets the delegator's curator roles. */
export async function seedScenario(c: LocalChain, core: SymbioticCore, deployer: Account, scenario: Scenario, curatorAccount: Account): Promise<SeededWorld> {
  const curator: Actor = { label: 'curator', address: curatorAccount.address, account: curatorAccount }
  const labels: Record<string, string> = {}
  const fund = async (a: Actor) => c.test.setBalance({ address: a.address, value: 10n ** 21n })
  await fund(curator)

  // Collateral: our own LST token.
  const lst = compileContract('LstToken.sol', 'LstToken')
  const token = await deploy(c, deployer, lst.abi, lst.bytecode, [scenario.token.name, scenario.token.symbol])
  labels[token.toLowerCase()] = scenario.token.symbol
  const mint = (to: Address, amount: bigint) => write(c, deployer, { address: token, abi: lstTokenAbi, functionName: 'mint', args: [to, amount] })
  const approve = (from: Actor, spender: Address, amount: bigint) => write(c, from.account, { address: token, abi: lstTokenAbi, functionName: 'approve', args: [spender, amount] })

  // Networks: register, set middleware.
  const networks: SeededNetwork[] = []
  for (const n of scenario.networks) {
    const net = actor(`network/${n.label}`)
    const middleware = actor(`middleware/${n.label}`)
    await Promise.all([fund(net), fund(middleware)])
    await write(c, net.account, { address: core.networkRegistry, abi: abis.networkRegistryAbi, functionName: 'registerNetwork', args: [] })
    await write(c, net.account, { address: core.networkMiddlewareService, abi: abis.networkMiddlewareServiceAbi, functionName: 'setMiddleware', args: [middleware.address] })
    const subnetworks = n.subnetworks.map((s) => ({ identifier: s.identifier, id: subnetworkId(net.address, s.identifier), maxNetworkLimit: toWei(s.maxNetworkLimit), rewardRatePerYear: s.rewardRatePerYear }))
    networks.push({ ...net, label: n.label, middleware, subnetworks })
    labels[net.address.toLowerCase()] = n.label
    for (const s of subnetworks) labels[s.id] = `${n.label}/${s.identifier}`
  }

  // Operators: register.
  const operators: Actor[] = []
  for (const o of scenario.operators) {
    const op = { ...actor(`operator/${o.label}`), label: o.label }
    await fund(op)
    await write(c, op.account, { address: core.operatorRegistry, abi: abis.operatorRegistryAbi, functionName: 'registerOperator', args: [] })
    for (const netLabel of o.networks) {
      const net = networks.find((n) => n.label === netLabel)!
      await write(c, op.account, { address: core.operatorNetworkOptInService, abi: abis.optInServiceAbi, functionName: 'optIn', args: [net.address] })
    }
    operators.push(op)
    labels[op.address.toLowerCase()] = o.label
  }

  // Vaults.
  const vaults: SeededVault[] = []
  for (const v of scenario.vaults) vaults.push(await seedVault(c, core, deployer, { scenario, token, curator, networks, operators, labels }, v))
  // A network slashing through a VetoSlasher names a resolver who may veto its requests (the first one takes effect at
  // once), so the history's slashes on veto vaults wait out the veto window as they must on a real chain.
  for (const v of vaults.filter((x) => x.slasherKind === 'veto')) {
    for (const net of networks) {
      const resolver = actor(`resolver/${net.label}`)
      for (const s of net.subnetworks) {
        await write(c, net.account, { address: v.slasher, abi: abis.vetoSlasherAbi, functionName: 'setResolver', args: [BigInt(s.identifier), resolver.address, '0x'] })
      }
      labels[resolver.address.toLowerCase()] = `resolver/${net.label}`
    }
  }

  await playHistory(c, scenario, networks, operators, vaults, token, mint, approve)
  return { token, curator, networks, operators, vaults, labels }
}

/** What {@link seedVault} builds on: the seeded scenario's token, curator, networks and operators (labels gain the vault's). */
export interface SeedVaultContext {
  scenario: Scenario
  token: Address
  curator: Actor
  networks: SeededNetwork[]
  operators: Actor[]
  labels: Record<string, string>
}

/**
 * Creates one vault of `v` through the VaultConfigurator (its delegator and slasher: instant Slasher, or a
 * VetoSlasher with a one-day veto and resolverSetEpochsDelay 3) with its DefaultStakerRewards; every network
 * caps it, every operator opts into it, its depositors deposit, and with `initialAllocation: 'even'` the
 * curator splits it evenly. `deployer` owns the vault and the token (it mints the deposits).
 */
export async function seedVault(c: LocalChain, core: SymbioticCore, deployer: Account, ctx: SeedVaultContext, v: Scenario['vaults'][number]): Promise<SeededVault> {
  const { scenario, token, curator, networks, operators, labels } = ctx
  const fund = async (a: Actor) => c.test.setBalance({ address: a.address, value: 10n ** 21n })
  const mint = (to: Address, amount: bigint) => write(c, deployer, { address: token, abi: lstTokenAbi, functionName: 'mint', args: [to, amount] })
  const approve = (from: Actor, spender: Address, amount: bigint) => write(c, from.account, { address: token, abi: lstTokenAbi, functionName: 'approve', args: [spender, amount] })
  const vaultParams = encodeAbiParameters(
    parseAbiParameters(
      '(address collateral, address burner, uint48 epochDuration, bool depositWhitelist, bool isDepositLimit, uint256 depositLimit, address defaultAdminRoleHolder, address depositWhitelistSetRoleHolder, address depositorWhitelistRoleHolder, address isDepositLimitSetRoleHolder, address depositLimitSetRoleHolder)',
    ),
    [
      {
        collateral: token,
        burner: DEAD,
        epochDuration: scenario.epochDurationDays * DAY,
        depositWhitelist: false,
        isDepositLimit: false,
        depositLimit: 0n,
        defaultAdminRoleHolder: deployer.address,
        depositWhitelistSetRoleHolder: deployer.address,
        depositorWhitelistRoleHolder: deployer.address,
        isDepositLimitSetRoleHolder: deployer.address,
        depositLimitSetRoleHolder: deployer.address,
      },
    ],
  )
  const delegatorIndex = v.delegator === 'network-restake' ? 0n : 1n
  const delegatorParams = encodeAbiParameters(parseAbiParameters('((address defaultAdminRoleHolder, address hook, address hookSetRoleHolder) baseParams, address[] networkLimitSetRoleHolders, address[] operatorRoleHolders)'), [
    { baseParams: { defaultAdminRoleHolder: deployer.address, hook: zeroAddress, hookSetRoleHolder: deployer.address }, networkLimitSetRoleHolders: [curator.address], operatorRoleHolders: [curator.address] },
  ])
  const slasherParams =
    v.slasher === 'instant'
      ? encodeAbiParameters(parseAbiParameters('((bool isBurnerHook) baseParams)'), [{ baseParams: { isBurnerHook: false } }])
      : encodeAbiParameters(parseAbiParameters('((bool isBurnerHook) baseParams, uint48 vetoDuration, uint256 resolverSetEpochsDelay)'), [{ baseParams: { isBurnerHook: false }, vetoDuration: DAY, resolverSetEpochsDelay: 3n }])
  const initParams = { version: 1n, owner: deployer.address, vaultParams, delegatorIndex, delegatorParams, withSlasher: true, slasherIndex: v.slasher === 'instant' ? 0n : 1n, slasherParams }
  const { result } = await c.public.simulateContract({ address: core.vaultConfigurator, abi: abis.vaultConfiguratorAbi, functionName: 'create', args: [initParams], account: deployer })
  await write(c, deployer, { address: core.vaultConfigurator, abi: abis.vaultConfiguratorAbi, functionName: 'create', args: [initParams] })
  const [vault, delegator, slasher] = result
  labels[vault.toLowerCase()] = `vault/${v.label}`

  // Staker rewards for this vault (real DefaultStakerRewards clone).
  const createRewards = {
    address: core.stakerRewardsFactory,
    abi: abis.defaultStakerRewardsFactoryAbi,
    functionName: 'create',
    args: [{ vault, adminFee: 0n, defaultAdminRoleHolder: deployer.address, adminFeeClaimRoleHolder: deployer.address, adminFeeSetRoleHolder: deployer.address }],
  } as const
  const { result: stakerRewards } = await c.public.simulateContract({ ...createRewards, account: deployer })
  await write(c, deployer, createRewards)

  // Networks cap this vault (a network that allows nothing keeps the initial 0: the delegator reverts AlreadySet on a
  // value equal to the current one, so a real deployment never sends it); operators opt into it.
  for (const net of networks) {
    for (const s of net.subnetworks) {
      const current = await c.public.readContract({ address: delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'maxNetworkLimit', args: [s.id] })
      if (current === s.maxNetworkLimit) continue
      await write(c, net.account, { address: delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'setMaxNetworkLimit', args: [BigInt(s.identifier), s.maxNetworkLimit] })
    }
  }
  for (const op of operators) {
    await write(c, op.account, { address: core.operatorVaultOptInService, abi: abis.optInServiceAbi, functionName: 'optIn', args: [vault] })
  }

  // Depositors.
  const depositors: Actor[] = []
  for (const [i, amount] of v.deposits.entries()) {
    const dep = actor(`depositor/${v.label}/${i}`)
    await fund(dep)
    const wei = toWei(amount)
    await mint(dep.address, wei)
    await approve(dep, vault, wei)
    await write(c, dep.account, { address: vault, abi: abis.vaultAbi, functionName: 'deposit', args: [dep.address, wei] })
    depositors.push(dep)
  }
  const seeded: SeededVault = { label: v.label, address: vault, delegator, slasher, stakerRewards, delegatorKind: v.delegator, slasherKind: v.slasher, depositors }
  if (v.initialAllocation === 'even') await allocateEvenly(c, curator, scenario, networks, operators, delegator, v.delegator)
  return seeded
}

/**
 * The starting point most vaults have: every subnetwork gets its max limit and every eligible operator an equal share.
 * A value equal to the current one is not sent (the delegators revert `AlreadySet`), e.g. a subnetwork whose max limit is 0.
 */
async function allocateEvenly(c: LocalChain, curator: Actor, scenario: Scenario, networks: SeededNetwork[], operators: Actor[], delegator: Address, kind: 'network-restake' | 'full-restake'): Promise<void> {
  const nr = abis.networkRestakeDelegatorAbi
  const fr = abis.fullRestakeDelegatorAbi
  for (const net of networks) {
    const eligible = operators.filter((op) => scenario.operators.find((o) => o.label === op.label)!.networks.includes(net.label))
    for (const s of net.subnetworks) {
      if ((await c.public.readContract({ address: delegator, abi: nr, functionName: 'networkLimit', args: [s.id] })) !== s.maxNetworkLimit)
        await write(c, curator.account, { address: delegator, abi: nr, functionName: 'setNetworkLimit', args: [s.id, s.maxNetworkLimit] })
      for (const op of eligible) {
        if (kind === 'network-restake') {
          const shares = 10n ** 18n
          if ((await c.public.readContract({ address: delegator, abi: nr, functionName: 'operatorNetworkShares', args: [s.id, op.address] })) !== shares)
            await write(c, curator.account, { address: delegator, abi: nr, functionName: 'setOperatorNetworkShares', args: [s.id, op.address, shares] })
        } else {
          const limit = s.maxNetworkLimit / BigInt(eligible.length)
          if ((await c.public.readContract({ address: delegator, abi: fr, functionName: 'operatorNetworkLimit', args: [s.id, op.address] })) !== limit)
            await write(c, curator.account, { address: delegator, abi: fr, functionName: 'setOperatorNetworkLimit', args: [s.id, op.address, limit] })
        }
      }
    }
  }
}

/** Plays the history: every interval each network pays rewards for the stake it secured; slashes land on their day. */
async function playHistory(
  c: LocalChain,
  scenario: Scenario,
  networks: SeededNetwork[],
  operators: Actor[],
  vaults: SeededVault[],
  token: Address,
  mint: (to: Address, amount: bigint) => Promise<Hex>,
  approve: (from: Actor, spender: Address, amount: bigint) => Promise<Hex>,
): Promise<void> {
  const { days, rewardIntervalDays, slashes } = scenario.history
  type Event = { day: number; order: number; run: () => Promise<void> }
  const events: Event[] = []
  for (let day = rewardIntervalDays; day <= days; day += rewardIntervalDays) {
    events.push({ day, order: 1, run: () => payRewards(c, networks, vaults, token, rewardIntervalDays, mint, approve) })
  }
  for (const sl of slashes) {
    events.push({ day: sl.day, order: 0, run: () => slash(c, networks, operators, vaults, sl) })
  }
  events.sort((a, b) => a.day - b.day || a.order - b.order)
  // Days count from the start of the history: a slash that waits out a veto window does not shift what follows.
  const start = Number(await chainNow(c))
  const advanceToDay = async (day: number) => {
    const behind = start + day * DAY - Number(await chainNow(c))
    if (behind > 0) await advanceTime(c, behind)
  }
  for (const e of events) {
    await advanceToDay(e.day)
    await e.run()
  }
  await advanceToDay(days)
}

/** The network's middleware slashes `fraction` of the operator's stake (captured one second ago) in every vault. */
async function slash(c: LocalChain, networks: SeededNetwork[], operators: Actor[], vaults: SeededVault[], sl: Scenario['history']['slashes'][number]): Promise<void> {
  const net = networks.find((n) => n.label === sl.network)!
  const op = operators.find((o) => o.label === sl.operator)!
  await slashEveryVault(c, net, subnetworkId(net.address, sl.identifier), op.address, sl.fraction, vaults)
}

/**
 * `net`'s middleware slashes `fraction` of `operator`'s stake in `subnetwork` (captured one second ago) in every vault,
 * as each slasher requires: an instant Slasher with `slash`; a VetoSlasher with `requestSlash`, then — once every
 * request's veto window is over (Anvil time travel; only while a resolver could veto, as the core checks) —
 * `executeSlash`. Returns the transactions sent.
 */
export async function slashEveryVault(c: LocalChain, net: SeededNetwork, subnetwork: Hex, operator: Address, fraction: number, vaults: SeededVault[]): Promise<Hex[]> {
  const capture = Number(await chainNow(c)) - 1
  const txHashes: Hex[] = []
  const requests: { vault: SeededVault; index: bigint; deadline: number }[] = []
  for (const v of vaults) {
    const stake = await c.public.readContract({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'stakeAt', args: [subnetwork, operator, capture, '0x'] })
    const amount = (stake * BigInt(Math.round(fraction * 1e6))) / PPM
    if (amount === 0n) continue
    if (v.slasherKind === 'instant') {
      txHashes.push(await write(c, net.middleware.account, { address: v.slasher, abi: abis.slasherAbi, functionName: 'slash', args: [subnetwork, operator, amount, capture, '0x'] }))
      continue
    }
    const index = await c.public.readContract({ address: v.slasher, abi: abis.vetoSlasherAbi, functionName: 'slashRequestsLength' })
    txHashes.push(await write(c, net.middleware.account, { address: v.slasher, abi: abis.vetoSlasherAbi, functionName: 'requestSlash', args: [subnetwork, operator, amount, capture, '0x'] }))
    const resolver = await c.public.readContract({ address: v.slasher, abi: abis.vetoSlasherAbi, functionName: 'resolverAt', args: [subnetwork, capture, '0x'] })
    const [, , , , vetoDeadline] = await c.public.readContract({ address: v.slasher, abi: abis.vetoSlasherAbi, functionName: 'slashRequests', args: [index] })
    requests.push({ vault: v, index, deadline: resolver === zeroAddress ? 0 : Number(vetoDeadline) })
  }
  if (requests.length === 0) return txHashes
  const wait = Math.max(...requests.map((r) => r.deadline)) - Number(await chainNow(c))
  if (wait > 0) await advanceTime(c, wait)
  for (const r of requests) {
    txHashes.push(await write(c, net.middleware.account, { address: r.vault.slasher, abi: abis.vetoSlasherAbi, functionName: 'executeSlash', args: [r.index, '0x'] }))
  }
  return txHashes
}

/** Each network pays each vault `rate × stake it secured × interval` through the vault's DefaultStakerRewards. */
async function payRewards(
  c: LocalChain,
  networks: SeededNetwork[],
  vaults: SeededVault[],
  token: Address,
  intervalDays: number,
  mint: (to: Address, amount: bigint) => Promise<Hex>,
  approve: (from: Actor, spender: Address, amount: bigint) => Promise<Hex>,
): Promise<void> {
  const ts = Number(await chainNow(c)) - 1
  for (const net of networks) {
    for (const v of vaults) {
      const activeStake = await c.public.readContract({ address: v.address, abi: abis.vaultAbi, functionName: 'activeStakeAt', args: [ts, '0x'] })
      let amount = 0n
      for (const s of net.subnetworks) {
        const limit = await c.public.readContract({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'networkLimitAt', args: [s.id, ts, '0x'] })
        const secured = limit < activeStake ? limit : activeStake
        amount += (secured * BigInt(Math.round(s.rewardRatePerYear * 1e6)) * BigInt(intervalDays)) / (PPM * 365n)
      }
      if (amount === 0n) continue
      await mint(net.middleware.address, amount)
      await approve(net.middleware, v.stakerRewards, amount)
      const data = encodeAbiParameters(parseAbiParameters('uint48, uint256, bytes, bytes'), [ts, 0n, '0x', '0x'])
      await write(c, net.middleware.account, { address: v.stakerRewards, abi: abis.defaultStakerRewardsAbi, functionName: 'distributeRewards', args: [net.address, token, amount, data] })
    }
  }
}
