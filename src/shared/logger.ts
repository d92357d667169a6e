import { pino, type Logger } from 'pino';
import { maskPhone, maskPhonesIn } from './phone.ts';

export type { Logger } from 'pino';

const PHONE_KEYS = ['from', 'to', 'phone', 'From', 'To', 'ownerPhone', 'caller'];
const SECRET_KEYS = ['body', 'Body', 'authorization', 'x-twilio-signature', 'authToken', 'apiKey'];

/** Every log path that carries a phone number or a secret, at the top level or one level down. */
const REDACTED_PATHS = [...PHONE_KEYS, ...SECRET_KEYS].flatMap((key) => [key, `*.${key}`]);

/**
 * Censors one redacted value: phone numbers are masked (`+1*******23`), message bodies,
 * keys and signatures are replaced whole. Compliance: a log is not an audit store, and
 * a customer's words and number must not leak into it.
 */
function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (PHONE_KEYS.includes(key) && typeof value === 'string') return maskPhone(value);
  return '[redacted]';
}

/**
 * The process logger: pino JSON on stdout, level from `level` (`LOG_LEVEL`).
 * Phone numbers are masked and message bodies, API keys and signatures redacted
 * wherever they appear as `from`, `to`, `phone`, `body`, … (see {@link REDACTED_PATHS}).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'leadline' },
      redact: { paths: REDACTED_PATHS, censor },
      // Free text can quote a number too (Twilio's error messages do): mask it in messages
      // and in serialised errors.
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? maskPhonesIn(arg) : arg)) as Parameters<
              typeof method
            >,
          );
        },
      },
      serializers: {
        err: (error: Error) => {
          const serialised = pino.stdSerializers.err(error);
          serialised.message = maskPhonesIn(serialised.message);
          if (serialised.stack) serialised.stack = maskPhonesIn(serialised.stack);
          return serialised;
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** A logger that discards everything, for tests and one-shot CLI commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
