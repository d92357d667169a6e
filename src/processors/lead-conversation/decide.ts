import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { OutboundIntent } from '../../outbound/intent.ts';
import { countMedia } from '../../rules/media.ts';
import { copy } from '../../rules/message-copy.ts';
import { LANDLINE } from '../../rules/message-status.ts';
import { classifyReviewReply } from '../../rules/review-reply.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import type { TimerRequest } from '../timers/timers.ts';
import type { CallIntent } from '../../outbound/call-queue.ts';
import { leadRef } from '../../rules/lead-ref.ts';
import { isTakenOver, type LeadState, type PendingAlert } from './state.ts';
import { assistantCopy, qualifiedAlert, qualificationSummary } from '../../rules/message-copy.ts';
import { detectLanguage } from '../../qualification/language.ts';
import { CONVERSATION_QUIET_MS, type Language } from '../../qualification/model.ts';
import type { QualificationRequest } from '../../qualification/request-queue.ts';
import {
  assessed,
  openConversation,
  qualificationRequest,
  questionAfter,
  summaryOf,
  withTurn,
  type QualificationState,
} from './qualification.ts';

/** A caller who calls again within this many ms of a missed-call text is not texted again. */
export const REPEAT_CALL_WINDOW_MS = 10 * 60_000;

/**
 * A caller at the after-hours emergency menu who has neither pressed a key nor been heard of
 * this many ms after the call came in hung up there: they get the after-hours text.
 */
export const EMERGENCY_MENU_TIMEOUT_MS = 2 * 60_000;

/**
 * The one confirmation of an opt-out goes within this many ms of the request or not at all
 * (FCC 24-24, 47 CFR 64.1200(a)(12): a one-time confirmation within five minutes).
 */
export const OPT_OUT_CONFIRMATION_WITHIN_MS = 5 * 60_000;

/** Failed texts the owner need not hear about: confirmations and HELP answers. */
const SILENT_FAILURES = new Set(['opt-out-confirmation', 'opt-in-confirmation', 'help']);

/** A customer's reply this many ms after a review request no longer answers it. */
export const REVIEW_REPLY_WINDOW_MS = 7 * 24 * 60 * 60_000;

/**
 * One acknowledgement per conversation: a lead's texts within this many ms of the last
 * acknowledgement are not acknowledged again (the owner is still alerted of each).
 */
export const CONVERSATION_WINDOW_MS = 12 * 60 * 60_000;

const within = (since: string | undefined, now: string, ms: number) =>
  since !== undefined && Date.parse(now) - Date.parse(since) < ms;

/** The decision for one event: texts to send, timers to set, the owner-alert batch. */
export interface LeadDecision {
  intents: OutboundIntent[];
  timers: TimerRequest[];
  /** The lead's texts now waiting for an owner alert; null: none; absent: unchanged. */
  pendingAlert?: PendingAlert | null;
  /** True when this event answered the pending review request. */
  reviewAnswered?: boolean;
  /** The missed-call text now held for the takeover window; null: none any more; absent: unchanged. */
  pendingMissedCallText?: LeadState['pendingMissedCallText'] | null;
  /** True when the lead wrote after a takeover had gone quiet: automation is back. */
  takeoverLapsed?: boolean;
  /** Calls to place (call-backs through the business number); absent: none. */
  calls?: CallIntent[];
  /** A missed call's owner alert, held for its voicemail's transcript (`voicemail-wait`). */
  holdAlert?: { callSid: string; body: string };
  /** The `CallSid` whose held alert this decision sent. */
  releaseAlert?: string;
  /** The lead's text to have a qualification engine read (issue 16); absent: none. */
  qualify?: QualificationRequest;
  /** The qualifying conversation from now on; absent: unchanged. */
  qualification?: QualificationState;
  /** True when this decision told the lead they are outside the service area. */
  outsideAreaTold?: boolean;
}

const nothing: LeadDecision = { intents: [], timers: [] };
const only = (intents: OutboundIntent[]): LeadDecision => ({ intents, timers: [] });

