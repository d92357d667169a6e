import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where Twilio's OpenAPI description lives: `../shared/twilio-oai/` beside the checkout. */
export const TWILIO_OAI_PATH =
  process.env.TWILIO_OAI_PATH ??
  path.resolve(here, '../../../shared/twilio-oai/twilio_api_v2010.json');

/** The form parameters Twilio documents for `POST …/Messages.json`. */
export interface MessageCreateSpec {
  known: Set<string>;
  required: string[];
  /** Statuses a Message resource may have (`message_enum_status`). */
  statuses: string[];
}

/**
 * Reads the Messages-create request body from Twilio's own OpenAPI file.
 * @throws Error naming the path when the file is missing, so no test silently checks nothing.
 */
export function loadMessageCreateSpec(): MessageCreateSpec {
  if (!existsSync(TWILIO_OAI_PATH)) {
    throw new Error(
      `Twilio's OpenAPI description not found at ${TWILIO_OAI_PATH} (set TWILIO_OAI_PATH)`,
    );
  }
  const doc = JSON.parse(readFileSync(TWILIO_OAI_PATH, 'utf8'));
  const post = doc.paths['/2010-04-01/Accounts/{AccountSid}/Messages.json'].post;
  const schema = post.requestBody.content['application/x-www-form-urlencoded'].schema;
  return {
    known: new Set(Object.keys(schema.properties)),
    required: schema.required ?? [],
    statuses: doc.components.schemas.message_enum_status.enum,
  };
}
