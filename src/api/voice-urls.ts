import type { DialLeg, VoiceUrls } from '../commands/voice-urls.ts';

export type { DialLeg, VoiceUrls };

/** The {@link VoiceUrls} of call `callSid` from `caller` to tenant `tenantId`. */
export function voiceUrls(
  publicBaseUrl: string,
  tenantId: string,
  callSid: string,
  caller: string,
): VoiceUrls {
  const base = `tenantId=${encodeURIComponent(tenantId)}&callSid=${encodeURIComponent(callSid)}`;
  const withCaller = `${base}&caller=${encodeURIComponent(caller)}`;
  return {
    dialAction: (leg, screened) =>
      `${publicBaseUrl}/twilio/voice/status?${base}` +
      (leg === 'on-call' ? '&leg=on-call' : '') +
      (screened ? '&screened=1' : ''),
    emergencyMenu: `${publicBaseUrl}/twilio/voice/emergency?${base}`,
    screen: (leg) => `${publicBaseUrl}/twilio/voice/screen?${withCaller}&leg=${leg}`,
    screenResult: (leg) => `${publicBaseUrl}/twilio/voice/screen/result?${withCaller}&leg=${leg}`,
    voicemail: {
      action: `${publicBaseUrl}/twilio/voice/recorded?${withCaller}`,
      recordingStatus: `${publicBaseUrl}/twilio/voice/recording?${withCaller}`,
      transcription: `${publicBaseUrl}/twilio/voice/transcription?${withCaller}`,
    },
  };
}

/**
 * The `<Gather action>` of a call-back's whisper (`/twilio/voice/call-back`): the tenant, the
 * call-back and the lead to dial, in the URL Twilio signs.
 */
export function callBackConnectUrl(
  publicBaseUrl: string,
  call: { tenantId: string; callbackId: string; leadPhone: string },
): string {
  const query = new URLSearchParams({
    tenantId: call.tenantId,
    callbackId: call.callbackId,
    lead: call.leadPhone,
  });
  return `${publicBaseUrl}/twilio/voice/call-back?${query.toString()}`;
}
