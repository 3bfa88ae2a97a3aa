/**
 * The Symbiotic adapter: vaults read in three round trips, the curator diff (plan → only changed parameters,
 * decreases first), calls sent by the curator signer (or through the DAO's Safe + Roles module), verified by a re-read.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Address } from 'viem'
import type { LogQuery } from '../../chain/sync/index.js'
import { simulateAsSafe, wrapWithRole } from '../../chain/safe/execWithRole.js'
import { proposalFiles, proposeBatch } from '../../chain/safe/propose.js'
import { unconfirmedNote } from '../../execution/crossCheck.js'
import { executeCalls } from '../../execution/executeCalls.js'
import { gweiToWei } from '../../domain/decision.js'
import { withAfter, allocationRows } from '../../pipeline/rebalance.js'
import type { RecordedAction } from '../../store/ports.js'
import type { AdapterContext, AdapterRead, ProtocolAdapter } from '../types.js'
import { assertCuratorRoles, buildCuratorCall } from './buildCuratorCall.js'
import { type Action, diffPlan } from './diff.js'
import { withExternalStake } from './externalStake.js'
import { readSymbioticUniverse } from './reader.js'
import { ROLE_NAMES } from './roles.js'
import { symbioticEvents } from './source.js'

const ZERO = '0x0000000000000000000000000000000000000000' as Address

/** What {@link readSymbiotic} reads with: the parts of the config it uses (the CLI's partial config has them too). */
export type SymbioticReadContext = Pick<AdapterContext, 'client' | 'account' | 'chainSync'> & {
  config: Pick<AdapterContext['config'], 'symbiotic' | 'vaults' | 'dao' | 'labels' | 'fromBlock' | 'rewardLookbackDays' | 'chainId' | 'extraVaults'>
}

/** What {@link readSymbiotic} returns: the adapter's read, and the chain-sync store read it took its logs from. */
export interface SymbioticRead extends AdapterRead<undefined> {
  /**
   * The Symbiotic source's logs up to the read's block, as the reader queried them (one store read): other readers of
   * the same moment (the console's realised yield, the opt-ins of extraVaults) query it instead of the node.
   */
  logs: LogQuery | undefined
}

/** Reads every configured vault at the latest block; `curator` is whose roles are read (default: the DAO's Safe, else our signer). */
export async function readSymbiotic(ctx: SymbioticReadContext, curator?: Address): Promise<SymbioticRead> {
  const { config } = ctx
  const synced = symbioticEvents(ctx.client, ctx.chainSync, { chainId: config.chainId, fromBlock: config.fromBlock })
  let logs: LogQuery | undefined
  const read = await readSymbioticUniverse(ctx.client, {
    operatorVaultOptInService: config.symbiotic.operatorVaultOptInService,
    operatorNetworkOptInService: config.symbiotic.operatorNetworkOptInService,
    vaults: config.vaults,
    curator: curator ?? config.dao?.safe ?? ctx.account?.address ?? ZERO,
    labels: config.labels,
    fromBlock: config.fromBlock,
    rewardLookbackSeconds: config.rewardLookbackDays * 86_400,
    vaultFactory: config.symbiotic.vaultFactory,
    events: async (q) => (logs = await synced(q)),
  })
  // config extraVaults: read for the security figures only, their opt-ins from the same store read as the reader's.
  const universe = logs ? await withExternalStake(ctx.client, read, config, logs) : read
  return { universe, details: undefined, logs }
}

