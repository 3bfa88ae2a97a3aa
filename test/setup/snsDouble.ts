/**
 * A test double for Amazon SNS at the SDK boundary (SNS has no local equivalent): an HTTP server on a free
 * loopback port that answers the AWS Query `Publish` action the way SNS does and records each message. Point
 * a real `@aws-sdk/client-sns` client at it with `AWS_ENDPOINT_URL_SNS=<url>` (or `endpoint`).
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One message published to the double. */
export interface PublishedMessage {
  topicArn: string
  message: string
  messageId: string
}

/** A running SNS double. */
export interface SnsDouble {
  url: string
  published: PublishedMessage[]
  stop: () => Promise<void>
}

/** Starts the double; any action but Publish, or a Publish without TopicArn/Message, is answered 400 as SNS would. */
export async function startSnsDouble(): Promise<SnsDouble> {
  const published: PublishedMessage[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
      const requestId = randomUUID()
      const topicArn = form.get('TopicArn')
      const message = form.get('Message')
      res.setHeader('content-type', 'text/xml')
      if (form.get('Action') !== 'Publish' || !topicArn || message === null) {
        res.statusCode = 400
        res.end(
          `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>only Publish with TopicArn and Message is implemented</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        )
        return
      }
      const messageId = randomUUID()
      published.push({ topicArn, message, messageId })
      res.end(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, published, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}