/**
 * Decides what to send in answer to one event of a lead's stream (pure: state before the
 * event, the event, the tenant). The rules (design §7):
 *
 * - After hours with emergency mode: the caller's choice decides. No key (or hanging up at
 *   the menu, noticed by a 2-minute timer) is an after-hours missed call; 1 rings the on-call
 *   phone, and if that misses too, the caller gets an apology text and the owner an
 *   EMERGENCY alert at once.
 * - Missed call (`DialMissed`, or a `CallReceived` after hours): one text to the caller
 *   (unless opted out, or already texted about a call in the last 10 minutes: one lead, one
 *   text) and one alert to the owner, keyed by `CallSid`. Never for a call already answered,
 *   whatever order callbacks arrive in. The first text a number ever gets adds
 *   "Msg & data rates may apply" (CTIA).
 * - Opt-out (keyword or own words): one confirmation, only on the change from subscribed,
 *   sent within 5 minutes or not at all (texts already queued are withheld by the sender's
 *   send-time consent check). None when
 *   Twilio's Advanced Opt-Out already replied (`OptOutType`).
 * - Opt-in keyword after an opt-out: one confirmation (unless Twilio replied).
 * - HELP: the business name, contact and how to opt out (unless Twilio replied).
 * - Automatic replies (driving mode, out of office): nothing, so machines cannot loop.
 * - Review request (owner, after a job): one text asking how it went. The customer's next
 *   reply within 7 days that reads as good (a YES included: the lead is subscribed, so the
 *   carrier meaning of YES changes nothing) gets the review link, or thanks when there is
 *   none; one that reads as bad gets an apology and the owner an URGENT alert. A YES from
 *   an opted-out lead is the carrier opt-in keyword, never a review; a YES with no pending
 *   request is an ordinary message.
 * - Any other text: with the qualifying assistant on (`qualifyingQuestions` > 0, no opt-out,
 *   no takeover, not yet qualified), a request to read the conversation (`qualify`); the
 *   recorded reading (`QualificationAssessed`) then decides one question, and `LeadQualified`
 *   the thanks (or the outside-area text) and the owner's summary (`./qualification.ts`).
 *   Otherwise one acknowledgement per conversation window (12 h, unless opted out). Either way
 *   an owner alert headed EMERGENCY or STANDARD, mentioning photos, videos and files. STANDARD texts are
 *   grouped: the alert waits for the tenant's debounce window (default 30 s) after the last
 *   text, but no longer than its maximum wait (default 5 min) after the first, on a durable
 *   timer (`TimerElapsed`); an EMERGENCY goes at once, taking any waiting texts with it.
 * - A text to the customer that failed for good (every retry spent, or refused): one owner
 *   alert per conversation window, naming the error, so they call instead.
 * - A missed-call text that bounced as a landline (30006): one owner alert to call back;
 *   numbers that cannot take texts (30003/30005/30006) are not texted again.
 */
export function decide(
  state: LeadState,
  event: RecordedLeadlineEvent,
  tenant: Tenant,
): LeadDecision {
  const decision = decideEvent(state, event, tenant);
  // A lead's text after the takeover went quiet hands the conversation back to automation.
  if (
    event.type === 'SmsInbound' &&
    state.takeover !== undefined &&
    !isTakenOver(state, event.occurredAt, tenant.takeoverQuietHours)
  ) {
    return { ...decision, takeoverLapsed: true };
  }
  return decision;
}

