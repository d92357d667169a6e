import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure functions, no PostgreSQL or Kafka: `npm run test:unit` runs it
// alone in seconds) and `integration` (test/int and test/e2e, which need the PostgreSQL server
// and Kafka broker the global setup provides). `npm test` runs both.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/int/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
