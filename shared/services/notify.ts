/**
 * Notifications: what happened (plan, send, failure, slash), to which operator and service, with tx hashes
 * and — after stake was lowered — the residual exposure window (Symbiotic slashes at past capture
 * timestamps, so removed stake stays slashable for up to one vault epoch; the message gives the time until
 * which). Sinks: SNS (AWS, topic ARN), outbound webhooks — generic JSON (policy.notifications.webhookUrls), or
 * typed targets in Slack, Discord or JSON format (policy.notifications.targets; formats in ./notifyFormats.ts) — and
 * the console/log. A sink that fails is reported and logged, never thrown: a notification must not undo a de-risk.
 *
 * Run notifications follow the run record: {@link notifyOnRunFinished} subscribes to run events and sends one when a run is finished,
 * so every path that records a run (schedule, webhook, watcher, CLI) notifies the same way.
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { PublishCommand } from '@aws-sdk/client-sns'
import type { RecordedAction, RunKind, RunRecord } from '../store/ports.js'
import type { RunListener } from '../store/runEvents.js'
import { type Notification, type NotificationTarget, type ResidualExposureNote, notificationBody } from './notifyFormats.js'

export type { Notification, NotificationKind, ResidualExposureNote } from './notifyFormats.js'

/** The part of an SNS client the notifier uses (the real SNSClient, or a test double answering `send`). */
export interface SnsPublisher {
  send(command: PublishCommand): Promise<unknown>
}

/** Where each notification went. */
export interface NotifyReport {
  delivered: string[]
  failed: { target: string; error: string }[]
}

/** Sends a notification to every configured sink. */
export type Notify = (n: Notification) => Promise<NotifyReport>

/** Parameters of {@link createNotifier}. */
export interface CreateNotifierParameters {
  /** Outbound webhook URLs (policy.notifications.webhookUrls). */
  webhookUrls?: readonly string[]
  /** Typed webhook targets (policy.notifications.targets): Slack, Discord or generic JSON. */
  targets?: readonly NotificationTarget[]
  /** SNS topic (AWS: the stack's NOTIFY_TOPIC_ARN; else policy.notifications.snsTopicArn). */
  snsTopicArn?: string
  /** SNS client; default: a real SNSClient, created on first use. */
  sns?: SnsPublisher
  /** Console sink (local: a readable block on stdout; Lambda: a structured log line); omitted = none. */
  console?: (n: Notification) => void
  /** Per-webhook timeout, ms (default 5 000). */
  timeoutMs?: number
  logger?: Logger
  /** fetch implementation (default: global fetch). */
  fetch?: typeof fetch
}

/** Creates the notifier: SNS, webhooks and console in parallel; failures are collected, never thrown. */
export function createNotifier(p: CreateNotifierParameters): Notify {
  const doFetch = p.fetch ?? globalThis.fetch
  let sns: SnsPublisher | undefined = p.sns
  return async (n) => {
    const report: NotifyReport = { delivered: [], failed: [] }
    const attempt = async (target: string, send: () => Promise<void>) => {
      try {
        await send()
        report.delivered.push(target)
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e)
        report.failed.push({ target, error })
        p.logger?.warn('notification not delivered', { target, error, subject: n.subject })
      }
    }
    const jobs: Promise<void>[] = []
    if (p.console) jobs.push(attempt('console', async () => p.console!(n)))
    if (p.snsTopicArn) {
      const topicArn = p.snsTopicArn
      jobs.push(
        attempt(`sns:${topicArn}`, async () => {
          const { PublishCommand, SNSClient } = await import('@aws-sdk/client-sns')
          sns ??= new SNSClient({})
          await sns.send(
            new PublishCommand({
              TopicArn: topicArn,
              Subject: snsSubject(n.subject),
              Message: n.text,
              MessageAttributes: { kind: { DataType: 'String', StringValue: n.kind }, ...(n.runId ? { runId: { DataType: 'String', StringValue: n.runId } } : {}) },
            }),
          )
        }),
      )
    }
    for (const { url, format } of [...(p.webhookUrls ?? []).map((url) => ({ url, format: 'json' as const })), ...(p.targets ?? [])]) {
      jobs.push(
        attempt(`${format === 'json' ? 'webhook' : format}:${redactUrl(url)}`, async () => {
          const res = await doFetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': 'restake-autopilot' },
            body: JSON.stringify(notificationBody(format, n)),
            signal: AbortSignal.timeout(p.timeoutMs ?? 5_000),
          })
          if (!res.ok) throw new Error(`HTTP ${res.status}`)
          await res.arrayBuffer().catch(() => undefined)
        }),
      )
    }
    await Promise.all(jobs)
    return report
  }
}

