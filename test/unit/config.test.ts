import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { environmentSchema, loadConfig } from '../../src/config/config.ts';

describe('configuration from the environment', () => {
  it('defaults to the embedded database, port 3000, dry-run without credentials', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.port).toBe(3000);
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.sendMode).toBe('dry-run');
    expect(config.dataDir).toMatch(/\.leadline$/);
  });

  it('defaults to live with Twilio credentials', () => {
    const config = loadConfig({
      TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
      TWILIO_AUTH_TOKEN: 'b'.repeat(32),
    });
    expect(config.sendMode).toBe('live');
  });

  it('names every bad variable, one line each, without echoing secrets', () => {
    expect(() =>
      loadConfig({
        PORT: '70000',
        PUBLIC_BASE_URL: 'not a url',
        TWILIO_AUTH_TOKEN: 'short',
        DATABASE_URL: 'mysql://x',
      }),
    ).toThrowError(
      /PORT: PORT must be between 0 and 65535 \(got "70000"\)[\s\S]*PUBLIC_BASE_URL[\s\S]*TWILIO_AUTH_TOKEN: TWILIO_AUTH_TOKEN looks too short to be a Twilio auth token$/m,
    );
    try {
      loadConfig({ TWILIO_AUTH_TOKEN: 'short-secret' });
    } catch (error) {
      expect((error as Error).message).not.toContain('short-secret');
    }
  });

  it('refuses live mode without credentials', () => {
    expect(() => loadConfig({ SEND_MODE: 'live' })).toThrow(
      'SEND_MODE: live needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
    );
  });

  it('the README documents exactly the variables the schema reads', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\|\s*`([A-Z_]+)`\s*\|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(environmentSchema.shape).sort());
  });
});
