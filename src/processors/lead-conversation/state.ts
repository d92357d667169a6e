import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { UNREACHABLE_NUMBER_ERRORS } from '../../rules/message-status.ts';
import { detectLanguage } from '../../qualification/language.ts';
import type { Language } from '../../qualification/model.ts';
import type { QualificationState } from './qualification.ts';

/** What the lead-conversation processor remembers about one lead (tenant + phone). */
export interface LeadState {
  /** True after an opt-out keyword until an opt-in keyword. */
  optedOut: boolean;
  /** Outcome per recent `CallSid` (most recent {@link MAX_CALLS} kept). */
  calls: Record<string, 'ringing' | 'answered' | 'missed' | 'after-hours' | 'menu' | 'escalated'>;
  /** When the lead was last sent a text (UTC ISO), any purpose; absent: never. */
  lastTextedAt?: string;
  /** When the lead was last sent a missed-call text (UTC ISO). */
  lastMissedCallTextAt?: string;
  /** When the lead's texts were last acknowledged (UTC ISO). */
  lastAcknowledgedAt?: string;
  /** Twilio error code that showed the number cannot receive texts (30003, 30005, 30006). */
  unreachable?: string;
  /** The lead's texts waiting to be sent to the owner as one alert (debounce window). */
  pendingAlert?: PendingAlert;
  /** When the owner was last told a text to this lead failed for good (UTC ISO). */
  lastSendFailureAlertAt?: string;
  /** The review request awaiting the customer's answer, and when it was made (UTC ISO). */
  pendingReview?: { requestId: string; at: string };
  /**
   * Human takeover: a staff member replied (relay or dashboard) at `since`; `lastAt` is the
   * latest text either way since (UTC ISO). While the conversation has been quiet for less
   * than the tenant's `takeoverQuietHours`, no automatic text goes to the lead.
   */
  takeover?: { since: string; lastAt: string };
  /**
   * The missed-call text held for the tenant's takeover window: the call it answers and
   * whether it is the first text the number would get. Sent when its timer fires, unless a
   * staff member replied first.
   */
  pendingMissedCallText?: { callSid: string; dueAt: string };
  /**
   * Staff phones of the latest relayed replies, oldest first (at most {@link MAX_RELAYS}): a
   * list, since `jsonb` keeps no object key order to evict the oldest by.
   */
  relayAuthors?: Array<{ replyId: string; author: string }>;
  /**
   * Missed calls' owner alerts waiting for the voicemail transcript, by `CallSid`: the alert
   * text so far. Sent when the transcript arrives or the `voicemail-wait` timer fires.
   */
  heldAlerts?: Record<string, { body: string }>;
  /** Voicemails left, by `CallSid` (most recent {@link MAX_CALLS}). */
  voicemails?: Record<string, { recordingSid: string; transcribed?: boolean }>;
  /** The language the lead last wrote in (`qualification/language.ts`); absent: not known. */
  language?: Language;
  /** The qualifying conversation (issue 16). */
  qualification?: QualificationState;
  /** True once the lead was told they are outside the service area (told once). */
  outsideAreaTold?: boolean;
}

/** How many relayed replies' authors a lead's state keeps (to explain a withheld reply). */
export const MAX_RELAYS = 10;

/**
 * True when a staff member has taken the lead's conversation over and it has not been quiet
 * for the tenant's `takeoverQuietHours` at `now` (UTC ISO): automatic texts stay silent.
 */
export function isTakenOver(state: LeadState, now: string, quietHours: number): boolean {
  return (
    state.takeover !== undefined &&
    Date.parse(now) - Date.parse(state.takeover.lastAt) < quietHours * 60 * 60_000
  );
}

/**
 * A batch of a lead's texts held for one owner alert. It goes out when its timer fires:
 * `dueAt` is the last text plus the tenant's debounce window, but never later than the first
 * text plus the maximum wait.
 */
