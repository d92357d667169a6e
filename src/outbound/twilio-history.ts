import type {
  MessageInstance,
  MessageListInstance,
} from 'twilio/lib/rest/api/v2010/account/message.js';
import { SmsSendError, type SentSms, type SentSmsQuery } from './sms-transport.ts';

/**
 * Reads Twilio's Messages list (ListMessage) back to `query.since` and returns the texts that
 * match `query` exactly, oldest first.
 *
 * The request filters on `To` and `From` only (with `PageSize`), never on `DateSent`: Twilio's
 * OpenAPI description gives `DateSent`, `DateSent<` and `DateSent>` whole GMT days
 * (`YYYY-MM-DD`), and compares them with `date_sent`, which a message still queued or
 * accepted does not have yet; exactly the messages an interrupted attempt may have left.
 * Twilio lists newest first (its documentation: by `DateSent`, the most recent first), 50 to a
 * page by default, with `next_page_uri`; this follows `next_page_uri` (the SDK's `nextPage`)
 * until a message sent (and created) before `since` appears, so everything after it is
 * older still; messages not sent yet never end the scan (see {@link olderThan}). A message is a
 * match when its `body` equals `query.body` and its `date_created` (whole seconds, UTC) is at or
 * after `since`.
 *
 * @param messages the SDK's `client.messages`
 * @param pageSize `PageSize` of every request (Twilio: 1–1000)
 * @throws SmsSendError (`uncertain`) when `query.deadline` passes before the history is read
 * @throws whatever the SDK throws (`RestException`, network errors) on a failed request
 */
export async function readSentHistory(
  messages: MessageListInstance,
  query: SentSmsQuery,
  pageSize: number,
): Promise<SentSms[]> {
  const since = query.since.getTime();
  const found: SentSms[] = [];
  let page: HistoryPage | undefined;
  do {
    if (Date.now() >= query.deadline.getTime()) {
      throw new SmsSendError(
        `Twilio's history not read back to ${query.since.toISOString()} before the deadline`,
        false,
        null,
        true,
      );
    }
    page = page
      ? await page.nextPage()
      : await messages.page({ to: query.to, from: query.from, pageSize });
    for (const message of page?.instances ?? []) {
      if (olderThan(message, since)) return oldestFirst(found);
      const created = instant(message.dateCreated);
      if (message.body === query.body && created !== null && created >= since) {
        found.push({
          messageSid: message.sid,
          status: message.status,
          createdAt: new Date(created),
        });
      }
    }
  } while (page?.nextPageUrl);
  return oldestFirst(found);
}

/** What this reads of a list page: the SDK's `MessagePage`, or the page its `nextPage` gives. */
interface HistoryPage {
  instances: MessageInstance[];
  /** Twilio's `next_page_uri` made absolute; absent on the last page. */
  nextPageUrl?: string;
  nextPage(): Promise<HistoryPage> | undefined;
}

/**
 * Whether every message Twilio lists after `message` is older than `since` (ms): it was sent
 * before `since` (and created before it). Twilio sorts the list by `date_sent`, newest first;
 * where messages without one (queued, failed before sending) fall in that order is not
 * documented, so such a message never ends the scan: an old failed text listed first cannot
 * hide a recent one behind it.
 */
function olderThan(message: MessageInstance, since: number): boolean {
  const created = instant(message.dateCreated);
  const sent = instant(message.dateSent);
  return created !== null && created < since && sent !== null && sent < since;
}

/**
 * A date of the SDK's as ms since the epoch, or null: the SDK gives `null` for a date Twilio
 * has not set (`date_sent` while queued) and the raw string for one it could not parse.
 */
function instant(value: unknown): number | null {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.getTime() : null;
}

/** Twilio listed newest first; the caller wants the oldest first (ties keep Twilio's order reversed). */
function oldestFirst(found: SentSms[]): SentSms[] {
  return found.reverse().sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}
