import { describe, expect, it } from 'vitest';
import {
  eventSchemas,
  schemaVersions,
  SmsInbound,
  SmsInboundV1,
  type EventType,
} from '../../src/events/catalogue.ts';
import type { EventEnvelope } from '../../src/events/envelope.ts';
import { newEvent } from '../../src/events/new-event.ts';
import { UnknownSchemaVersionError, upcast, upcasters } from '../../src/events/upcasters.ts';
import { countMedia, mediaKind } from '../../src/rules/media.ts';
import { smsParams } from '../../src/api/twilio-params.ts';
import { fixedClock } from '../../src/shared/clock.ts';

const MEDIA_URL = (n: number) =>
  `https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME${n}`;

/** An envelope as a log might hold it, of any type, version and data. */
function stored(type: string, schemaVersion: number, data: unknown): EventEnvelope {
  return {
    id: '7b0e3f7c-2d39-5b8e-9a51-7d0c8b7b2f10',
    type,
    schemaVersion,
    streamId: 'lead:t1:+16475550123',
    tenantId: 't1',
    occurredAt: '2026-06-01T14:00:00.000Z',
    recordedAt: '2026-06-01T14:00:00.000Z',
    causationId: null,
    correlationId: 'MM0',
    traceparent: null,
    data,
  };
}

const v1Data = {
  messageSid: 'MM0',
  from: '+16475550123',
  to: '+14165550100',
  body: 'Leak under the sink, photos attached',
  numMedia: 2,
  mediaUrls: [MEDIA_URL(0), MEDIA_URL(1)],
  keyword: null,
  optOutType: null,
  autoReply: false,
  urgency: 'STANDARD',
};

describe('event schema versions and upcasters', () => {
  it('given a version-1 SmsInbound, upcasting yields version 2 with media and no numMedia/mediaUrls', () => {
    expect(SmsInboundV1.safeParse(v1Data).success).toBe(true);
    const upcasted = upcast(stored('SmsInbound', 1, v1Data));
    expect(upcasted.schemaVersion).toBe(2);
    expect(upcasted.data).toEqual({
      messageSid: 'MM0',
      from: '+16475550123',
      to: '+14165550100',
      body: 'Leak under the sink, photos attached',
      media: [
        { url: MEDIA_URL(0), contentType: null },
        { url: MEDIA_URL(1), contentType: null },
      ],
      keyword: null,
      optOutType: null,
      autoReply: false,
      urgency: 'STANDARD',
    });
    // What comes out is valid current data, and the rest of the envelope is untouched.
    expect(SmsInbound.safeParse(upcasted.data).success).toBe(true);
    const { data: _d, schemaVersion: _v, ...rest } = upcasted;
    const { data: _d1, schemaVersion: _v1, ...restBefore } = stored('SmsInbound', 1, v1Data);
    expect(rest).toEqual(restBefore);
  });

  it('given a version-1 text without attachments, media is empty', () => {
    const upcasted = upcast(stored('SmsInbound', 1, { ...v1Data, numMedia: 0, mediaUrls: [] }));
    expect(upcasted.data).toMatchObject({ media: [] });
  });

  it('given an event already at its current version, upcasting returns it unchanged', () => {
    const current = stored('SmsInbound', 2, { ...v1Data, numMedia: undefined, media: [] });
    expect(upcast(current)).toBe(current);
    const call = stored('CallReceived', 1, { callSid: 'CA1' });
    expect(upcast(call)).toBe(call);
  });

  it('given a version newer than the code knows, it refuses with a clear message', () => {
    const future = stored('SmsInbound', 3, { whatever: true });
    expect(() => upcast(future)).toThrow(UnknownSchemaVersionError);
    expect(() => upcast(future)).toThrow(
      /SmsInbound version 3\): written by a newer Leadline; this one reads SmsInbound up to version 2/,
    );
  });

  it('given a type without a schema, or a version that is not one, it refuses by name', () => {
    expect(() => upcast(stored('FaxReceived', 1, {}))).toThrow(
      /event type "FaxReceived" is not in the catalogue/,
    );
    expect(() => upcast(stored('SmsInbound', 0, v1Data))).toThrow(
      /schema version must be a whole number from 1 to 2/,
    );
    try {
      upcast(stored('CallReceived', 2, {}));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UnknownSchemaVersionError);
      expect(error).toMatchObject({
        code: 'UNKNOWN_SCHEMA_VERSION',
        eventType: 'CallReceived',
        schemaVersion: 2,
      });
    }
  });

  it('every type has a current version, and an upcaster for each version below it', () => {
    for (const type of Object.keys(eventSchemas) as EventType[]) {
      const current = schemaVersions[type];
      expect(Number.isInteger(current) && current >= 1, type).toBe(true);
      for (let v = 1; v < current; v++)
        expect(upcasters[type]?.[v], `${type} ${v}`).toBeTypeOf('function');
    }
  });

  it('new events are stamped with the current version of their type', () => {
    const event = newEvent(
      {
        type: 'SmsInbound',
        streamId: 'lead:t1:+16475550123',
        tenantId: 't1',
        idempotencyKey: 'MM0',
        data: upcast(stored('SmsInbound', 1, v1Data)).data as never,
      },
      fixedClock('2026-06-01T14:00:00Z'),
    );
    expect(event.schemaVersion).toBe(2);
    const tenant = newEvent(
      {
        type: 'TenantConfigured',
        streamId: 'tenant:t1',
        tenantId: 't1',
        idempotencyKey: 'x',
        data: { tenantId: 't1', changes: {} },
      },
      fixedClock('2026-06-01T14:00:00Z'),
    );
    expect(tenant.schemaVersion).toBe(1);
  });
});

describe("Twilio's MMS parameters", () => {
  it('MediaUrl{N} and MediaContentType{N} become media in order, with their MIME types', () => {
    const parsed = smsParams.parse({
      MessageSid: 'MM' + 'a'.repeat(32),
      From: '+16475550123',
      To: '+14165550100',
      Body: 'see video',
      NumMedia: '2',
      MediaUrl0: MEDIA_URL(0),
      MediaContentType0: 'image/jpeg',
      MediaUrl1: MEDIA_URL(1),
      MediaContentType1: 'video/mp4',
    });
    expect(parsed.media).toEqual([
      { url: MEDIA_URL(0), contentType: 'image/jpeg' },
      { url: MEDIA_URL(1), contentType: 'video/mp4' },
    ]);
    expect(countMedia(parsed.media)).toEqual({ photos: 1, videos: 1, files: 0 });
  });

  it('a plain text has no media; a URL without a type has a null type', () => {
    const base = { MessageSid: 'SM' + 'b'.repeat(32), From: '+16475550123', To: '+14165550100' };
    expect(smsParams.parse({ ...base, Body: 'hi' }).media).toEqual([]);
    expect(smsParams.parse({ ...base, NumMedia: '1', MediaUrl0: MEDIA_URL(0) }).media).toEqual([
      { url: MEDIA_URL(0), contentType: null },
    ]);
  });

  it('kinds: image/* a photo, video/* a video, anything else a file, unknown a photo', () => {
    expect(mediaKind('image/heic')).toBe('photo');
    expect(mediaKind('VIDEO/3gpp')).toBe('video');
    expect(mediaKind('audio/amr')).toBe('file');
    expect(mediaKind('text/vcard')).toBe('file');
    expect(mediaKind(null)).toBe('photo');
  });
});
