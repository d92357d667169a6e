/**
 * What an attachment of an inbound text (MMS) is, for the owner's alert: `photo`, `video` or
 * another `file` (audio, a contact card, a PDF …).
 */
export type MediaKind = 'photo' | 'video' | 'file';

/**
 * The kind of one attachment, from its MIME type (Twilio's `MediaContentType{N}` webhook
 * parameter): `image/*` is a photo, `video/*` a video, anything else a file. An unknown type
 * (`null`: texts recorded before `SmsInbound` version 2 kept no type) counts as a photo, as
 * every attachment did then, so an old text replays into the same alert.
 */
export function mediaKind(contentType: string | null): MediaKind {
  if (contentType === null) return 'photo';
  const type = contentType.trim().toLowerCase();
  if (type.startsWith('image/')) return 'photo';
  if (type.startsWith('video/')) return 'video';
  return 'file';
}

/** How many attachments of each kind a text carried (see {@link mediaKind}). */
export interface MediaCounts {
  photos: number;
  videos: number;
  files: number;
}

/** Counts a text's attachments by kind (see {@link mediaKind}). */
export function countMedia(media: ReadonlyArray<{ contentType: string | null }>): MediaCounts {
  const counts: MediaCounts = { photos: 0, videos: 0, files: 0 };
  for (const item of media) {
    const kind = mediaKind(item.contentType);
    if (kind === 'photo') counts.photos++;
    else if (kind === 'video') counts.videos++;
    else counts.files++;
  }
  return counts;
}
