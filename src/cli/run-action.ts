import { loadConfig, type Config } from '../config/config.ts';
import { LeadlineError } from '../shared/errors.ts';

/**
 * Wraps a CLI action: loads configuration, runs the action, and turns known errors into a
 * one-line message on stderr and a non-zero exit (2 for configuration, 1 otherwise).
 */
export function runAction<A extends unknown[]>(
  action: (config: Config, ...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const config = loadConfig(process.env);
      await action(config, ...args);
    } catch (error) {
      if (error instanceof LeadlineError) {
        console.error(`leadline: ${error.message}`);
        process.exit(error.code === 'INVALID_CONFIGURATION' ? 2 : 1);
      }
      console.error(`leadline: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    }
  };
}
