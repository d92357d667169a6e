import { Command } from 'commander';
import { backupCommand, restoreCommand } from './backup-command.ts';
import { consentCommand } from './consent-command.ts';
import { deadlettersCommand } from './deadletters-command.ts';
import { eventsCommand } from './events-command.ts';
import { projectionsCommand } from './projections-command.ts';
import { keysCommand } from './keys-command.ts';
import { reviewsCommand } from './reviews-command.ts';
import { conversationsCommand } from './conversations-command.ts';
import { serveCommand } from './serve-command.ts';
import { simulateCommand } from './simulate-command.ts';
import { statusCommand } from './status-command.ts';
import { tenantsCommand } from './tenants-command.ts';

/**
 * The `leadline` command line (commander). Configuration comes from the environment (see the
 * README's table); every command exits non-zero with a one-line reason on bad input.
 */
const program = new Command('leadline')
  .description(
    'Leadline: no plumber loses a job because the phone rang while they were under a sink',
  )
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(tenantsCommand())
  .addCommand(reviewsCommand())
  .addCommand(conversationsCommand())
  .addCommand(keysCommand())
  .addCommand(consentCommand())
  .addCommand(eventsCommand())
  .addCommand(statusCommand())
  .addCommand(backupCommand())
  .addCommand(restoreCommand())
  .addCommand(deadlettersCommand())
  .addCommand(projectionsCommand())
  .addCommand(simulateCommand());

await program.parseAsync(process.argv);
