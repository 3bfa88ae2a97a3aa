/**
 * The timeline player: applies a scenario's timeline events on the backtest chain with real calls —
 * networks change what they pay, operators register and opt in or opt out, middlewares slash — and pays
 * each vault its rewards through DefaultStakerRewards for the stake its operators actually secured.
 */
import { type Account, type Address, type Hex, encodeAbiParameters, keccak256, parseAbiParameters, stringToHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as abis from '../world/abis/symbiotic.js'
import { type LocalChain, chainNow, write } from '../world/chain.js'
import type { TimelineEvent } from '../world/scenario.js'
import { type Actor, lstTokenAbi, slashEveryVault, subnetworkId } from '../world/seed.js'
import type { BacktestWorld } from './world.js'

const PPM = 1_000_000n

/** What one applied event did on chain. */
export interface AppliedEvent {
  day: number
  event: TimelineEvent
  /** One line for people. */
  summary: string
  txHashes: Hex[]
}

/** Mutable state of the replay: current reward rates per subnetwork and every operator known so far. */
export class TimelinePlayer {
  private readonly w: BacktestWorld
  private readonly c: LocalChain
  /** Subnetwork id → reward rate per year. */
  readonly rates = new Map<Hex, number>()
  /** Operator label → actor (seeded ones plus those that joined). */
  readonly operators = new Map<string, Actor>()

  constructor(world: BacktestWorld) {
    this.w = world
    this.c = world.chain
    for (const n of world.seeded.networks) for (const s of n.subnetworks) this.rates.set(s.id, s.rewardRatePerYear)
    for (const o of world.seeded.operators) this.operators.set(o.label, o)
  }

  /** Every operator address known so far (seeded and joined). */
  operatorAddresses(): Address[] {
    return [...this.operators.values()].map((o) => o.address)
  }

  /** Applies one timeline event; returns what it sent. */
  async apply(day: number, e: TimelineEvent): Promise<AppliedEvent> {
    switch (e.kind) {
      case 'reward-rate': {
        const sn = this.subnetwork(e.network, e.identifier)
        const before = this.rates.get(sn) ?? 0
        this.rates.set(sn, e.rewardRatePerYear)
        return { day, event: e, summary: `${e.network}/${e.identifier} pays ${pct(e.rewardRatePerYear)}/yr (was ${pct(before)})`, txHashes: [] }
      }
      case 'operator-joins':
        return this.join(day, e)
      case 'operator-leaves':
        return this.leave(day, e)
      case 'slash':
        return this.slash(day, e)
    }
  }

  private network(label: string) {
    const n = this.w.seeded.networks.find((x) => x.label === label)
    if (!n) throw new Error(`unknown network "${label}"`)
    return n
  }

  private subnetwork(label: string, identifier: number): Hex {
    return subnetworkId(this.network(label).address, identifier)
  }

  private async join(day: number, e: Extract<TimelineEvent, { kind: 'operator-joins' }>): Promise<AppliedEvent> {
    const txHashes: Hex[] = []
    let op = this.operators.get(e.operator)
    if (!op) {
      const account = privateKeyToAccount(keccak256(stringToHex(`restake-autopilot/backtest/operator/${e.operator}`)))
      op = { label: e.operator, address: account.address, account }
      this.operators.set(e.operator, op)
      this.w.config.labels[op.address.toLowerCase()] = e.operator
      this.w.seeded.labels[op.address.toLowerCase()] = e.operator
    }
    await this.c.test.setBalance({ address: op.address, value: 10n ** 21n })
    const registered = await this.c.public.readContract({ address: this.w.core.operatorRegistry, abi: abis.operatorRegistryAbi, functionName: 'isEntity', args: [op.address] })
    if (!registered) txHashes.push(await write(this.c, op.account, { address: this.w.core.operatorRegistry, abi: abis.operatorRegistryAbi, functionName: 'registerOperator', args: [] }))
    for (const label of e.networks) txHashes.push(...(await this.optIn(op.account, this.w.core.operatorNetworkOptInService, this.network(label).address)))
    for (const v of this.w.seeded.vaults) txHashes.push(...(await this.optIn(op.account, this.w.core.operatorVaultOptInService, v.address)))
    return { day, event: e, summary: `${e.operator} joins ${e.networks.join(', ')}`, txHashes }
  }

  private async optIn(who: Account, service: Address, where: Address): Promise<Hex[]> {
    const opted = await this.c.public.readContract({ address: service, abi: abis.optInServiceAbi, functionName: 'isOptedIn', args: [who.address, where] })
    if (opted) return []
    return [await write(this.c, who, { address: service, abi: abis.optInServiceAbi, functionName: 'optIn', args: [where] })]
  }

  private async leave(day: number, e: Extract<TimelineEvent, { kind: 'operator-leaves' }>): Promise<AppliedEvent> {
    const op = this.operators.get(e.operator)
    if (!op) throw new Error(`unknown operator "${e.operator}"`)
    const txHashes: Hex[] = []
    const left: string[] = []
    const labels = e.networks ?? this.w.seeded.networks.map((n) => n.label)
    for (const label of labels) {
      const net = this.network(label)
      const opted = await this.c.public.readContract({ address: this.w.core.operatorNetworkOptInService, abi: abis.optInServiceAbi, functionName: 'isOptedIn', args: [op.address, net.address] })
      if (!opted) continue
      txHashes.push(await write(this.c, op.account, { address: this.w.core.operatorNetworkOptInService, abi: abis.optInServiceAbi, functionName: 'optOut', args: [net.address] }))
      left.push(label)
    }
    return { day, event: e, summary: `${e.operator} leaves ${left.length ? left.join(', ') : '(nothing: not opted in)'}`, txHashes }
  }

  /** The network's middleware slashes `fraction` of the operator's stake (captured one second ago) in every vault, as its slasher requires (a veto slasher's request waits out its veto window). */
  private async slash(day: number, e: Extract<TimelineEvent, { kind: 'slash' }>): Promise<AppliedEvent> {
    const net = this.network(e.network)
    const op = this.operators.get(e.operator)
    if (!op) throw new Error(`unknown operator "${e.operator}"`)
    const txHashes = await slashEveryVault(this.c, net, subnetworkId(net.address, e.identifier), op.address, e.fraction, this.w.seeded.vaults)
    return { day, event: e, summary: `${e.network}/${e.identifier} slashes ${pct(e.fraction)} of ${e.operator}'s stake`, txHashes }
  }

  /**
   * Every network pays every vault `rate × stake its operators secured × interval` (stake read with
   * `stakeAt` one second ago, summed over operators: stake with an operator that left earns nothing).
   */
  async payRewards(intervalDays: number): Promise<Hex[]> {
    const c = this.c
    const ts = Number(await chainNow(c)) - 1
    const ops = this.operatorAddresses()
    const txHashes: Hex[] = []
    const mint = (to: Address, amount: bigint) => write(c, this.w.deployer, { address: this.w.seeded.token, abi: lstTokenAbi, functionName: 'mint', args: [to, amount] })
    for (const net of this.w.seeded.networks) {
      for (const v of this.w.seeded.vaults) {
        const contracts = net.subnetworks.flatMap((s) => ops.map((op) => ({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'stakeAt', args: [s.id, op, ts, '0x'] }) as const))
        const stakes = (await c.public.multicall({ contracts, allowFailure: false })) as bigint[]
        let amount = 0n
        net.subnetworks.forEach((s, i) => {
          const secured = stakes.slice(i * ops.length, (i + 1) * ops.length).reduce((a, b) => a + b, 0n)
          amount += (secured * BigInt(Math.round((this.rates.get(s.id) ?? 0) * 1e6)) * BigInt(intervalDays)) / (PPM * 365n)
        })
        if (amount === 0n) continue
        txHashes.push(await mint(net.middleware.address, amount))
        txHashes.push(await write(c, net.middleware.account, { address: this.w.seeded.token, abi: lstTokenAbi, functionName: 'approve', args: [v.stakerRewards, amount] }))
        const data = encodeAbiParameters(parseAbiParameters('uint48, uint256, bytes, bytes'), [ts, 0n, '0x', '0x'])
        txHashes.push(await write(c, net.middleware.account, { address: v.stakerRewards, abi: abis.defaultStakerRewardsAbi, functionName: 'distributeRewards', args: [net.address, this.w.seeded.token, amount, data] }))
      }
    }
    return txHashes
  }
}

function pct(f: number): string {
  return `${Number((f * 100).toFixed(3))} %`
}
