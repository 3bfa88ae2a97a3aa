import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { type Notification, createNotifier, notifyOnRunFinished, runNotification } from '../../shared/services/notify.js'
import { DISCORD_LIMITS, type DiscordMessage, SLACK_LIMITS, type SlackMessage, discordMessage, slackEscape, slackMessage } from '../../shared/services/notifyFormats.js'
import { type NotificationReceiver, startNotificationReceiver } from '../setup/receiver.js'

const TX = `0x${'ab'.repeat(32)}`
const sent = runNotification(
  {
    runId: 'rebalance-2026-12-05T05-00-00Z-1a2b3c4d',
    kind: 'rebalance',
    trigger: 'schedule',
    status: 'succeeded',
    actions: [{ index: 0, description: 'setOperatorNetworkShares(op-atlas, bridge-net/0, 120 lsETH) <b>', reasons: [], status: 'mined', txHash: TX } as never],
  },
  (k) => k,
  new Date('2026-12-05T05:00:00Z'),
)!

describe('Function: slackMessage', () => {
  it('gives a header, the text as a code block with <, >, & escaped, and the run and tx hashes as context', () => {
    const m = slackMessage(sent)
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: `✅ ${sent.subject}`, emoji: true } })
    const section = (m.blocks[1] as { text: { text: string } }).text.text
    expect(section.startsWith('```') && section.endsWith('```')).toBe(true)
    expect(section).toContain('&lt;b&gt;')
    expect(section).not.toContain('<b>')
    expect(JSON.stringify(m.blocks[2])).toContain(TX)
    expect(m.text).toContain(sent.subject)
  })
  it('stays within Slack limits for a huge message', () => {
    const huge: Notification = { ...sent, subject: 'x'.repeat(500), text: 'line\n'.repeat(5000) }
    const m = slackMessage(huge)
    expect((m.blocks[0] as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header)
    expect((m.blocks[1] as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.section)
    expect((m.blocks[1] as { text: { text: string } }).text.text).toMatch(/…```$/)
  })
  it('escapes only what Slack interprets', () => {
    expect(slackEscape('a < b & c > d *bold*')).toBe('a &lt; b &amp; c &gt; d *bold*')
  })
})

describe('Function: discordMessage', () => {
  it('gives one embed coloured by kind, with mentions disabled and the tx hashes as a field', () => {
    const m = discordMessage({ ...sent, text: `${sent.text}\n@everyone` })
    expect(m.allowed_mentions).toEqual({ parse: [] })
    const e = m.embeds[0]!
    expect(e.title).toBe(`✅ ${sent.subject}`)
    expect(e.color).toBe(0x1a9850)
    expect(e.timestamp).toBe('2026-12-05T05:00:00.000Z')
    expect(e.description).toContain('setOperatorNetworkShares')
    expect(e.fields.find((f) => f.name === 'transactions (1)')?.value).toBe(`\`${TX}\``)
    expect(discordMessage({ ...sent, kind: 'failure' }).embeds[0]!.color).toBe(0xb2182b)
  })
  it('stays within Discord limits', () => {
    const e = discordMessage({ ...sent, subject: 'y'.repeat(400), text: 'z'.repeat(10_000), txHashes: Array.from({ length: 40 }, () => TX) }).embeds[0]!
    expect(e.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title)
    expect(e.description.length).toBeLessThanOrEqual(DISCORD_LIMITS.description)
    for (const f of e.fields) expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue)
  })
})

describe('createNotifier with typed targets, against a local receiver', () => {
  let slack: NotificationReceiver<SlackMessage>
  let discord: NotificationReceiver<DiscordMessage>
  let json: NotificationReceiver
  beforeAll(async () => {
    ;[slack, discord, json] = await Promise.all([startNotificationReceiver<SlackMessage>(), startNotificationReceiver<DiscordMessage>(), startNotificationReceiver()])
  })
  afterAll(async () => {
    await Promise.all([slack.close(), discord.close(), json.close()])
  })

  it('posts each target its own format, as the policy declares them', async () => {
    const policy = loadPolicyOrThrow({
      version: 1,
      notifications: {
        targets: [
          { format: 'slack', url: slack.url },
          { format: 'discord', url: discord.url },
          { format: 'json', url: json.url },
        ],
      },
    })
    const notify = createNotifier({ webhookUrls: policy.notifications.webhookUrls, targets: policy.notifications.targets })
    const report = await notify(sent)
    expect(report.failed).toEqual([])
    expect(report.delivered.map((d) => d.split(':')[0]).sort()).toEqual(['discord', 'slack', 'webhook'])
    expect(slack.received).toEqual([slackMessage(sent)])
    expect(discord.received).toEqual([discordMessage(sent)])
    expect(json.received).toEqual([sent])
  })

  it('refuses an unknown format or a non-http URL in the policy, by path', () => {
    expect(() => loadPolicyOrThrow({ version: 1, notifications: { targets: [{ format: 'teams', url: 'https://x.example' }] } })).toThrow(/notifications\.targets\[0\]\.format.*slack/s)
    expect(() => loadPolicyOrThrow({ version: 1, notifications: { targets: [{ format: 'slack', url: 'ftp://x.example' }] } })).toThrow(/notifications\.targets\[0\]\.url.*http\(s\)/s)
  })
})

describe('Function: notifyOnRunFinished', () => {
  it("adds the run's protocol notes (decision.notes, e.g. how long withdrawn EigenLayer stake stays slashable) to its notification", async () => {
    const got: Notification[] = []
    const listener = notifyOnRunFinished({ notify: async (n) => (got.push(n), { delivered: [], failed: [] }) })
    const window = 'Withdrawn stake stays slashable for 100800 blocks (≈ 14 days at 12 s/block) after it is queued, and deallocated or deregistered stake for 100800 blocks (≈ 14 days) after the change.'
    const run = { runId: 'r1', kind: 'rebalance' as const, trigger: 'webhook:x:derisk:0xab:eigenlayer', triggerKind: 'webhook' as const, startedAt: 0 }
    const actions = [{ index: 0, kind: 'eigenlayer-exit', description: 'move all of staker-a off el-op-a', reasons: [], status: 'sent' as const, txHash: TX }]
    await listener({ type: 'finished', run, fields: { status: 'succeeded', finishedAt: 1, actions, decision: { kind: 'act', notes: [window] } } })
    expect(got).toHaveLength(1)
    expect(got[0]!.text.split('\n').at(-1)).toBe(window)
    // Without notes, nothing is added.
    await listener({ type: 'finished', run, fields: { status: 'succeeded', finishedAt: 1, actions, decision: { kind: 'act' } } })
    expect(got[1]!.text).not.toContain('slashable')
  })
})