function decideEvent(state: LeadState, event: RecordedLeadlineEvent, tenant: Tenant): LeadDecision {
  const phone = leadPhoneOf(event);
  // Only alerts and relay refusals carry it: hashed when one is written, not for every event.
  const ref = () => leadRef(tenant.tenantId, phone);
  // The lead's language: the one this text is written in, else the last they wrote in, else
  // the tenant's.
  const lang: Language =
    (event.type === 'SmsInbound' ? detectLanguage(event.data.body) : null) ??
    state.language ??
    tenant.language;
  // Human takeover: no automatic text to the lead while a staff member has the conversation.
  const takenOver = isTakenOver(state, event.occurredAt, tenant.takeoverQuietHours);
  const toLead = (key: string, purpose: string, body: string, consentExempt = false) => ({
    dedupeKey: key,
    audience: 'lead' as const,
    purpose,
    to: leadPhoneOf(event),
    from: tenant.twilioNumber,
    body,
    consentExempt,
  });
  // Every alert about the lead carries its reference: a staff reply to it reaches the lead.
  const toOwner = (key: string, body: string) => ({
    dedupeKey: key,
    audience: 'owner' as const,
    purpose: 'owner-alert',
    to: tenant.ownerPhone,
    from: tenant.twilioNumber,
    body: `${body} ${copy.replyHint(ref())}`,
    consentExempt: true,
  });
  const toStaff = (staffPhone: string, key: string, purpose: string, body: string) => ({
    dedupeKey: key,
    audience: 'owner' as const,
    purpose,
    to: staffPhone,
    from: tenant.twilioNumber,
    body,
    consentExempt: true,
  });

  const missedCall = (
    callSid: string,
    caller: string,
    reason: string,
    emergency = false,
    voicemailOffered = false,
  ): LeadDecision => {
    if (state.calls[callSid] === 'answered' || state.calls[callSid] === 'missed') return nothing;
    const at = new Date(event.occurredAt);
    const intents: OutboundIntent[] = [];
    const repeat = within(state.lastMissedCallTextAt, event.occurredAt, REPEAT_CALL_WINDOW_MS);
    const reachable = !state.optedOut && !state.unreachable;
    const firstEver = state.lastTextedAt === undefined;
    // An emergency the on-call phone missed is always answered with a text, repeat or not.
    const wouldText = reachable && (emergency || !repeat);
    const hold = wouldText && !takenOver && !emergency && tenant.takeoverWindowSeconds > 0;
    const timers: TimerRequest[] = [];
    let pendingMissedCallText: LeadDecision['pendingMissedCallText'];
    if (hold) {
      // The takeover window: a staff reply or call-back before it ends replaces the text.
      const dueAt = new Date(at.getTime() + tenant.takeoverWindowSeconds * 1000).toISOString();
      timers.push({
        timerId: `missed-call-text:${event.streamId}:${callSid}`,
        kind: 'missed-call-text',
        key: callSid,
        dueAt,
      });
      pendingMissedCallText = { callSid, dueAt };
    } else if (wouldText && !takenOver) {
      intents.push(
        toLead(
          `${callSid}:missed-call-text`,
          'missed-call-text',
          emergency
            ? copy.emergencyUnansweredText(tenant, firstEver, lang)
            : copy.missedCallText(tenant, firstEver, lang),
        ),
      );
    }
    if (emergency) {
      intents.push(
        toOwner(`${callSid}:emergency-alert`, copy.emergencyUnansweredAlert(tenant, caller, at)),
      );
      return { intents, timers };
    }
    const alert = copy.missedCallAlert(
      tenant,
      caller,
      at,
      state.optedOut
        ? 'opted-out'
        : state.unreachable
          ? 'unreachable'
          : repeat
            ? 'repeat'
            : takenOver
              ? 'taken-over'
              : hold
                ? 'held'
                : 'texted',
      reason,
    );
    const decision: LeadDecision = pendingMissedCallText
      ? { intents, timers, pendingMissedCallText }
      : { intents, timers };
    if (voicemailOffered && tenant.voicemail && tenant.voicemailWaitSeconds > 0) {
      // The caller may be leaving a voicemail: the alert waits for its transcript, at most
      // the tenant's wait, on a durable timer.
      timers.push({
        timerId: `voicemail-wait:${event.streamId}:${callSid}`,
        kind: 'voicemail-wait',
        key: callSid,
        dueAt: new Date(at.getTime() + tenant.voicemailWaitSeconds * 1000).toISOString(),
      });
      return { ...decision, holdAlert: { callSid, body: alert } };
    }
    intents.push(toOwner(`${callSid}:owner-alert`, alert));
    return decision;
  };

  /** The held alert of `callSid`, sent now with what is known of its voicemail. */
  const releaseAlert = (callSid: string, voicemail: string): LeadDecision => {
    const held = state.heldAlerts?.[callSid];
    if (!held) return nothing;
    return {
      intents: [toOwner(`${callSid}:owner-alert`, `${held.body} ${voicemail}`.trim())],
      timers: [],
      releaseAlert: callSid,
    };
  };

  switch (event.type) {
    case 'CallReceived':
      if (state.calls[event.data.callSid]) return nothing; // a repeat of this call
      if (event.data.action === 'emergency-menu') {
        // A caller who hangs up at the menu is still an after-hours lead.
        return {
          intents: [],
          timers: [
            {
              timerId: `emergency-menu-timeout:${event.data.callSid}`,
              kind: 'emergency-menu-timeout',
              key: event.data.callSid,
              dueAt: new Date(
                Date.parse(event.occurredAt) + EMERGENCY_MENU_TIMEOUT_MS,
              ).toISOString(),
            },
          ],
        };
      }
      if (event.data.action !== 'after-hours-notice') return nothing;
      return missedCall(event.data.callSid, event.data.from, 'after hours', false, true);
    case 'EmergencyDeclined':
      if (state.calls[event.data.callSid] !== 'menu') return nothing;
      return missedCall(event.data.callSid, leadPhoneOf(event), 'after hours');
    case 'DialMissed':
      if (event.data.leg === 'on-call') {
        return missedCall(event.data.callSid, leadPhoneOf(event), 'on-call missed', true);
      }
      return missedCall(
        event.data.callSid,
        leadPhoneOf(event),
        event.data.reason === 'likely-voicemail'
          ? 'your voicemail picked up'
          : event.data.reason === 'not-screened-in'
            ? 'nobody pressed 1 to take it'
            : event.data.dialCallStatus,
        false,
        true,
      );
    case 'SmsInbound': {
      const { messageSid, body, keyword, from, optOutType, autoReply, urgency, media } = event.data;
      const twilioReplied = Boolean(optOutType); // Advanced Opt-Out answered it already
      if (keyword === 'opt-out') {
        if (state.optedOut || twilioReplied) return nothing;
        return only([
          {
            ...toLead(
              `${messageSid}:opt-out-confirmation`,
              'opt-out-confirmation',
              copy.optOutConfirmation(tenant, lang),
              true,
            ),
            sendWithinMs: OPT_OUT_CONFIRMATION_WITHIN_MS,
          },
        ]);
      }
      if (keyword === 'opt-in' && twilioReplied) return nothing;
      if (keyword === 'opt-in' && state.optedOut) {
        return only([
          toLead(
            `${messageSid}:opt-in-confirmation`,
            'opt-in-confirmation',
            copy.optInConfirmation(tenant, lang),
            true,
          ),
        ]);
      }
      if (keyword === 'help' && twilioReplied) return nothing;
      if (keyword === 'help') {
        return only([toLead(`${messageSid}:help`, 'help', copy.help(tenant, lang), true)]);
      }
      if (autoReply) return nothing;
      const review = state.pendingReview;
      const verdict =
        review && within(review.at, event.occurredAt, REVIEW_REPLY_WINDOW_MS)
          ? classifyReviewReply(body)
          : null;
      if (review && verdict === 'good') {
        return {
          intents: [
            toLead(
              `${review.requestId}:review-reply`,
              'review-reply',
              copy.reviewThanks(tenant, lang),
            ),
          ],
          timers: [],
          reviewAnswered: true,
        };
      }
      if (review && verdict === 'bad') {
        return {
          intents: [
            toLead(
              `${review.requestId}:review-reply`,
              'review-reply',
              copy.reviewApology(tenant, lang),
            ),
            toOwner(`${review.requestId}:bad-review-alert`, copy.badReviewAlert(from, body)),
          ],
          timers: [],
          reviewAnswered: true,
        };
      }
      const intents: OutboundIntent[] = [];
      const emergency = (urgency ?? 'STANDARD') === 'EMERGENCY';
      // The qualifying assistant reads every text of an open conversation (issue 16); it
      // answers with a question or its thanks, unless the lead opted out, a person took
      // over, or it is an emergency (which escalates as before and asks nothing).
      const open = openConversation(state.qualification, event.occurredAt);
      const assisting =
        tenant.qualifyingQuestions > 0 &&
        !state.optedOut &&
        !takenOver &&
        !open.qualified &&
        !open.emergency;
      let qualifying: Pick<LeadDecision, 'qualify' | 'qualification'> = {};
      if (assisting) {
        const conversation: QualificationState = {
          ...withTurn(open, { from: 'lead', text: body }, event.occurredAt),
          requestId: messageSid,
          ...(emergency ? { emergency: true } : {}),
        };
        qualifying = {
          qualification: conversation,
          qualify: qualificationRequest(conversation, event, tenant, lang, emergency),
        };
      }
      const assistantAnswers = assisting && !emergency;
      const acknowledged = within(
        state.lastAcknowledgedAt,
        event.occurredAt,
        CONVERSATION_WINDOW_MS,
      );
      if (!state.optedOut && !acknowledged && !takenOver && !assistantAnswers) {
        intents.push(
          toLead(
            `${messageSid}:acknowledgement`,
            'acknowledgement',
            copy.acknowledgement(tenant, lang),
          ),
        );
      }
      const text = { messageSid, body, ...countMedia(media) };
      const waiting = state.pendingAlert?.texts ?? [];
      if (emergency || tenant.alertDebounceSeconds === 0) {
        // Never delayed; texts already waiting go with it rather than in a later alert.
        intents.push(
          toOwner(
            `${messageSid}:owner-alert`,
            copy.messageAlert(from, [...waiting, text], {
              optedOut: state.optedOut,
              urgency: urgency ?? 'STANDARD',
              summary: summaryOf(state.qualification),
            }),
          ),
        );
        return { intents, timers: [], pendingAlert: null, ...qualifying };
      }
      const now = Date.parse(event.occurredAt);
      const firstAt = state.pendingAlert?.firstAt ?? event.occurredAt;
      const dueAt = new Date(
        Math.min(
          now + tenant.alertDebounceSeconds * 1000,
          Date.parse(firstAt) + tenant.alertMaxWaitSeconds * 1000,
        ),
      ).toISOString();
      const pendingAlert: PendingAlert = {
        batchId: state.pendingAlert?.batchId ?? messageSid,
        firstAt,
        dueAt,
        texts: [...waiting, text],
      };
      return {
        intents,
        timers: [
          {
            timerId: `owner-alert-batch:${event.streamId}:${pendingAlert.batchId}`,
            kind: 'owner-alert-batch',
            key: pendingAlert.batchId,
            dueAt,
          },
        ],
        pendingAlert,
        ...qualifying,
      };
    }
    case 'QualificationAssessed': {
      const conversation = state.qualification;
      if (!conversation) return nothing;
      const next = assessed(conversation, event.data);
      // An older text's reading: what it found is kept; the latest text's reading decides.
      if (event.data.requestId !== conversation.requestId)
        return { ...nothing, qualification: next };
      const topic =
        state.optedOut || takenOver ? null : questionAfter(next, tenant, event.occurredAt);
      if (topic === null) return { ...nothing, qualification: next };
      const body = assistantCopy.question(tenant, topic, lang, {
        opening: !within(state.lastTextedAt, event.occurredAt, CONVERSATION_QUIET_MS),
        firstEver: state.lastTextedAt === undefined,
      });
      return {
        intents: [toLead(`${event.data.requestId}:question`, 'qualification-question', body)],
        timers: [],
        qualification: {
          ...withTurn(next, { from: 'assistant', text: body, asked: topic }, event.occurredAt),
          asked: [...next.asked, topic],
        },
      };
    }
    case 'QualificationFailed': {
      // No reading will come: the lead gets the acknowledgement the assistant would have
      // replaced, once per conversation window, as without the assistant.
      const conversation = state.qualification;
      if (conversation?.requestId !== event.data.requestId) return nothing;
      const acknowledged = within(
        state.lastAcknowledgedAt,
        event.occurredAt,
        CONVERSATION_WINDOW_MS,
      );
      if (state.optedOut || takenOver || acknowledged) return nothing;
      return only([
        toLead(
          `${event.data.requestId}:acknowledgement`,
          'acknowledgement',
          copy.acknowledgement(tenant, lang),
        ),
      ]);
    }
    case 'LeadQualified': {
      const { requestId, missing, outsideArea, postalCode, ...rest } = event.data;
      const conversation = state.qualification;
      // Only the latest text's reading settles the lead; an older one's only informed it.
      if (!conversation || conversation.qualified || conversation.requestId !== requestId) {
        return nothing;
      }
      const summary = qualificationSummary({ ...rest, postalCode }, outsideArea);
      const qualification: QualificationState = {
        ...conversation,
        qualified: { summary, outsideArea, postalCode },
      };
      const intents: OutboundIntent[] = [];
      const quiet = state.optedOut || takenOver || conversation.emergency === true;
      let outsideAreaTold = false;
      if (!quiet && outsideArea && postalCode && !state.outsideAreaTold) {
        intents.push(
          toLead(
            `${requestId}:outside-area`,
            'outside-area',
            assistantCopy.outsideArea(tenant, postalCode, lang),
          ),
        );
        outsideAreaTold = true;
      } else if (
        !quiet &&
        tenant.qualifyingQuestions > 0 &&
        (missing.length === 0 || (conversation.learned?.length ?? 0) > 0)
      ) {
        intents.push(
          toLead(
            `${requestId}:qualified`,
            'qualification-complete',
            assistantCopy.qualifiedThanks(tenant, rest.name, lang),
          ),
        );
      }
      // The owner hears it once: with the lead's texts still waiting for their alert, or
      // on its own when that alert already went.
      const batch = state.pendingAlert;
      if (batch) {
        intents.push(
          toOwner(
            `${batch.batchId}:owner-alert`,
            copy.messageAlert(phone, batch.texts, {
              optedOut: state.optedOut,
              urgency: rest.urgency === 'emergency' ? 'EMERGENCY' : 'STANDARD',
              summary,
            }),
          ),
        );
        return { intents, timers: [], pendingAlert: null, qualification, outsideAreaTold };
      }
      // Their texts' alert already went: the summary follows when the assistant's questions
      // drew it out, or to say the lead is outside the area (an emergency's alert went at once
      // with the lead's own words).
      if (summary && !conversation.emergency && (conversation.asked.length > 0 || outsideArea)) {
        intents.push(toOwner(`${requestId}:qualified-alert`, qualifiedAlert(phone, summary)));
      }
      return { intents, timers: [], qualification, outsideAreaTold };
    }
    case 'TimerElapsed': {
      if (event.data.kind === 'missed-call-text') {
        // The takeover window ended: the held text goes, unless a person took over meanwhile.
        if (state.pendingMissedCallText?.callSid !== event.data.key) return nothing;
        const send = !takenOver && !state.optedOut && !state.unreachable;
        return {
          intents: send
            ? [
                toLead(
                  `${event.data.key}:missed-call-text`,
                  'missed-call-text',
                  copy.missedCallText(tenant, state.lastTextedAt === undefined, lang),
                ),
              ]
            : [],
          timers: [],
          pendingMissedCallText: null,
        };
      }
      if (event.data.kind === 'voicemail-wait') {
        // No transcript in time: the alert goes, saying whether a voicemail is on its way.
        return releaseAlert(
          event.data.key,
          state.voicemails?.[event.data.key] ? copy.voicemailPending() : '',
        );
      }
      if (event.data.kind === 'emergency-menu-timeout') {
        if (state.calls[event.data.key] !== 'menu') return nothing;
        return missedCall(event.data.key, leadPhoneOf(event), 'after hours, hung up at the menu');
      }
      const batch = state.pendingAlert;
      if (event.data.kind !== 'owner-alert-batch' || batch?.batchId !== event.data.key) {
        return nothing; // already sent with an EMERGENCY, or a stale timer
      }
      return {
        intents: [
          toOwner(
            `${batch.batchId}:owner-alert`,
            copy.messageAlert(leadPhoneOf(event), batch.texts, {
              optedOut: state.optedOut,
              urgency: 'STANDARD',
              summary: summaryOf(state.qualification),
            }),
          ),
        ],
        timers: [],
        pendingAlert: null,
      };
    }
    case 'ReviewRequested':
      // Consent-gated at send time (the sender withholds it, with the reason, if the
      // customer opted out) and deferred to daytime in the customer's zone (quiet hours).
      return only([
        toLead(
          `${event.data.requestId}:review-request`,
          'review-request',
          copy.reviewRequest(tenant, lang),
        ),
      ]);
    case 'OutboundSmsFailed': {
      // Every attempt failed (or Twilio refused it): the owner must reach the customer some
      // other way. Told once per conversation window, however many texts failed.
      const { audience, purpose, errorCode, attempts, outboxId } = event.data;
      if (audience !== 'lead' || SILENT_FAILURES.has(purpose)) return nothing;
      if (within(state.lastSendFailureAlertAt, event.occurredAt, CONVERSATION_WINDOW_MS)) {
        return nothing;
      }
      return only([
        {
          ...toOwner(
            `${outboxId}:send-failure-alert`,
            copy.sendFailureAlert(leadPhoneOf(event), errorCode, attempts),
          ),
          purpose: 'send-failure-alert',
        },
      ]);
    }
    case 'OutboundSmsStatusUpdated': {
      const { errorCode, audience, purpose, messageSid } = event.data;
      // A landline cannot take the missed-call text: tell the owner to call back, once.
      if (audience !== 'lead' || purpose !== 'missed-call-text' || errorCode !== LANDLINE) {
        return nothing;
      }
      if (state.unreachable) return nothing;
      return only([
        toOwner(`${messageSid}:landline-alert`, copy.landlineAlert(leadPhoneOf(event))),
      ]);
    }
    case 'StaffReplied': {
      // The text is always queued: the sender's send-time consent check withholds it from a
      // lead who opted out, and records why (in the timeline as well as the log). The author
      // of a relayed text is also told at once when the lead cannot get it.
      const { replyId, body, authorPhone } = event.data;
      const intents: OutboundIntent[] = [
        toLead(
          `${replyId}:staff-reply`,
          'staff-reply',
          state.lastTextedAt === undefined ? copy.firstStaffReply(tenant, body, lang) : body,
        ),
      ];
      if ((state.optedOut || state.unreachable) && authorPhone) {
        intents.push(
          toStaff(
            authorPhone,
            `${replyId}:relay-refused`,
            'relay-refused',
            copy.relayRefused(phone, ref(), state.optedOut ? 'opted-out' : 'unreachable'),
          ),
        );
      }
      return only(intents);
    }
    case 'VoicemailTranscribed': {
      const { callSid, status, text } = event.data;
      const heard =
        status === 'completed' && text
          ? copy.voicemailTranscript(text)
          : copy.voicemailWithoutTranscript();
      if (state.heldAlerts?.[callSid]) return releaseAlert(callSid, heard);
      // The alert went before the transcript arrived: the transcript follows, once.
      if (state.voicemails?.[callSid]?.transcribed) return nothing;
      return only([toOwner(`${callSid}:voicemail-alert`, copy.voicemailFollowUp(phone, heard))]);
    }
    case 'CallBackRequested':
      // Twilio rings the staff phone and, once they press 1, dials the lead with the business
      // number as caller ID; the call replaces a missed-call text still held for the takeover
      // window (evolve).
      return {
        intents: [],
        timers: [],
        calls: [
          {
            callbackId: event.data.callbackId,
            staffPhone: event.data.staffPhone,
            leadPhone: phone,
            from: tenant.twilioNumber,
          },
        ],
      };
    case 'OutboundSmsWithheld': {
      // A relayed reply the sender withheld at send time (the lead opted out meanwhile):
      // its author is told, once (the same key as the refusal above).
      const { purpose, dedupeKey, reason } = event.data;
      if (purpose !== 'staff-reply' || reason === 'dry-run') return nothing;
      const replyId = dedupeKey.slice(0, dedupeKey.lastIndexOf(':'));
      const author = state.relayAuthors?.find((r) => r.replyId === replyId)?.author;
      if (!author) return nothing;
      return only([
        toStaff(
          author,
          `${replyId}:relay-refused`,
          'relay-refused',
          copy.relayRefused(
            phone,
            ref(),
            reason === 'consent-revoked'
              ? 'opted-out'
              : reason === 'quota-exceeded'
                ? 'quota'
                : 'no-consent',
          ),
        ),
      ]);
    }
    default:
      return nothing;
  }
}

/** The lead's phone: the last segment of `lead:<tenantId>:<E.164>`. */
function leadPhoneOf(event: RecordedLeadlineEvent): string {
  return event.streamId.slice(event.streamId.lastIndexOf(':') + 1);
}
