/** The event shape the webhook function receives: API Gateway HTTP API requests (payload format 2.0). */
import * as z from 'zod/mini'
import '../../shared/zodLocale.js'
import type { WebhookRequest } from '../../shared/services/handleWebhook.js'

/** API Gateway HTTP API proxy event, payload format 2.0 (the fields we use). */
export const HttpApiEventSchema = z.looseObject({
  version: z.literal('2.0'),
  rawPath: z.optional(z.string()),
  headers: z._default(z.record(z.string(), z.string()), {}),
  body: z.optional(z.string()),
  isBase64Encoded: z._default(z.boolean(), false),
  requestContext: z.looseObject({ http: z.looseObject({ method: z.string(), path: z.optional(z.string()), sourceIp: z.optional(z.string()) }), requestId: z.optional(z.string()) }),
})

/** The transport-neutral request of an HTTP API event: lower-case header names, the raw body bytes. */
export function requestFromHttpApiEvent(e: z.output<typeof HttpApiEventSchema>): WebhookRequest {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(e.headers)) headers[k.toLowerCase()] = v
  const body = e.body === undefined ? new Uint8Array() : e.isBase64Encoded ? new Uint8Array(Buffer.from(e.body, 'base64')) : new TextEncoder().encode(e.body)
  return { method: e.requestContext.http.method, headers, body }
}
