import { newEvent } from '../events/new-event.ts';
import type { E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { CommandDeps } from './command-deps.ts';
import { leadEnvelope } from './lead-envelope.ts';

/** A finished voicemail, from `<Record>`'s `recordingStatusCallback`. */
export interface Voicemail {
  callSid: string;
  /** The caller (E.164), from the callback URL Leadline signed into the TwiML. */
  caller: E164;
  recordingSid: string;
  recordingUrl: string;
  durationSeconds: number | null;
}

/** A voicemail's transcription, from `<Record>`'s `transcribeCallback`. */
export interface VoicemailTranscription {
  callSid: string;
  caller: E164;
  recordingSid: string;
  transcriptionSid: string;
  /** Twilio's `TranscriptionStatus`: anything but `completed` counts as failed. */
  status: string;
  text: string | null;
}

/**
 * Records `VoicemailRecorded` on the caller's stream, keyed by `RecordingSid` (Twilio's
 * retries record nothing new). The lead-conversation processor holds the missed call's owner
 * alert for the transcript.
 */
export async function recordVoicemail(
  tenant: Tenant,
  voicemail: Voicemail,
  deps: CommandDeps,
): Promise<void> {
  const { caller, ...data } = voicemail;
  await deps.log.append([
    newEvent(
      {
        ...leadEnvelope(
          tenant.tenantId,
          caller,
          voicemail.callSid,
          deps.traceparent,
          voicemail.recordingSid,
        ),
        type: 'VoicemailRecorded',
        data,
      },
      deps.clock,
    ),
  ]);
}

/**
 * Records `VoicemailTranscribed` on the caller's stream, keyed by `TranscriptionSid`: the text
 * when Twilio's status is `completed` and the text is not empty, else a failed transcription.
 */
export async function recordTranscription(
  tenant: Tenant,
  t: VoicemailTranscription,
  deps: CommandDeps,
): Promise<void> {
  const text = t.text?.trim() || null;
  const completed = t.status === 'completed' && text !== null;
  await deps.log.append([
    newEvent(
      {
        ...leadEnvelope(tenant.tenantId, t.caller, t.callSid, deps.traceparent, t.transcriptionSid),
        type: 'VoicemailTranscribed',
        data: {
          callSid: t.callSid,
          recordingSid: t.recordingSid,
          transcriptionSid: t.transcriptionSid,
          status: completed ? 'completed' : 'failed',
          text: completed ? text : null,
        },
      },
      deps.clock,
    ),
  ]);
}
