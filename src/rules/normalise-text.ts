/**
 * Normalises a text message for the phrase rules (revocation, auto-reply, urgency):
 * lower case, accents removed (`Arrêt` → `arret`), typographic apostrophes made plain
 * (`won’t` → `won't`), runs of whitespace made one space.
 */
export function normaliseText(body: string): string {
  return body
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[’`]/g, "'")
    .replace(/\s+/g, ' ');
}
