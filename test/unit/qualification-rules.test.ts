import { describe, expect, it } from 'vitest';
import { readAddress } from '../../src/qualification/address.ts';
import { readJob, saysNoJob } from '../../src/qualification/categories.ts';
import { assessDeterministically } from '../../src/qualification/deterministic-engine.ts';
import { detectLanguage } from '../../src/qualification/language.ts';
import { NOTHING_KNOWN, missingTopics } from '../../src/qualification/model.ts';
import { readName, readNameAnswer } from '../../src/qualification/name.ts';
import { insideServiceArea, readPostalCode } from '../../src/qualification/postal-code.ts';
import { nextQuestion } from '../../src/qualification/questions.ts';
import { readUrgency } from '../../src/qualification/urgency.ts';
import { qualificationSummary } from '../../src/rules/message-copy.ts';
import { emergencyMenuTwiml, missedCallTwiml } from '../../src/rules/voice-responses.ts';
import { testTenant } from '../support/tenant-fixture.ts';
import { parseLanguage, parseServiceArea } from '../../src/tenants/tenant-changes.ts';

const assess = (...texts: string[]) =>
  assessDeterministically({
    turns: texts.map((text) => ({ from: 'lead' as const, text })),
    known: NOTHING_KNOWN,
    language: 'en',
    timezone: 'America/Toronto',
    now: '2026-11-24T15:00:00.000Z',
  }).fields;

describe('the deterministic qualification rules', () => {
  it('reads everything a lead said at once, so only the missing topic is asked', () => {
    const fields = assess(
      'water heater leaking in basement, 45 Elm St Toronto M4E 2V1, can someone come tomorrow morning?',
    );
    expect(fields).toMatchObject({
      category: 'water-heater',
      address: '45 Elm St',
      postalCode: 'M4E 2V1',
      urgency: 'soon',
      preferredWindows: ['tomorrow morning'],
      name: null,
    });
    expect(missingTopics(fields)).toEqual(['name']);
    expect(nextQuestion(fields, [], 3)).toBe('name');
  });

  it('reads postal codes in the forms people type them, and not a house number as a ZIP', () => {
    expect(readPostalCode('m4e2v1')).toBe('M4E 2V1');
    expect(readPostalCode('at M4E-2V1 please')).toBe('M4E 2V1');
    expect(readPostalCode("I'm in M4C, near the Danforth")).toBe('M4C');
    expect(readPostalCode('Boston MA 02139-4307')).toBe('02139');
    expect(readPostalCode('14822 Oak Hollow Dr')).toBeNull();
    // Canada Post never uses D, F, I, O, Q or U: "H2O" is water, not an area.
    expect(readPostalCode('H2O everywhere')).toBeNull();
  });

  it('checks a postal code against a service area of FSA, ZIP3 and ZIP5 prefixes', () => {
    expect(insideServiceArea('M4E 2V1', ['M4C', 'M4E'])).toBe(true);
    expect(insideServiceArea('L6J 1J1', ['M4C', 'M4E'])).toBe(false);
    expect(insideServiceArea('02139', ['021'])).toBe(true);
    expect(insideServiceArea('90210', ['021', '02139'])).toBe(false);
    expect(insideServiceArea('90210', [])).toBe(true);
  });

  it('finds street addresses in English and French word order', () => {
    expect(readAddress('unit 4, 120 King St W, m5h1j9')).toBe('unit 4, 120 King St W');
    expect(readAddress('123 rue Saint-Denis, Montréal H2X 3K8')).toBe('123 rue Saint-Denis');
    expect(readAddress('no address here, just Toronto')).toBeNull();
  });

  it('reads the job in both languages, most specific first', () => {
    expect(readJob('no hot water since yesterday')?.category).toBe('water-heater');
    expect(readJob('no water coming out of any tap')?.category).toBe('no-water');
    expect(readJob('need a new faucet installed')?.category).toBe('fixture-install');
    expect(readJob('la toilette est bouchée')?.category).toBe('toilet');
    expect(readJob('odeur de gaz dans le sous-sol')?.category).toBe('gas-smell');
    expect(readJob('BASEMENT FLOODING!!! burst pipe')).toEqual({
      category: 'leak',
      summary: 'Burst pipe',
    });
    expect(saysNoJob('how much do you charge for a drain cleaning?')).toBe(true);
    expect(saysNoJob('How much to fix my leaking tap?')).toBe(false);
    expect(readJob('sorry wrong number')).toBeNull();
  });

  it('reads urgency: not-urgent wins, emergencies spoken of as coming are not emergencies', () => {
    expect(readUrgency('water pouring through the ceiling', 'leak')).toBe('emergency');
    expect(readUrgency('no rush, next week is fine', 'leak')).toBe('flexible');
    expect(readUrgency('not urgent but this week please', 'leak')).toBe('soon');
    expect(readUrgency('today if possible before it bursts', 'other')).toBe('soon');
    expect(readUrgency('smells like gas', 'gas-smell')).toBe('emergency');
    expect(readUrgency("c'est pas pressé, la semaine prochaine", 'leak')).toBe('flexible');
    expect(readUrgency('le plus vite possible svp', 'leak')).toBe('soon');
    expect(readUrgency('the sink drips', 'leak')).toBeNull();
  });

  it('reads names from introductions and signatures, never a common word', () => {
    expect(readName('pipe burst, its still dripping. This is Sarah')).toBe('Sarah');
    expect(readName('Jean Tremblay ici, mon chauffe-eau coule')).toBe('Jean Tremblay');
    expect(readName('toilet clogged -- Alan')).toBe('Alan');
    expect(readName("this is urgent, it's leaking")).toBeNull();
    expect(readName("c'est juste une question")).toBeNull();
    expect(readNameAnswer('Nadia Haddad, owner')).toBe('Nadia Haddad');
    expect(readNameAnswer("it's mike chen")).toBe('mike chen');
  });

  it('tells French from English in a few words, and says nothing of a bare name', () => {
    expect(detectLanguage('Bonjour, mon chauffe-eau coule')).toBe('fr');
    expect(detectLanguage('pu deau chaude svp')).toBe('fr');
    expect(detectLanguage('hi my sink is leaking')).toBe('en');
    expect(detectLanguage('Sarah')).toBeNull();
    expect(detectLanguage('ok')).toBeNull();
  });

  it('summarises a lead for the owner in one line', () => {
    const fields = assess('BURST PIPE 12 Oak St M4C 1A1 emergency, today please. - Sarah');
    expect(qualificationSummary(fields, false)).toBe(
      'Burst pipe · 12 Oak St M4C · EMERGENCY · today · Sarah',
    );
    expect(qualificationSummary(fields, true)).toMatch(/· OUTSIDE AREA$/);
    expect(qualificationSummary(NOTHING_KNOWN, false)).toBeNull();
  });
});

