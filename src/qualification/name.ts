import { normaliseText } from '../rules/normalise-text.ts';
import { cutText } from '../shared/text.ts';

/** A name: one to three words of letters (accents, apostrophes and hyphens allowed). */
const NAME = "\\p{L}[\\p{L}'’-]{1,29}(?:\\s+\\p{L}[\\p{L}'’-]{0,29}){0,2}";

/** Introductions that only ever precede a name: "this is", "my name is", "je m'appelle". */
const STRONG = new RegExp(
  `(?:^|[\\s,.!?])(?:this is|my name is|my name's|name is|name's|je m'appelle|mon nom est|mon nom c'est)\\s+(${NAME})`,
  'giu',
);
/**
 * Introductions that often precede other words ("it's leaking", "c'est urgent", "I'm not
 * sure"): a name after them must be capitalised, in a text not written all in capitals.
 */
const WEAK = new RegExp(
  `(?:^|[\\s,.!?])(?:i am|i'm|im|it's|its|c'est|moi c'est|ici c'est)\\s+(${NAME})`,
  'giu',
);
/** A name before "here" / "ici" or "from <company>", opening the text: "Dave here". */
const OPENING = new RegExp(
  `^(?:(?:hi|hello|hey|bonjour|allo|salut)[,!.]?\\s+)?(${NAME})\\s*(?:here|ici|from|de chez)\\b`,
  'iu',
);
/** A signature at the end: "- Priya", "-- Alan", "thanks, Mike", "merci! Sylvie". */
const SIGNED = new RegExp(
  `(?:(?:^|\\s)[-–—~]+\\s*|(?:thanks|thank you|thx|cheers|regards|merci|bonne journee|bonne journée)[,!.]?\\s+)(${NAME})\\s*[.!]?\\s*$`,
  'iu',
);

/**
 * Words that follow an introduction or sign a text without being a name: "this is urgent",
 * "it's been", "c'est juste", "- the team".
 */
const NOT_NAMES = new Set(
  (
    'a an the urgent an emergency about for regarding re my our your in at on home not so very ' +
    'still having getting looking wondering calling texting trying out away back here there ' +
    'leaking flooding available free busy sorry ok okay good fine just really tenant owner ' +
    'landlord renting une un la le les pour urgente pressant possible chez au a en mon ma ' +
    'pas tres vraiment correct parti partie disponible toujours encore moi nous ca ici bien ' +
    'plumber plombier water eau basement sink toilet help hi hello bonjour allo salut yes no oui ' +
    'non thanks merci tomorrow today demain asap please svp stp anytime morning afternoon ' +
    'evening anyway been like have had almost want everywhere all everything nothing done ' +
    'parfait combien ben juste apprenti frette maman papa team inc ltd llc co company service ' +
    'services management mgmt plumbing sure probably definitely coming going gone leaking ' +
    'dripping broken clogged plugged bouche brise fini termine grave mieux pire normal'
  ).split(' '),
);

/**
 * The name a lead gives for themselves in a text, as written, or null (pure). Only
 * introductions ("this is Dave", "Jean Tremblay ici", "Jen from Parkview") and signatures
 * ("- Priya") count; a name must not be a word that commonly follows them ("this is
 * urgent"), and after a loose introduction ("it's", "c'est") it must be capitalised.
 */
export function readName(body: string): string | null {
  const text = body.replace(/\s+/g, ' ').trim();
  const shouting = !/\p{Ll}/u.test(text);
  for (const match of text.matchAll(STRONG)) {
    const name = match[1] ? trimName(match[1]) : null;
    if (name) return name;
  }
  if (!shouting) {
    for (const match of text.matchAll(WEAK)) {
      const candidate = match[1] ?? '';
      if (!/^\p{Lu}/u.test(candidate)) continue;
      const name = trimName(candidate);
      if (name) return name;
    }
  }
  for (const pattern of [OPENING, SIGNED]) {
    const candidate = pattern.exec(text)?.[1];
    const name = candidate ? trimName(candidate) : null;
    if (name && (shouting || /^\p{Lu}/u.test(name) || pattern === SIGNED)) return name;
  }
  return null;
}

/**
 * Reads a reply to "what's your name?" (pure): an introduction, or else a reply of one to
 * three words that are not common words ("Sarah", "mike chen"), without what follows a comma
 * ("Nadia Haddad, owner").
 */
export function readNameAnswer(body: string): string | null {
  const introduced = readName(body);
  if (introduced) return introduced;
  const text = (body.split(/[,(]/)[0] ?? '')
    .replace(/[.!]+\s*$/, '')
    .replace(/^(hi|hello|hey|bonjour|allo|salut|yes|oui|sure|ok)[,!.]?\s+/i, '')
    .replace(/^(it'?s|its|c'est|moi c'est|i'?m|je suis)\s+/i, '')
    .trim();
  if (!new RegExp(`^${NAME}$`, 'u').test(text)) return null;
  return trimName(text, true);
}

/**
 * Drops trailing common words ("Dave and", "Mike at"), refusing what is no name at all.
 * Further words are part of the name only when capitalised like the first ("Mike Chen"),
 * or, in a direct answer, when the whole answer is in one case ("mike chen").
 */
function trimName(candidate: string, answer = false): string | null {
  const words = candidate.split(/\s+/);
  while (words.length > 0 && NOT_NAMES.has(normaliseText(words[words.length - 1] ?? ''))) {
    words.pop();
  }
  if (words.length === 0 || words.some((w) => NOT_NAMES.has(normaliseText(w)) && w === words[0])) {
    return null;
  }
  const kept = [words[0] as string];
  for (const word of words.slice(1)) {
    if (NOT_NAMES.has(normaliseText(word))) break;
    if (answer || /^\p{Lu}/u.test(word)) kept.push(word);
    else break;
  }
  return cutText(kept.join(' '), 60);
}
