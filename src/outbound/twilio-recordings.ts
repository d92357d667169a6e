import { ServiceUnavailableError } from '../shared/errors.ts';

/** Reads voicemail audio from the provider, for the dashboard's player. */
export interface RecordingSource {
  /**
   * The audio (MP3) of recording `recordingSid` (`RE…`), as a web stream and its type.
   * @throws ServiceUnavailableError when the provider cannot be reached or refuses.
   */
  open(recordingSid: string): Promise<{ body: ReadableStream<Uint8Array>; contentType: string }>;
}

/**
 * Twilio's recordings, read with the account's credentials (HTTP Basic), which never reach
 * the browser: `GET /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.mp3` (Twilio
 * docs, "Fetch a Recording's media file"). The URL is built from the SID alone, never from a
 * URL a request carried, so the proxy cannot be pointed anywhere else. `apiUrl` replaces
 * `https://api.twilio.com` (`TWILIO_API_URL`).
 */
export function twilioRecordings(options: {
  accountSid: string;
  authToken: string;
  apiUrl?: string;
  /** Longest wait for Twilio's answer (ms). Default 10,000. */
  timeoutMs?: number;
}): RecordingSource {
  const base = (options.apiUrl ?? 'https://api.twilio.com').replace(/\/$/, '');
  const authorization =
    'Basic ' + Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64');
  return {
    async open(recordingSid) {
      // The deadline covers Twilio's answer, not the audio's streaming to a slow listener.
      const abort = new AbortController();
      const deadline = setTimeout(() => abort.abort(), options.timeoutMs ?? 10_000);
      let res: Response;
      try {
        res = await fetch(
          `${base}/2010-04-01/Accounts/${options.accountSid}/Recordings/${recordingSid}.mp3`,
          { headers: { authorization }, signal: abort.signal },
        );
      } catch (error) {
        throw new ServiceUnavailableError(
          `Twilio could not be reached for the recording: ${(error as Error).message}`,
          'RECORDING_UNAVAILABLE',
        );
      } finally {
        clearTimeout(deadline);
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new ServiceUnavailableError(
          `Twilio answered ${res.status} for the recording`,
          'RECORDING_UNAVAILABLE',
        );
      }
      return { body: res.body, contentType: res.headers.get('content-type') ?? 'audio/mpeg' };
    },
  };
}