export interface PendingAlert {
  /** The first text's `MessageSid`: names the batch, its timer and its alert. */
  batchId: string;
  /** UTC ISO-8601. */
  firstAt: string;
  /** UTC ISO-8601. */
  dueAt: string;
  /**
   * Each text with its attachments by kind (`rules/media.ts`). `videos` and `files` are
   * absent from batches saved before they were counted (every attachment was a photo then).
   */
  texts: Array<{
    messageSid: string;
    body: string;
    photos: number;
    videos?: number;
    files?: number;
  }>;
}

/** How many calls' outcomes a lead's state keeps. */
export const MAX_CALLS = 50;

/**
 * Records what was just decided for the lead at `at` (pure): when it was last texted,
 * acknowledged, or sent a missed-call text, the batch of texts waiting for an owner alert,
 * whether the pending review request was answered, the missed-call text held for the
 * takeover window, and the end of a takeover that went quiet. Called after `decide`, with
 * its decision.
 */
export function remember(
  state: LeadState,
  decision: {
    intents: Array<{ audience: string; purpose: string }>;
    pendingAlert?: PendingAlert | null;
    pendingMissedCallText?: LeadState['pendingMissedCallText'] | null;
    reviewAnswered?: boolean;
    takeoverLapsed?: boolean;
    holdAlert?: { callSid: string; body: string };
    releaseAlert?: string;
    qualification?: QualificationState;
    outsideAreaTold?: boolean;
  },
  at: string,
): LeadState {
  if (decision.qualification) state = { ...state, qualification: decision.qualification };
  if (decision.outsideAreaTold) state = { ...state, outsideAreaTold: true };
  if (decision.reviewAnswered) {
    const { pendingReview: _answered, ...rest } = state;
    state = rest;
  }
  if (decision.pendingAlert !== undefined) {
    const { pendingAlert: _cleared, ...rest } = state;
    state =
      decision.pendingAlert === null ? rest : { ...rest, pendingAlert: decision.pendingAlert };
  }
  if (decision.intents.some((i) => i.purpose === 'send-failure-alert')) {
    state = { ...state, lastSendFailureAlertAt: at };
  }
  if (decision.holdAlert) {
    const { callSid, body } = decision.holdAlert;
    state = { ...state, heldAlerts: { ...state.heldAlerts, [callSid]: { body } } };
  }
  if (decision.releaseAlert !== undefined && state.heldAlerts) {
    const { [decision.releaseAlert]: _sent, ...held } = state.heldAlerts;
    const { heldAlerts: _all, ...rest } = state;
    state = Object.keys(held).length > 0 ? { ...rest, heldAlerts: held } : rest;
  }
  if (decision.takeoverLapsed) {
    const { takeover: _lapsed, ...rest } = state;
    state = rest;
  }
  if (decision.pendingMissedCallText !== undefined) {
    const { pendingMissedCallText: _cleared, ...rest } = state;
    state =
      decision.pendingMissedCallText === null
        ? rest
        : { ...rest, pendingMissedCallText: decision.pendingMissedCallText };
  }
  const toLead = decision.intents.filter((i) => i.audience === 'lead');
  if (toLead.length === 0) return state;
  const next = { ...state, lastTextedAt: at };
  if (toLead.some((i) => i.purpose === 'missed-call-text')) next.lastMissedCallTextAt = at;
  // The assistant's question or thanks answers the lead's text as an acknowledgement does.
  if (toLead.some((i) => ACKNOWLEDGING.has(i.purpose))) next.lastAcknowledgedAt = at;
  return next;
}

/** Texts to a lead that acknowledge what they wrote. */
const ACKNOWLEDGING = new Set([
  'acknowledgement',
  'qualification-question',
  'qualification-complete',
  'outside-area',
]);

/** State of a lead never seen. */
export const initialLeadState = (): LeadState => ({ optedOut: false, calls: {} });

