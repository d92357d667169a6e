// The callback URLs the call commands put in their TwiML. The commands need only this shape;
// the HTTP layer, which owns the routes, builds it (`src/api/voice-urls.ts`).

/** Which phone a `<Dial>` rings. */
export type DialLeg = 'owner' | 'on-call';

/**
 * The callback URLs Leadline puts in the TwiML of one call. Each carries the tenant and the
 * parent `CallSid` (signed with the rest of the URL by Twilio), so every callback is matched
 * to its call and tenant, never guessed from `To`; screening URLs also carry the caller
 * (E.164), since the whisper runs on the rung person's leg.
 */
export interface VoiceUrls {
  /** `<Dial action>`: `/twilio/voice/status`; `screened` when the whisper is in the TwiML. */
  dialAction(leg: DialLeg, screened: boolean): string;
  /** `<Gather action>` of the emergency menu: `/twilio/voice/emergency`. */
  emergencyMenu: string;
  /** `<Number url>`, the screening whisper: `/twilio/voice/screen`. */
  screen(leg: DialLeg): string;
  /** `<Gather action>` of the whisper: `/twilio/voice/screen/result`. */
  screenResult(leg: DialLeg): string;
  /**
   * The voicemail's URLs (`<Record>`), each carrying the caller: `action` (the recording
   * ended: `/twilio/voice/recorded`), `recordingStatusCallback` (`/twilio/voice/recording`)
   * and `transcribeCallback` (`/twilio/voice/transcription`).
   */
  voicemail: { action: string; recordingStatus: string; transcription: string };
}
