/** A local HTTP receiver for the bot's outbound notification webhooks: records every JSON body it gets (free loopback port). */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Notification } from '../../shared/services/notify.js'

/** A running receiver: its URL, what it received (the JSON bodies: a Notification, or a Slack / Discord message), and how to stop it. */
export interface NotificationReceiver<T = Notification> {
  url: string
  received: T[]
  close: () => Promise<void>
}

/** Starts a receiver that answers 204 to each POST and keeps the parsed body. */
export async function startNotificationReceiver<T = Notification>(): Promise<NotificationReceiver<T>> {
  const received: T[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      received.push(JSON.parse(body) as T)
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}