describe("a tenant's language on calls", () => {
  it('speaks French with the Canadian French voice when the tenant is French, English otherwise', () => {
    const fr = missedCallTwiml(testTenant({ language: 'fr' }));
    expect(fr).toContain(
      '<Say voice="Polly.Chantal" language="fr-CA">Désolé, Maple Plumbing ne peut pas répondre',
    );
    const en = emergencyMenuTwiml(testTenant(), 'https://leadline.example/twilio/voice/emergency');
    expect(en).toContain(
      '<Say voice="Polly.Joanna" language="en-US">Thanks for calling Maple Plumbing.',
    );
  });
});

describe('hostile texts', () => {
  it('every reader answers on a 1,600-character text built to make regular expressions backtrack, and never splits an emoji', () => {
    const hostile = [
      `1 rue ${'-'.repeat(1_590)}#`,
      `12 ${"a'".repeat(790)} st`,
      `${'9'.repeat(1_599)}x`,
      'this is '.repeat(200),
      '🚽💧'.repeat(800),
      `${'a'.repeat(39)}🚽 and more`,
      '\u0000\uFFFD'.repeat(800),
    ];
    for (const text of hostile) {
      const fields = assessDeterministically({
        turns: [
          { from: 'lead', text },
          { from: 'assistant', text: 'What is the job?', asked: 'job' },
          { from: 'lead', text },
        ],
        known: NOTHING_KNOWN,
        language: 'en',
        timezone: 'America/Toronto',
        now: '2026-11-24T15:00:00.000Z',
      }).fields;
      // Every string survives a round trip through jsonb: no lone surrogate.
      for (const value of Object.values(fields).flat()) {
        if (typeof value === 'string') expect(value.isWellFormed()).toBe(true);
      }
    }
  });
});

describe("a tenant's language and service area, from the command line", () => {
  it('takes FSAs, their first two characters, ZIP3s and ZIP5s; refuses anything else by name', () => {
    expect(parseServiceArea(' m4c, M4E ,021,90210, M4C')).toEqual(['M4C', 'M4E', '021', '90210']);
    expect(parseServiceArea('none')).toEqual([]);
    expect(() => parseServiceArea('M4C,Toronto')).toThrow(
      /service area "TORONTO" is not a Canadian FSA/,
    );
    expect(() => parseServiceArea('D4C')).toThrow(/"D4C"/); // Canada Post never starts with D
    expect(parseLanguage('FR')).toBe('fr');
    expect(() => parseLanguage('es')).toThrow(/language "es" is not en or fr/);
  });
});
