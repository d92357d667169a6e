import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadRef } from '../../src/rules/lead-ref.ts';
import { runCli } from '../../harness/service-process.ts';
import { e2eBackends, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { actors } from '../support/actors.ts';
import { waitUntilSettled } from '../support/settle.ts';

const NUMBER = '+14165550700';
const OWNER = '+14165550799';
const STAFF = '+14165550777';
const AREA_NUMBER = '+14165550800';
const AREA_OWNER = '+14165550899';

/** `GET /api/v1/leads/{phone}`'s answer, as far as these tests read it. */
interface LeadView {
  qualification: {
    category: string | null;
    address: string | null;
    postalCode: string | null;
    urgency: string | null;
    preferredWindows: string[];
    name: string | null;
    missing: string[];
    qualified: boolean;
    engine: string;
  } | null;
  outsideArea: boolean;
  timeline: Array<{ kind: string; body: string | null }>;
}

describe.each(e2eBackends())(
  'the qualifying assistant on the $backend log (issue 16)',
  ({ env }) => {
    let e: E2eEnv;
    let tenantId: string;
    let tenantKey: string;
    let areaKey: string;
    let seq = 0;
    const nextLead = () => `+1647555${String(7000 + ++seq).padStart(4, '0')}`;
    const act = actors(() => e);
    const settle = () => waitUntilSettled(e.databaseUrl);
    const textsTo = (phone: string) => e.twilio.to(phone).map((m) => m.body);
    const alertsAbout = (owner: string, lead: string) =>
      e.twilio
        .to(owner)
        .map((m) => m.body)
        .filter((b) => b.includes(`-${lead.slice(-4)}`));
    const lead = async (phone: string, key = tenantKey) =>
      (await (await act.api(`/leads/${encodeURIComponent(phone)}`, key)).json()) as LeadView;

    beforeAll(async () => {
      e = await startE2eEnv(env);
      tenantId = await e.addTenant({
        name: 'Qualify Plumbing',
        number: NUMBER,
        owner: OWNER,
        extra: ['--staff-phones', STAFF],
      });
      const areaTenant = await e.addTenant({
        name: 'Beaches Plumbing',
        number: AREA_NUMBER,
        owner: AREA_OWNER,
        extra: ['--service-area', 'M4C,M4E', '--qualifying-questions', '2'],
      });
      tenantKey = await act.createKey('--role', 'tenant', '--tenant', tenantId);
      areaKey = await act.createKey('--role', 'tenant', '--tenant', areaTenant);
    });
    afterAll(async () => {
      await e?.close();
    });

    it('a lead who said everything is asked only what is missing; the owner gets one alert with the summary; the API shows the fields', async () => {
      const phone = nextLead();
      await act.sms(
        phone,
        NUMBER,
        'water heater leaking in basement, 45 Elm St Toronto M4E 2V1, can someone come tomorrow morning?',
        2, // Twilio retried the webhook: still one question
      );
      await settle();
      expect(textsTo(phone)).toEqual([
        expect.stringMatching(/^Qualify Plumbing: thanks for your message! And what's your name\?/),
      ]);
      await act.sms(phone, NUMBER, "It's Sarah");
      await settle();
      expect(textsTo(phone)).toHaveLength(2);
      expect(textsTo(phone)[1]).toMatch(/^Thanks, Sarah! We have what we need/);
      const alerts = alertsAbout(OWNER, phone);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toContain(
        'Water heater leaking · 45 Elm St M4E · SOON · tomorrow morning · Sarah.',
      );
      expect(alerts[0]).toContain(`#${leadRef(tenantId, phone)}`);
      const view = await lead(phone);
      expect(view.qualification).toMatchObject({
        category: 'water-heater',
        address: '45 Elm St',
        postalCode: 'M4E 2V1',
        urgency: 'soon',
        preferredWindows: ['tomorrow morning'],
        name: 'Sarah',
        missing: [],
        qualified: true,
        engine: 'deterministic',
      });
      expect(view.timeline.find((t) => t.kind === 'qualification')?.body).toContain('Sarah');
    });

    it('a lead who answers nothing gets at most 3 questions, then silence', async () => {
      const phone = nextLead();
      for (const body of ['hello?', 'hmm', '??', 'anyone', 'hello']) {
        await act.sms(phone, NUMBER, body);
        await settle();
      }
      const questions = textsTo(phone);
      expect(questions).toHaveLength(3);
      expect(new Set(questions).size).toBe(3);
    });

    it('a staff reply mid-conversation stops the assistant: 0 further automatic texts', async () => {
      const phone = nextLead();
      await act.sms(phone, NUMBER, 'my toilet is clogged');
      await settle();
      expect(textsTo(phone)).toHaveLength(1); // the question about the address
      await act.sms(STAFF, NUMBER, `#${leadRef(tenantId, phone)} Hi, Mike here. I can come at 4.`);
      await settle();
      await act.sms(phone, NUMBER, '12 Oak St M4C 1A1');
      await act.sms(phone, NUMBER, 'thanks!');
      await settle();
      expect(textsTo(phone)).toEqual([
        expect.stringContaining('address'),
        'Hi, Mike here. I can come at 4.',
      ]);
    });

    it('a lead who texts in French gets French texts afterwards, the next missed-call text included', async () => {
      const phone = nextLead();
      await act.sms(phone, NUMBER, 'Bonjour, mon chauffe-eau coule au sous-sol');
      await settle();
      expect(textsTo(phone)[0]).toMatch(/merci pour votre message! Quelle est l'adresse/);
      await act.missedCall(phone, NUMBER);
      await settle();
      expect(textsTo(phone)[1]).toMatch(/^Bonjour, ici Qualify Plumbing\. Désolé d'avoir manqué/);
    });

    it('a lead outside the service area is told so once; the owner sees OUTSIDE AREA; the dashboard filters on it', async () => {
      const phone = nextLead();
      await act.sms(phone, AREA_NUMBER, 'clogged kitchen drain at 9 Pine Cres Ottawa K1S 3B4');
      await settle();
      await act.sms(phone, AREA_NUMBER, 'whenever next week, I am Priya');
      await settle();
      await act.sms(phone, AREA_NUMBER, 'hello?');
      await settle();
      const told = textsTo(phone).filter((b) => b.includes("doesn't serve K1S 3B4"));
      expect(told).toHaveLength(1);
      expect(
        e.twilio
          .to(AREA_OWNER)
          .map((m) => m.body)
          .join('\n'),
      ).toContain('OUTSIDE AREA');
      const outside = (await (await act.api('/leads?outsideArea=true', areaKey)).json()) as {
        leads: Array<{ phone: string; outsideArea: boolean }>;
      };
      expect(outside.leads.map((l) => l.phone)).toEqual([phone]);
      expect((await lead(phone, areaKey)).outsideArea).toBe(true);
    });

    it('rebuilding every projection and replaying the processors afterwards sends nothing and keeps the fields', async () => {
      const sent = e.twilio.messages.length;
      const before = (await (await act.api('/leads', tenantKey)).json()) as unknown;
      const result = await runCli(['projections', 'rebuild', '--all'], e.env);
      expect(result.code, result.stderr).toBe(0);
      await settle();
      expect(e.twilio.messages.length).toBe(sent);
      const after = (await (await act.api('/leads', tenantKey)).json()) as unknown;
      expect(after).toEqual(before);
    });
  },
);
