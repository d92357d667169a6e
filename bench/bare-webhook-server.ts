/**
 * The ceiling `bench/ingest.ts` measures Leadline against, as a process of its own (so it does
 * not share an event loop with the load generator): bare Fastify with `@fastify/formbody`,
 * Twilio's `validateRequest` over `POST /twilio/sms`, and a constant empty TwiML answer.
 * Run by the bench: `tsx bench/bare-webhook-server.ts <port> <authToken>`; prints `ready`.
 */
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import twilio from 'twilio';

const [port, authToken] = [Number(process.argv[2]), process.argv[3] ?? ''];
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

const app = Fastify({ logger: false });
await app.register(formbody);
app.post('/twilio/sms', async (request, reply) => {
  const ok = twilio.validateRequest(
    authToken,
    String(request.headers['x-twilio-signature'] ?? ''),
    `http://127.0.0.1:${port}/twilio/sms`,
    request.body as Record<string, string>,
  );
  if (!ok) return reply.code(403).send();
  return reply.type('text/xml; charset=utf-8').send(EMPTY_TWIML);
});
await app.listen({ port, host: '127.0.0.1' });
console.log('ready');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
