import type { MessageListSpec } from './twilio-spec.ts';

/** Twilio's page size when a list request names none (ListMessage `PageSize`: "The default is 50"). */
export const DEFAULT_PAGE_SIZE = 50;

/** What the list needs of a stored message. */
export interface ListedMessage {
  sid: string;
  to: string;
  from: string;
  dateCreated: Date;
}

/** A list answer: a page in Twilio's `ListMessageResponse` shape, or a Twilio error. */
export type ListAnswer =
  { status: 200; body: Record<string, unknown> } | { status: 400; code: number; message: string };

const DATE_FILTERS = ['DateSent', 'DateSent<', 'DateSent>'];

/**
 * One page of `GET /2010-04-01/Accounts/{AccountSid}/Messages.json` as Twilio answers it:
 * filtered by `To` and `From`; newest first (by `date_created`, then the later-created first);
 * `PageSize` messages (default 50, at most the OpenAPI maximum, 1000); `next_page_uri`
 * carrying `PageSize`, `Page` and `PageToken=PA<sid of this page's last message>` (as in
 * Twilio's own example, so a page stays put while newer messages arrive), and
 * `previous_page_uri` with `PageToken=PB<sid of its first message>`. Without a token, `Page`
 * counts pages from the newest. A message is queued (`date_sent` null) for its first second,
 * then sent; filtering by `DateSent`, `DateSent<` or `DateSent>` is not modelled: a request
 * with one lists nothing (Leadline never sends one).
 *
 * Refused with 400: a query parameter the OpenAPI description does not list (code 21609, as the
 * fake refuses unknown POST parameters), a `PageSize` outside 1–1000, a negative or non-integer
 * `Page`, a `PageToken` naming no listed message (code 20001, Twilio's invalid parameter).
 *
 * @param stored every message, oldest first (the order the fake accepted them)
 * @param render the message resource as Twilio serialises it
 */
export function listMessages<M extends ListedMessage>(
  stored: readonly M[],
  url: URL,
  spec: MessageListSpec,
  render: (m: M) => Record<string, unknown>,
): ListAnswer {
  const query = url.searchParams;
  const unknown = [...query.keys()].filter((k) => !spec.known.has(k));
  if (unknown.length)
    return { status: 400, code: 21609, message: `Unknown parameters: ${unknown.join(', ')}` };
  const pageSize = wholeNumber(query.get('PageSize'), DEFAULT_PAGE_SIZE);
  if (pageSize === undefined || pageSize < 1 || pageSize > spec.maxPageSize)
    return invalid(`PageSize must be between 1 and ${spec.maxPageSize}`);
  const page = wholeNumber(query.get('Page'), 0);
  if (page === undefined) return invalid('Page must be a whole number');

  const to = query.get('To');
  const from = query.get('From');
  const dated = DATE_FILTERS.some((name) => query.has(name));
  const listed = stored
    .map((m, order) => ({ m, order }))
    .filter(({ m }) => !dated && (!to || m.to === to) && (!from || m.from === from))
    .sort((a, b) => b.m.dateCreated.getTime() - a.m.dateCreated.getTime() || b.order - a.order)
    .map(({ m }) => m);

  const token = query.get('PageToken');
  let offset = page * pageSize;
  if (token) {
    const at = listed.findIndex((m) => m.sid === token.slice(2));
    if (at < 0 || !/^P[AB]/.test(token)) return invalid(`PageToken ${token} is not valid`);
    offset = token.startsWith('PA') ? at + 1 : Math.max(0, at - pageSize);
  }
  const messages = listed.slice(offset, offset + pageSize);
  const last = messages.at(-1);
  const first = messages[0];
  const start = page * pageSize;
  return {
    status: 200,
    body: {
      messages: messages.map(render),
      start,
      end: messages.length ? start + messages.length - 1 : start,
      page,
      page_size: pageSize,
      uri: url.pathname + url.search,
      first_page_uri: pageUri(url, pageSize, 0),
      next_page_uri:
        last && offset + messages.length < listed.length
          ? pageUri(url, pageSize, page + 1, `PA${last.sid}`)
          : null,
      previous_page_uri:
        first && page > 0 ? pageUri(url, pageSize, page - 1, `PB${first.sid}`) : null,
    },
  };
}

const invalid = (message: string): ListAnswer => ({ status: 400, code: 20001, message });

/** `value` as a whole number ≥ 0, `fallback` when absent, undefined when malformed. */
function wholeNumber(value: string | null, fallback: number): number | undefined {
  if (value === null) return fallback;
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/** The list URI with the request's filters and this page's `PageSize`, `Page`, `PageToken`. */
function pageUri(url: URL, pageSize: number, page: number, token?: string): string {
  const params = new URLSearchParams(
    [...url.searchParams].filter(([k]) => !['PageSize', 'Page', 'PageToken'].includes(k)),
  );
  params.set('PageSize', String(pageSize));
  params.set('Page', String(page));
  if (token) params.set('PageToken', token);
  return `${url.pathname}?${params}`;
}