/** The Symbiotic adapter. */
export const symbioticAdapter: ProtocolAdapter<undefined, Action> = {
  protocol: 'symbiotic',
  sendsAsCurator: true,
  revertArgNames: ROLE_NAMES,
  configured: (config) => config.vaults.length > 0,

  read: (ctx) => readSymbiotic(ctx),

  async decide(ctx, { read, plan, now, lastRebalanceAt, gasPriceWei, force }) {
    return diffPlan(read.universe, plan, ctx.policy, { now, lastRebalanceAt, gasPriceWei, force })
  },

  async execute(ctx, decision, read, sessionFor) {
    if (!ctx.account) throw new Error('autopilot mode needs a signer account')
    const dao = ctx.config.dao
    assertCuratorRoles(decision.actions, read.universe.positions, dao?.safe ?? ctx.account.address)
    const calls = decision.actions.map((a) => buildCuratorCall(a, ctx.label))
    // DAO mode: the bot's key only calls the Roles modifier, which checks the scope on-chain and has the Safe execute.
    const sent = dao ? calls.map((c) => wrapWithRole(c, { rolesModifier: dao.rolesModifier, roleKey: dao.roleKey, shouldRevert: true })) : calls
    if (dao) await simulateAsSafe(ctx.client, dao.safe, calls) // names the delegator's revert, which the modifier would hide
    const actions: RecordedAction[] = decision.actions.map((a, index) => ({ index, kind: a.kind, description: calls[index]!.description, reasons: a.reasons, status: 'planned' }))
    try {
      const executed = await executeCalls({
        client: ctx.client,
        account: ctx.account,
        calls: sent,
        intents: ctx.intents,
        runId: (await sessionFor(ctx.account)).runId,
        confirmations: ctx.config.confirmations,
        maxFeePerGas: gweiToWei(ctx.policy.gas.maxFeePerGasGwei),
        session: await sessionFor(ctx.account),
        revertArgNames: ROLE_NAMES,
        onMined: (index, txHash, e) => {
          actions[index] = { ...actions[index]!, status: 'mined', txHash, blockNumber: e.blockNumber, gasUsed: e.gasUsed, ...unconfirmedNote(e) } // kept if a later call defers or fails
        },
      })
      for (const e of executed) actions[e.index] = { ...actions[e.index]!, status: 'mined', txHash: e.txHash, blockNumber: e.blockNumber, gasUsed: e.gasUsed, ...unconfirmedNote(e) }
      return { actions, sent: executed.length > 0 }
    } catch (e) {
      // A partial send stays recorded with the run; gas above the cap and a busy lock are the pipeline's to skip.
      if (!actions.some((a) => a.status === 'mined')) throw e
      return { actions, sent: true, error: e }
    }
  },

  async propose(ctx, decision, read, runId) {
    const dao = ctx.config.dao
    // Prepare, do not send: the batch (Transaction Builder JSON + MultiSend) for the signers, with every reason.
    if (dao) assertCuratorRoles(decision.actions, read.universe.positions, dao.safe)
    const calls = decision.actions.map((a) => buildCuratorCall(a, ctx.label))
    const explanations = decision.actions.map((a, index) => ({ index, kind: a.kind, description: calls[index]!.description, reasons: a.reasons, status: 'planned' as const }))
    const batch = proposeBatch(calls, {
      safe: dao?.safe,
      chainId: read.universe.chainId,
      createdAt: ctx.clock(),
      multiSendCallOnly: dao?.multiSendCallOnly,
      name: `restake-autopilot ${runId}`,
      explanations,
      summary: `restake-autopilot run ${runId} at block ${read.universe.blockNumber}: ${calls.length} curator call(s), +${decision.gainPerYear.toFixed(4)} collateral/yr expected`,
    })
    const files: string[] = []
    if (ctx.config.proposalsDir) {
      await mkdir(ctx.config.proposalsDir, { recursive: true })
      for (const f of proposalFiles(runId, batch)) {
        const path = join(ctx.config.proposalsDir, f.name)
        await writeFile(path, f.content)
        files.push(path)
      }
    }
    return {
      decisionPatch: { proposal: { files, batch: batch.batch, multiSend: batch.multiSend } },
      summary: `propose: ${calls.length} call(s) prepared for the Safe's signers${files.length ? ` in ${ctx.config.proposalsDir}` : ''}`,
      result: { proposal: { ...batch, files } },
      actions: explanations,
    }
  },

  async verify(ctx, plan, read) {
    // The chain now holds exactly the planned stakes.
    const after = (await readSymbiotic(ctx)).universe
    const allocations = withAfter(allocationRows(read.universe, plan), after)
    return { verified: allocations.every((r) => r.after === r.target), record: { allocations } }
  },
}