function withCall(
  state: LeadState,
  callSid: string,
  outcome: LeadState['calls'][string],
): LeadState {
  const calls = { ...state.calls, [callSid]: outcome };
  const sids = Object.keys(calls);
  for (const old of sids.slice(0, Math.max(0, sids.length - MAX_CALLS))) delete calls[old];
  return { ...state, calls };
}

/**
 * Folds one event into the lead's state (pure). An answered call stays answered whatever
 * callbacks follow: an answered call never produces a text.
 */
export function evolve(state: LeadState, event: RecordedLeadlineEvent): LeadState {
  switch (event.type) {
    case 'CallReceived':
      if (state.calls[event.data.callSid]) return state;
      return withCall(
        state,
        event.data.callSid,
        event.data.action === 'ring-owner'
          ? 'ringing'
          : event.data.action === 'emergency-menu'
            ? 'menu'
            : 'after-hours',
      );
    case 'EmergencyEscalated':
      return state.calls[event.data.callSid] === 'menu'
        ? withCall(state, event.data.callSid, 'escalated')
        : state;
    case 'EmergencyDeclined':
      return state.calls[event.data.callSid] === 'menu'
        ? withCall(state, event.data.callSid, 'missed')
        : state;
    case 'TimerElapsed':
      return event.data.kind === 'emergency-menu-timeout' && state.calls[event.data.key] === 'menu'
        ? withCall(state, event.data.key, 'missed')
        : state;
    case 'DialAnswered':
      return withCall(state, event.data.callSid, 'answered');
    case 'DialMissed':
      if (state.calls[event.data.callSid] === 'answered') return state;
      return withCall(state, event.data.callSid, 'missed');
    case 'ConsentRevoked':
      return { ...state, optedOut: true };
    case 'ReviewRequested':
      return {
        ...state,
        pendingReview: { requestId: event.data.requestId, at: event.occurredAt },
      };
    case 'OutboundSmsStatusUpdated':
      return event.data.audience === 'lead' &&
        event.data.errorCode !== null &&
        UNREACHABLE_NUMBER_ERRORS.has(event.data.errorCode)
        ? { ...state, unreachable: event.data.errorCode }
        : state;
    case 'ConsentGranted':
      return event.data.basis === 'express' ? { ...state, optedOut: false } : state;
    case 'CallBackRequested':
    case 'StaffReplied': {
      // A person took the conversation: a missed-call text held for the window is dropped.
      const { pendingMissedCallText: _replaced, ...rest } = state;
      const takeover = {
        since: state.takeover?.since ?? event.occurredAt,
        lastAt: event.occurredAt,
      };
      if (event.type === 'CallBackRequested' || !event.data.authorPhone) {
        return { ...rest, takeover };
      }
      const authors = [
        ...(state.relayAuthors ?? []).filter((r) => r.replyId !== event.data.replyId),
        { replyId: event.data.replyId, author: event.data.authorPhone },
      ].slice(-MAX_RELAYS);
      return { ...rest, takeover, relayAuthors: authors };
    }
    case 'SmsInbound': {
      const language = detectLanguage(event.data.body);
      const spoken = language && language !== state.language ? { ...state, language } : state;
      return spoken.takeover
        ? { ...spoken, takeover: { ...spoken.takeover, lastAt: event.occurredAt } }
        : spoken;
    }
    case 'VoicemailRecorded':
    case 'VoicemailTranscribed': {
      const { callSid, recordingSid } = event.data;
      const voicemails = {
        ...state.voicemails,
        [callSid]: {
          recordingSid,
          ...(event.type === 'VoicemailTranscribed' || state.voicemails?.[callSid]?.transcribed
            ? { transcribed: true }
            : {}),
        },
      };
      for (const old of Object.keys(voicemails).slice(0, -MAX_CALLS)) delete voicemails[old];
      return { ...state, voicemails };
    }
    case 'AutomationResumed': {
      const { takeover: _ended, ...rest } = state;
      return rest;
    }
    default:
      return state;
  }
}
