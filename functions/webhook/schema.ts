/** Event shapes the webhook function receives: API Gateway HTTP API (payload v2) requests, and SNS deliveries of queued jobs. */
import * as z from 'zod'
import type { WebhookRequest } from '../../shared/services/handleWebhook.js'

/** API Gateway HTTP API proxy event, payload format 2.0 (the fields we use). */
export const HttpApiEventSchema = z
  .object({
    version: z.literal('2.0'),
    rawPath: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    isBase64Encoded: z.boolean().default(false),
    requestContext: z.object({ http: z.object({ method: z.string(), path: z.string().optional(), sourceIp: z.string().optional() }).loose(), requestId: z.string().optional() }).loose(),
  })
  .loose()

/** SNS → Lambda delivery of a job published by the webhook itself (the jobs topic). */
export const SnsJobsEventSchema = z
  .object({
    Records: z
      .array(z.object({ EventSource: z.literal('aws:sns'), Sns: z.object({ Message: z.string(), TopicArn: z.string(), MessageId: z.string().optional() }).loose() }).loose())
      .min(1),
  })
  .loose()

/** Either an HTTP request or a batch of queued jobs. */
export const WebhookFunctionEventSchema = z.union([
  HttpApiEventSchema.transform((event) => ({ kind: 'http' as const, event })),
  SnsJobsEventSchema.transform((event) => ({ kind: 'jobs' as const, event })),
])

/** The transport-neutral request of an HTTP API event: lower-case header names, the raw body bytes. */
export function requestFromHttpApiEvent(e: z.output<typeof HttpApiEventSchema>): WebhookRequest {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(e.headers)) headers[k.toLowerCase()] = v
  const body = e.body === undefined ? new Uint8Array() : e.isBase64Encoded ? new Uint8Array(Buffer.from(e.body, 'base64')) : new TextEncoder().encode(e.body)
  return { method: e.requestContext.http.method, headers, body }
}
