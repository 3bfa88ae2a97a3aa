/**
 * Notification formats for outbound webhooks, pure (no I/O): the generic JSON body (the {@link Notification} itself),
 * a Slack incoming-webhook message (Block Kit) and a Discord webhook message (one embed). Each respects its
 * platform's size limits (cut with "…", never rejected) and escapes what the platform would interpret: Slack's
 * `&`, `<`, `>`; Discord mentions are disabled (`allowed_mentions.parse = []`).
 */
/** What a notification is about. */
export type NotificationKind = 'plan' | 'sent' | 'failure' | 'slash' | 'control'

/** Stake that stays slashable after it was removed, and until when. */
export interface ResidualExposureNote {
  service: string
  operator: string
  /** Collateral wei, decimal string. */
  stake: string
  /** Unix seconds. */
  until: number
  /** The same as ISO-8601 UTC. */
  untilIso: string
}

/** One notification, as sent to every sink (webhooks receive this object as JSON). */
export interface Notification {
  kind: NotificationKind
  /** One line, ≤ 100 characters (SNS e-mail subject). */
  subject: string
  /** The full message for people, several lines. */
  text: string
  /** ISO-8601 time the notification was made. */
  at: string
  runId?: string
  operator?: string
  service?: string
  txHashes: string[]
  residualExposure?: ResidualExposureNote[]
}

/** Formats an outbound webhook target can take. */
export type NotificationFormat = 'json' | 'slack' | 'discord'

/** One typed webhook target (policy `notifications.targets[]`). */
export interface NotificationTarget {
  format: NotificationFormat
  url: string
}

/** Slack limits: header text 150, section text 3 000, fallback text 40 000 characters. */
export const SLACK_LIMITS = { header: 150, section: 3000, text: 40_000 } as const
/** Discord limits: embed title 256, description 4 096, field name 256, value 1 024, 25 fields, content 2 000. */
export const DISCORD_LIMITS = { title: 256, description: 4096, fieldName: 256, fieldValue: 1024, fields: 25 } as const

/** Colour per kind (Discord embed colour, Slack has none in Block Kit). */
const KIND_COLORS: Record<NotificationKind, number> = { sent: 0x1a9850, plan: 0x0072b2, failure: 0xb2182b, slash: 0xd55e00, control: 0x8c6bb1 }
const KIND_ICONS: Record<NotificationKind, string> = { sent: '✅', plan: '📝', failure: '❌', slash: '⚠️', control: '⏯️' }

/** A Slack incoming-webhook message. */
export interface SlackMessage {
  /** Fallback text (notifications, screen readers). */
  text: string
  blocks: ({ type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } } | { type: 'section'; text: { type: 'mrkdwn'; text: string } } | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] })[]
}

/** A Discord webhook message with one embed. */
export interface DiscordMessage {
  username: string
  allowed_mentions: { parse: [] }
  embeds: { title: string; description: string; color: number; timestamp: string; fields: { name: string; value: string; inline?: boolean }[]; footer: { text: string } }[]
}

/** Cuts `s` to `max` characters, ending with "…" when cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`
}

/** Escapes the three characters Slack's mrkdwn interprets. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Slack message of a notification: a header (kind and subject), the text as a code block, and run id / tx hashes as context. */
export function slackMessage(n: Notification): SlackMessage {
  const head = truncate(`${KIND_ICONS[n.kind]} ${n.subject}`, SLACK_LIMITS.header)
  // A code block keeps the aligned lines; the fence takes 8 characters of the section's limit.
  const body = `\`\`\`${truncate(slackEscape(n.text), SLACK_LIMITS.section - 8)}\`\`\``
  const context = [`*${n.kind}*`, n.at, ...(n.runId ? [`run \`${slackEscape(n.runId)}\``] : []), ...(n.txHashes.length ? [`${n.txHashes.length} tx: ${n.txHashes.map((h) => `\`${h}\``).join(' ')}`] : [])]
  return {
    text: truncate(`${n.subject}\n${n.text}`, SLACK_LIMITS.text),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: head, emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: body } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(context.join(' · '), SLACK_LIMITS.section) }] },
    ],
  }
}

/** Discord message of a notification: one embed coloured by kind, the text as a code block, run id and tx hashes as fields. */
export function discordMessage(n: Notification): DiscordMessage {
  const fields: DiscordMessage['embeds'][number]['fields'] = []
  if (n.runId) fields.push({ name: 'run', value: truncate(`\`${n.runId}\``, DISCORD_LIMITS.fieldValue), inline: true })
  if (n.operator) fields.push({ name: 'operator', value: truncate(`\`${n.operator}\``, DISCORD_LIMITS.fieldValue), inline: true })
  if (n.service) fields.push({ name: 'service', value: truncate(`\`${n.service}\``, DISCORD_LIMITS.fieldValue), inline: true })
  if (n.txHashes.length) fields.push({ name: `transactions (${n.txHashes.length})`, value: truncate(n.txHashes.map((h) => `\`${h}\``).join('\n'), DISCORD_LIMITS.fieldValue) })
  return {
    username: 'restake-autopilot',
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: truncate(`${KIND_ICONS[n.kind]} ${n.subject}`, DISCORD_LIMITS.title),
        description: `\`\`\`\n${truncate(n.text.replace(/```/g, "'''"), DISCORD_LIMITS.description - 8)}\n\`\`\``,
        color: KIND_COLORS[n.kind],
        timestamp: n.at,
        fields: fields.slice(0, DISCORD_LIMITS.fields),
        footer: { text: n.kind },
      },
    ],
  }
}

/** The body posted to a target of `format`: the notification itself for `json`, else the platform's message. */
export function notificationBody(format: NotificationFormat, n: Notification): Notification | SlackMessage | DiscordMessage {
  if (format === 'slack') return slackMessage(n)
  if (format === 'discord') return discordMessage(n)
  return n
}