/** SNS subjects: ASCII-printable, no newlines, ≤ 100 characters. */
function snsSubject(s: string): string {
  const ascii = s.replace(/→/g, '->').replace(/[^\x20-\x7e]/g, '?')
  return ascii.length > 100 ? `${ascii.slice(0, 97)}...` : ascii
}

/** Drops credentials and query strings from a URL for logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return '(invalid url)'
  }
}

/** Formats a notification as a block of text for a terminal. */
export function formatNotification(n: Notification): string {
  return `\n=== ${n.kind.toUpperCase()}: ${n.subject}\n${n.text}\n===`
}

/** Residual exposure notes from removed stake: `until` is unix seconds. */
export function residualNotes(items: readonly { service: string; operator: string; stake: bigint; until: bigint }[]): ResidualExposureNote[] {
  return items.map((r) => ({ service: r.service, operator: r.operator, stake: r.stake.toString(), until: Number(r.until), untilIso: new Date(Number(r.until) * 1000).toISOString() }))
}

/** One line per residual exposure, for message texts. */
export function residualLines(notes: readonly ResidualExposureNote[], label: (k: string) => string): string[] {
  if (notes.length === 0) return []
  return [
    'Residual exposure: removed stake stays slashable at past capture timestamps for up to one epoch:',
    ...notes.map((r) => `  ${units(BigInt(r.stake))} on ${label(r.operator)} in ${label(r.service)} until ${r.untilIso} (unix ${r.until})`),
  ]
}

/** Collateral wei as a decimal with 4 places (18 decimals assumed). */
export function units(wei: bigint): string {
  const neg = wei < 0n
  const w = neg ? -wei : wei
  const whole = w / 10n ** 18n
  const frac = ((w % 10n ** 18n) / 10n ** 14n).toString().padStart(4, '0')
  return `${neg ? '-' : ''}${whole}.${frac}`
}

/** What {@link runNotification} needs of a finished run. */
export interface FinishedRun {
  runId: string
  kind: RunKind
  trigger: string
  status: RunRecord['status']
  actions?: RecordedAction[]
  allocations?: unknown
  plan?: unknown
  error?: { name: string; message: string }
  /** True when the run planned calls but did not send because rebalancing is paused. */
  paused?: boolean
  /** The protocol's lines for people (run record `decision.notes`, e.g. how long withdrawn EigenLayer stake stays slashable). */
  notes?: readonly string[]
}

/**
 * The notification for a finished run, or undefined when there is nothing to say (a score or watch run
 * that did not fail — the watcher sends its own slash notifications —, a rebalance that changed nothing).
 */
export function runNotification(run: FinishedRun, label: (k: string) => string, now: Date = new Date()): Notification | undefined {
  const actions = run.actions ?? []
  const txHashes = actions.map((a) => a.txHash).filter((h): h is string => typeof h === 'string')
  const residual = residualNotes(residualOf(run.plan))
  const base = { at: now.toISOString(), runId: run.runId, txHashes }
  const actionLines = actions.map((a) => `  #${a.index} ${a.description}${a.txHash ? `  tx ${a.txHash}` : ''}`)
  if (run.status === 'failed') {
    return {
      ...base,
      kind: 'failure',
      subject: `${run.kind} run failed: ${run.error?.name ?? 'Error'}`,
      text: [
        `${run.kind} run ${run.runId} (trigger ${run.trigger}) failed: ${run.error?.name ?? 'Error'}: ${run.error?.message ?? 'unknown error'}`,
        ...(txHashes.length ? ['Calls sent before the failure:', ...actionLines.filter((l) => l.includes(' tx '))] : ['Nothing was sent.']),
      ].join('\n'),
    }
  }
  // Watch runs that did not fail are told by the watcher's own slash notifications.
  if (run.kind !== 'rebalance' || actions.length === 0) return undefined
  if (run.status === 'succeeded') {
    return {
      ...base,
      kind: 'sent',
      subject: `rebalance sent ${actions.length} call${actions.length === 1 ? '' : 's'} (${run.trigger})`,
      text: [`Rebalance ${run.runId} (trigger ${run.trigger}) sent ${actions.length} call(s):`, ...actionLines, ...allocationLines(run.allocations, label), ...residualLines(residual, label), ...(run.notes ?? [])].join('\n'),
      residualExposure: residual,
    }
  }
  const why = run.paused ? 'rebalancing is paused' : 'the policy mode does not send'
  return {
    ...base,
    kind: 'plan',
    subject: `rebalance planned ${actions.length} call${actions.length === 1 ? '' : 's'}, not sent (${run.paused ? 'paused' : 'propose'})`,
    text: [`Rebalance ${run.runId} (trigger ${run.trigger}) planned ${actions.length} call(s) and sent none because ${why}:`, ...actionLines, ...(run.notes ?? [])].join('\n'),
  }
}

