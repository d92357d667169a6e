import { Command } from 'commander';

/**
 * Each `leadline` command by name, loaded on demand: a command's module brings the code it
 * runs (`serve` the whole service, `tenants` the log and PostgreSQL), and a CLI run loads only
 * the one it was asked for. Run from the sources, every module goes through tsx's loader:
 * loading all of them cost a `tenants` run about 0.4 s of CPU more (1.5 s against 1.9 s,
 * measured on 2 cores; the loader alone takes 0.6 s).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.ts')).serveCommand(),
  tenants: async () => (await import('./tenants-command.ts')).tenantsCommand(),
  reviews: async () => (await import('./reviews-command.ts')).reviewsCommand(),
  conversations: async () => (await import('./conversations-command.ts')).conversationsCommand(),
  keys: async () => (await import('./keys-command.ts')).keysCommand(),
  consent: async () => (await import('./consent-command.ts')).consentCommand(),
  events: async () => (await import('./events-command.ts')).eventsCommand(),
  status: async () => (await import('./status-command.ts')).statusCommand(),
  backup: async () => (await import('./backup-command.ts')).backupCommand(),
  restore: async () => (await import('./backup-command.ts')).restoreCommand(),
  deadletters: async () => (await import('./deadletters-command.ts')).deadlettersCommand(),
  projections: async () => (await import('./projections-command.ts')).projectionsCommand(),
  simulate: async () => (await import('./simulate-command.ts')).simulateCommand(),
};

/**
 * The commands a run of `argv` needs: the one it names, or every command when it names none
 * (`leadline`, `--help`, a misspelt name, which commander then answers with the list or a
 * suggestion).
 */
async function commandsFor(argv: readonly string[]): Promise<Command[]> {
  const named = argv[2];
  // Own names only: `constructor` or `__proto__` are no commands (commander says so).
  const load = named !== undefined && Object.hasOwn(COMMANDS, named) ? COMMANDS[named] : undefined;
  if (load) return [await load()];
  return Promise.all(Object.values(COMMANDS).map((l) => l()));
}

/**
 * The `leadline` command line (commander). Configuration comes from the environment (see the
 * README's table); every command exits non-zero with a one-line reason on bad input.
 */
const program = new Command('leadline')
  .description(
    'Leadline: no plumber loses a job because the phone rang while they were under a sink',
  )
  .showHelpAfterError();
for (const command of await commandsFor(process.argv)) program.addCommand(command);

await program.parseAsync(process.argv);
