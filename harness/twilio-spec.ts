import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where Twilio's OpenAPI description lives: `../shared/twilio-oai/` beside the checkout. */
export const TWILIO_OAI_PATH =
  process.env.TWILIO_OAI_PATH ??
  path.resolve(here, '../../shared/twilio-oai/twilio_api_v2010.json');

const MESSAGES_PATH = '/2010-04-01/Accounts/{AccountSid}/Messages.json';

/** The form parameters Twilio documents for `POST …/Messages.json`. */
export interface MessageCreateSpec {
  known: Set<string>;
  required: string[];
  /** Statuses a Message resource may have (`message_enum_status`). */
  statuses: string[];
}

/** The query parameters Twilio documents for `GET …/Messages.json` (operation ListMessage). */
export interface MessageListSpec {
  /** `To`, `From`, `DateSent`, `DateSent<`, `DateSent>`, `PageSize`, `Page`, `PageToken`. */
  known: Set<string>;
  /** The largest `PageSize` Twilio accepts (the schema's `maximum`: 1000). */
  maxPageSize: number;
}

/**
 * Twilio's OpenAPI description, parsed.
 * @throws Error naming the path when the file is missing, so no test silently checks nothing.
 */
function readTwilioOai() {
  if (!existsSync(TWILIO_OAI_PATH)) {
    throw new Error(
      `Twilio's OpenAPI description not found at ${TWILIO_OAI_PATH} (set TWILIO_OAI_PATH)`,
    );
  }
  return JSON.parse(readFileSync(TWILIO_OAI_PATH, 'utf8'));
}

/**
 * Reads the Messages-create request body from Twilio's own OpenAPI file.
 * @throws Error naming the path when the file is missing.
 */
export function loadMessageCreateSpec(): MessageCreateSpec {
  const doc = readTwilioOai();
  const post = doc.paths[MESSAGES_PATH].post;
  const schema = post.requestBody.content['application/x-www-form-urlencoded'].schema;
  return {
    known: new Set(Object.keys(schema.properties)),
    required: schema.required ?? [],
    statuses: doc.components.schemas.message_enum_status.enum,
  };
}

/**
 * Reads the Messages-list query parameters from Twilio's own OpenAPI file.
 * @throws Error naming the path when the file is missing, or when it has no `PageSize` maximum.
 */
export function loadMessageListSpec(): MessageListSpec {
  const parameters: Array<{ name: string; in: string; schema?: { maximum?: number } }> =
    readTwilioOai().paths[MESSAGES_PATH].get.parameters;
  const query = parameters.filter((p) => p.in === 'query');
  const maxPageSize = query.find((p) => p.name === 'PageSize')?.schema?.maximum;
  if (!maxPageSize) throw new Error(`no PageSize maximum for ListMessage in ${TWILIO_OAI_PATH}`);
  return { known: new Set(query.map((p) => p.name)), maxPageSize };
}

const CALLS_PATH = '/2010-04-01/Accounts/{AccountSid}/Calls.json';

/** The form parameters Twilio documents for `POST …/Calls.json` (operation CreateCall). */
export interface CallCreateSpec {
  known: Set<string>;
  /** `To`, `From`. */
  required: string[];
  /** `Twiml`'s documented maximum length (4,000 characters, from its description). */
  maxTwiml: number;
}

/**
 * Reads the Calls-create request body from Twilio's own OpenAPI file.
 * @throws Error naming the path when the file is missing.
 */
export function loadCallCreateSpec(): CallCreateSpec {
  const schema =
    readTwilioOai().paths[CALLS_PATH].post.requestBody.content['application/x-www-form-urlencoded']
      .schema;
  const max = /Max (\d+) characters/.exec(schema.properties.Twiml?.description ?? '')?.[1];
  return {
    known: new Set(Object.keys(schema.properties)),
    required: schema.required ?? [],
    maxTwiml: Number(max ?? 4000),
  };
}