function residualOf(plan: unknown): { service: string; operator: string; stake: bigint; until: bigint }[] {
  const positions = (plan as { positions?: { residualExposure?: { service: string; operator: string; stake: bigint; until: bigint }[] }[] } | undefined)?.positions ?? []
  return positions.flatMap((p) => p.residualExposure ?? [])
}

function allocationLines(allocations: unknown, label: (k: string) => string): string[] {
  const rows = Array.isArray(allocations) ? (allocations as { service: string; operator: string; before: bigint; target: bigint; after?: bigint }[]) : []
  const changed = rows.filter((r) => r.before !== (r.after ?? r.target))
  if (changed.length === 0) return []
  return ['Stake per (service, operator), before → after:', ...changed.map((r) => `  ${label(r.service)} / ${label(r.operator)}: ${units(r.before)} → ${units(r.after ?? r.target)}`)]
}

/** The figures of a finished run the stack's metric filters read from its `run finished` line (infra/constructs/alarms.ts). */
export function runMetrics(fields: { actions?: readonly { txHash?: string; gasUsed?: bigint }[] | undefined }): { callsSent: number; gasUsed: number } {
  const sent = (fields.actions ?? []).filter((a) => a.txHash !== undefined)
  // Gas units of one run fit a double exactly (far below 2^53).
  return { callsSent: sent.length, gasUsed: Number(sent.reduce((sum, a) => sum + (a.gasUsed ?? 0n), 0n)) }
}

/**
 * The run-events subscriber that notifies: it logs one `run finished` line per run (`runStatus`, `callsSent` and
 * `gasUsed` feed the Runs, FailedRuns, CallsSent and GasUsed metric filters of the stack), then sends the run's notification (delivery problems are logged, not thrown). Runs the
 * watcher starts (`triggerKind: 'watch'`) are quiet: the watcher sends its own slash notification.
 * @example const runs = observeRuns(new RunStore(…), notifyOnRunFinished({ notify, logger, label }))
 */
export function notifyOnRunFinished(p: { notify: Notify; logger?: Logger; label?: (k: string) => string }): RunListener {
  const label = p.label ?? ((k: string) => k)
  return async (e) => {
    if (e.type !== 'finished') return
    const { run, fields } = e
    const line = { runId: run.runId, runKind: run.kind, runStatus: fields.status, trigger: run.trigger, ...(run.protocol ? { protocol: run.protocol } : {}), ...runMetrics(fields) }
    if (fields.status === 'failed') p.logger?.error('run finished', { ...line, error: fields.error })
    else p.logger?.info('run finished', line)
    if (run.triggerKind === 'watch') return
    const paused = fields.status === 'skipped' && (fields.decision as { kind?: string } | undefined)?.kind === 'act' && isPausedMarker(fields)
    const notes = (fields.decision as { notes?: unknown } | undefined)?.notes
    const n = runNotification(
      {
        runId: run.runId,
        kind: run.kind,
        trigger: run.trigger,
        status: fields.status,
        actions: fields.actions,
        allocations: fields.allocations,
        plan: fields.plan,
        error: fields.error,
        paused,
        ...(Array.isArray(notes) ? { notes: notes.map(String) } : {}),
      },
      label,
    )
    if (n) await p.notify(n)
  }
}

/** Marker runRebalance leaves on a run skipped because of the pause flag (`decision.paused`). */
function isPausedMarker(fields: { decision?: unknown }): boolean {
  return (fields.decision as { paused?: boolean } | undefined)?.paused === true
}
