import { normaliseText } from '../rules/normalise-text.ts';
import type { Language } from './model.ts';

/*
 * Choosing between English and French from a text message of a few words. General language
 * detectors (tinyld, franc, eld) are trained on sentences: measured here, tinyld read
 * "Bonjour, mon chauffe-eau coule" as English. A customer of a plumber writes a handful of
 * words, so the choice is made on the words each language alone uses, trade words included.
 */
const FRENCH_WORDS = new Set(
  (
    'le la les un une des du de d l est et je j mon ma mes nous vous votre c ca pas svp stp ' +
    'merci bonjour bonsoir allo salut oui non ici eau chaude fuite toilette bouchee bouche ' +
    'evier lavabo robinet demain matin soir aujourd hui semaine chez avec pour sous dans rue ' +
    'boul chemin rang coule chauffe plombier besoin urgence peux pouvez venir quand depuis ' +
    'mais aussi tres sur au aux qui que quoi il elle y a ai suis sont avez degat ' +
    'appeler rappeler adresse nom prochaine presse egout tuyau sous-sol salle bain cuisine ' +
    'mrc slt bjr dsl pcq jsp tjrs arret aide'
  ).split(' '),
);
const ENGLISH_WORDS = new Set(
  (
    "the a an is and my i im it its it's please pls thanks thank hi hello hey yes no here " +
    'water heater leak leaking toilet sink tomorrow morning today week at with for under in ' +
    'street need can you come when from have has been our your this that there basement ' +
    'kitchen bathroom drain clogged plumber help call back asap whats what name not just ' +
    'will would could should been get got of on to me we us they be am are was were'
  ).split(' '),
);

/** The carrier keywords of French texters (CTIA/CWTA): one word, but a clear choice. */
const FRENCH_KEYWORDS = new Set(['arret', 'aide']);

/**
 * The language a text is written in, English or French, or null when it does not tell
 * (pure). It tells when one language has at least two of its words more than the other has
 * (so "ok thanks", "YES", "oui" or a name change nothing), or the text is a French carrier
 * keyword (ARRÊT, AIDE). Words are compared without accents.
 */
export function detectLanguage(body: string): Language | null {
  const words = normaliseText(body)
    .replace(/[^a-z' -]/g, ' ')
    .split(/[\s'-]+/)
    .filter(Boolean);
  if (words.length === 1 && FRENCH_KEYWORDS.has(words[0]!)) return 'fr';
  let french = 0;
  let english = 0;
  for (const word of words) {
    if (FRENCH_WORDS.has(word)) french++;
    if (ENGLISH_WORDS.has(word)) english++;
  }
  if (french >= english + 2) return 'fr';
  if (english >= french + 2) return 'en';
  return null;
}
